#include "otp/runtime/telemetry.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "otp/runtime/detail/store_lock.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/logger.hpp"

namespace otp::telemetry {
namespace {

struct attached_handler {
  std::string id;
  std::vector<std::string> name;
  std::shared_ptr<const handler> fn;  // shared by the events of attach_many
};
using handler_list = std::vector<attached_handler>;

// A hash of the segments in order (std::hash of each, folded), so that
// {"ab", "c"} and {"a", "bc"} differ.
template <class Range>
std::uint64_t hash_name(const Range& name) noexcept {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (const auto& seg : name) {
    h ^= std::hash<std::string_view>{}(std::string_view(seg)) + 0x9e3779b97f4a7c15ULL + (h << 6) +
         (h >> 2);
  }
  return h;
}
template <class A, class B>
bool same_name(const A& a, const B& b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return std::string_view(x) == y; });
}

// Every attached handler, by the hash of its event's name. An event's list
// is never changed in place: attach and detach make a new one, so a thread
// running handlers holds a list nobody changes.
class registry {
 public:
  bool attach(std::string id, const std::vector<std::vector<std::string>>& names, handler fn) {
    if (names.empty()) throw badarg("telemetry::attach_many: no event names");
    for (const auto& n : names) check_name(n);
    auto shared = std::make_shared<const handler>(std::move(fn));
    std::unique_lock lock(mu_);
    if (ids_.contains(id)) return false;
    for (const auto& n : names) {
      auto& lists = by_hash_[hash_name(n)];
      auto list = std::make_shared<handler_list>();
      if (auto* old = find(lists, n)) *list = **old;
      list->push_back({id, n, shared});
      put(lists, std::move(list));
      order_.push_back({id, n});
      detail::attached.fetch_add(1, std::memory_order_relaxed);
    }
    ids_.insert(std::move(id));
    return true;
  }

  bool detach(std::string_view id) {
    std::unique_lock lock(mu_);
    auto it = ids_.find(std::string(id));
    if (it == ids_.end()) return false;
    ids_.erase(it);
    for (auto& [h, lists] : by_hash_) {
      for (auto& list : lists) {
        if (std::none_of(list->begin(), list->end(), [&](const auto& a) { return a.id == id; }))
          continue;
        auto fresh = std::make_shared<handler_list>(*list);
        const auto removed = std::erase_if(*fresh, [&](const auto& a) { return a.id == id; });
        detail::attached.fetch_sub(removed, std::memory_order_relaxed);
        list = std::move(fresh);
      }
      std::erase_if(lists, [](const auto& l) { return l->empty(); });
    }
    std::erase_if(by_hash_, [](const auto& kv) { return kv.second.empty(); });
    std::erase_if(order_, [&](const handler_info& i) { return i.id == id; });
    return true;
  }

  std::vector<handler_info> list(const std::vector<std::string>& prefix) const {
    std::shared_lock lock(mu_);
    std::vector<handler_info> out;
    for (const auto& i : order_)
      if (i.event_name.size() >= prefix.size() &&
          std::equal(prefix.begin(), prefix.end(), i.event_name.begin()))
        out.push_back(i);
    return out;
  }

  /// The handlers of event `name` (null: none), safe to run unlocked.
  std::shared_ptr<const handler_list> handlers_of(std::span<const std::string_view> name) const {
    const std::uint64_t h = hash_name(name);
    std::shared_lock lock(mu_);
    auto it = by_hash_.find(h);
    if (it == by_hash_.end()) return nullptr;
    for (const auto& l : it->second)
      if (same_name(l->front().name, name)) return l;
    return nullptr;
  }

 private:
  using lists_t = std::vector<std::shared_ptr<const handler_list>>;
  static void check_name(const std::vector<std::string>& n) {
    if (n.empty()) throw badarg("telemetry::attach: an event name has at least one segment");
    for (const auto& s : n)
      if (s.empty()) throw badarg("telemetry::attach: an event name's segment is empty");
  }
  static const std::shared_ptr<const handler_list>* find(const lists_t& lists,
                                                         const std::vector<std::string>& n) {
    for (const auto& l : lists)
      if (same_name(l->front().name, n)) return &l;
    return nullptr;
  }
  static void put(lists_t& lists, std::shared_ptr<handler_list> list) {
    for (auto& l : lists)
      if (same_name(l->front().name, list->front().name)) {
        l = std::move(list);
        return;
      }
    lists.push_back(std::move(list));
  }

  // Readers (every execute) count themselves in per-thread slots, so
  // threads emitting at once do not contend on one lock word.
  mutable otp::detail::store_lock mu_{/*read_concurrency=*/true};
  std::unordered_map<std::uint64_t, lists_t> by_hash_;
  std::unordered_set<std::string> ids_;
  std::vector<handler_info> order_;  // for list_handlers, in attach order
};

registry& the_registry() {
  static registry* r = new registry();  // never destroyed: handlers may run at exit
  return *r;
}

}  // namespace

namespace detail {
std::atomic<std::size_t> attached{0};

void dispatch(std::span<const std::string_view> name, std::span<const measurement> m,
              std::span<const metadata_entry> md) {
  auto list = the_registry().handlers_of(name);
  if (!list) return;
  const event e{name, m, md};
  for (const attached_handler& a : *list) {
    try {
      (*a.fn)(e);
    } catch (...) {
      if (!the_registry().detach(a.id)) continue;  // another thread detached it first
      std::string why = exit_reason::from_exception(std::current_exception()).to_string();
      logger::error("telemetry: handler {} failed on event {} and was detached: {}", a.id,
                    e.name_string(), why);
    }
  }
}

open_span::open_span(std::initializer_list<std::string_view> prefix,
                     std::vector<metadata_entry> metadata)
    : name_(prefix), metadata_(std::move(metadata)) {
  metadata_.push_back({"telemetry_span_context", next_span_context()});
  start_ = monotonic_ns();
  const double system_ns =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  const measurement m[] = {{"monotonic_time", static_cast<double>(start_)},
                           {"system_time", system_ns}};
  execute(name_.with("start"), m, metadata_);
}

void open_span::stop() { ended("stop", metadata_); }

void open_span::failed(std::exception_ptr e) {
  bool is_exit = false;
  exit_reason reason = exit_reason::normal();
  try {
    std::rethrow_exception(e);
  } catch (const exit_error& x) {
    is_exit = true;
    reason = x.reason();
  } catch (...) {
    reason = exit_reason::from_exception(e);
  }
  std::vector<metadata_entry> md = metadata_;
  md.push_back({"kind", std::string_view(is_exit ? "exit" : "error")});
  md.push_back({"reason", reason});
  ended("exception", md);
}

void open_span::ended(std::string_view last, std::span<const metadata_entry> metadata) {
  const std::int64_t now = monotonic_ns();
  const measurement m[] = {{"duration", static_cast<double>(now - start_)},
                           {"monotonic_time", static_cast<double>(now)}};
  execute(name_.with(last), m, metadata);
}

std::int64_t next_span_context() noexcept {
  static std::atomic<std::int64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace detail

std::optional<double> event::measurement_of(std::string_view key) const noexcept {
  for (const auto& m : measurements)
    if (m.key == key) return m.value;
  return std::nullopt;
}

const value* event::metadata_of(std::string_view key) const noexcept {
  for (const auto& m : metadata)
    if (m.key == key) return &m.value;
  return nullptr;
}

std::string event::name_string() const {
  std::string s;
  for (std::string_view seg : name) {
    if (!s.empty()) s += '.';
    s += seg;
  }
  return s;
}

bool attach(std::string id, std::vector<std::string> name, handler fn) {
  return the_registry().attach(std::move(id), {std::move(name)}, std::move(fn));
}
bool attach_many(std::string id, std::vector<std::vector<std::string>> names, handler fn) {
  return the_registry().attach(std::move(id), names, std::move(fn));
}
bool detach(std::string_view id) { return the_registry().detach(id); }
std::vector<handler_info> list_handlers(const std::vector<std::string>& prefix) {
  return the_registry().list(prefix);
}

void execute(std::span<const std::string_view> name, std::span<const measurement> measurements,
             std::span<const metadata_entry> metadata) {
  if (detail::attached.load(std::memory_order_relaxed) == 0) return;
  detail::dispatch(name, measurements, metadata);
}

}  // namespace otp::telemetry

// The handler set: adding and removing handlers, their levels, the burst
// limit, and dispatching an event to them (invariants 3 and 4 of
// logger_core.hpp).
#include <mutex>
#include <string>
#include <utility>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/logger_handler.hpp"
#include "otp/runtime/telemetry.hpp"
#include "runtime/logger_core.hpp"

namespace otp::logger::detail {

namespace {

// OTP's burst limit: at most max_count events per window; the rest are
// dropped and counted, and the count is told at the next event after the
// window (or at flush).
class burst_limiter {
 public:
  explicit burst_limiter(const handler_config& c)
      : enabled_(c.burst_limit_enable),
        max_(c.burst_limit_max_count),
        window_(c.burst_limit_window_time.count()) {}

  // True when the event may pass; `told` receives the drops of a window
  // that has ended (to be told before this event).
  bool admit(std::int64_t now, std::uint64_t& told) {
    if (!enabled_) return true;
    std::lock_guard lk(mu_);
    if (!started_ || now < start_ || now - start_ >= window_) {
      told = std::exchange(unreported_, 0);
      started_ = true;
      start_ = now;
      count_ = 0;
    }
    if (count_ >= max_) {
      ++unreported_;
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    ++count_;
    return true;
  }
  std::uint64_t take_unreported() {
    std::lock_guard lk(mu_);
    return std::exchange(unreported_, 0);
  }
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  const bool enabled_;
  const std::uint32_t max_;
  const std::int64_t window_;
  std::mutex mu_;
  bool started_ = false;
  std::int64_t start_ = 0;
  std::uint32_t count_ = 0;
  std::uint64_t unreported_ = 0;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace

struct installed_handler {
  std::string id;
  std::shared_ptr<handler> sink;
  std::atomic<std::int8_t> level;
  burst_limiter burst;
  handler_config config;

  installed_handler(std::string i, std::shared_ptr<handler> h, const handler_config& c)
      : id(std::move(i)),
        sink(std::move(h)),
        level(static_cast<std::int8_t>(c.level)),
        burst(c),
        config(c) {}

  bool passes(log_level l) const noexcept {
    return static_cast<std::int8_t>(l) <= level.load(std::memory_order_relaxed);
  }
  void tell_dropped(std::uint64_t n) noexcept {
    telemetry::execute({"otp", "logger", "dropped"}, {{"count", n}},
                       {{"handler", std::string_view(id)}});
    try {
      const std::string text =
          fmt::format("handler \"{}\" dropped {} events (burst limit: {} per {} ms)", id, n,
                      config.burst_limit_max_count, config.burst_limit_window_time.count());
      const std::string count = std::to_string(n);
      const metadata_item md[] = {{"dropped", count}};
      log_event ev;
      ev.level = log_level::warning;
      ev.time = std::chrono::system_clock::now();
      ev.logger = otp_logger().name;
      ev.message = text;
      ev.metadata = md;
      sink->log(ev);
    } catch (...) {
    }
  }
};

namespace {

using handler_list = std::vector<std::shared_ptr<installed_handler>>;

struct handler_set {
  std::mutex mu;
  std::shared_ptr<const handler_list> current;

  std::shared_ptr<const handler_list> snapshot() {
    std::lock_guard lk(mu);
    return current;
  }
  std::shared_ptr<installed_handler> find(std::string_view id) {
    for (const auto& h : *snapshot())
      if (h->id == id) return h;
    return nullptr;
  }
};

handler_set& handlers() {
  static handler_set* s = [] {
    auto* set = new handler_set();  // never destroyed: logging may outlive statics
    set->current = std::make_shared<const handler_list>(
        handler_list{make_installed("default", console_handler(), {})});
    return set;
  }();
  return *s;
}

}  // namespace

std::shared_ptr<installed_handler> make_installed(std::string id, std::shared_ptr<handler> h,
                                                  const handler_config& config) {
  if (id.empty()) throw badarg("logger: a handler id must not be empty");
  if (!h) throw badarg("logger: handler \"" + id + "\" is null");
  return std::make_shared<installed_handler>(std::move(id), std::move(h), config);
}

void replace_handlers(handler_list list) {
  auto next = std::make_shared<const handler_list>(std::move(list));
  handler_set& s = handlers();
  std::shared_ptr<const handler_list> old;
  {
    std::lock_guard lk(s.mu);
    old = std::exchange(s.current, std::move(next));
  }
  for (const auto& h : *old) {
    if (const std::uint64_t n = h->burst.take_unreported()) h->tell_dropped(n);
    try {
      h->sink->flush();
    } catch (...) {
    }
  }
}

void dispatch(const log_event& ev, std::int64_t now_ms) noexcept {
  std::shared_ptr<const handler_list> list;
  try {
    list = handlers().snapshot();
  } catch (...) {
    return;
  }
  for (const auto& h : *list) {
    if (!h->passes(ev.level)) continue;
    std::uint64_t told = 0;
    if (!h->burst.admit(now_ms, told)) continue;
    if (told != 0) h->tell_dropped(told);
    try {
      h->sink->log(ev);
    } catch (...) {
      // A failing handler loses this event; the others still get it.
    }
  }
}

bool any_handler_passes(log_level level) noexcept {
  try {
    for (const auto& h : *handlers().snapshot())
      if (h->passes(level)) return true;
  } catch (...) {
  }
  return false;
}

}  // namespace otp::logger::detail

namespace otp::logger {

bool add_handler(std::string_view id, std::shared_ptr<handler> h, handler_config config) {
  auto added = detail::make_installed(std::string(id), std::move(h), config);
  detail::handler_set& s = detail::handlers();
  std::lock_guard lk(s.mu);
  for (const auto& x : *s.current)
    if (x->id == id) return false;
  auto next = std::make_shared<detail::handler_list>(*s.current);
  next->push_back(std::move(added));
  s.current = std::move(next);
  return true;
}

bool remove_handler(std::string_view id) {
  detail::handler_set& s = detail::handlers();
  std::shared_ptr<detail::installed_handler> gone;
  {
    std::lock_guard lk(s.mu);
    auto next = std::make_shared<detail::handler_list>();
    for (const auto& x : *s.current) {
      if (x->id == id)
        gone = x;
      else
        next->push_back(x);
    }
    if (!gone) return false;
    s.current = std::move(next);
  }
  if (const std::uint64_t n = gone->burst.take_unreported()) gone->tell_dropped(n);
  try {
    gone->sink->flush();
  } catch (...) {
  }
  return true;
}

bool set_handler_level(std::string_view id, log_level level) {
  auto h = detail::handlers().find(id);
  if (!h) return false;
  h->level.store(static_cast<std::int8_t>(level), std::memory_order_relaxed);
  return true;
}

std::optional<log_level> handler_level(std::string_view id) {
  auto h = detail::handlers().find(id);
  if (!h) return std::nullopt;
  return static_cast<log_level>(h->level.load(std::memory_order_relaxed));
}

std::optional<std::uint64_t> handler_dropped(std::string_view id) {
  auto h = detail::handlers().find(id);
  if (!h) return std::nullopt;
  return h->burst.dropped();
}

void flush() {
  for (const auto& h : *detail::handlers().snapshot()) {
    if (const std::uint64_t n = h->burst.take_unreported()) h->tell_dropped(n);
    try {
      h->sink->flush();
    } catch (...) {
    }
  }
}

}  // namespace otp::logger

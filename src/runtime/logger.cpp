// Levels, named loggers and the making of an event: the filter every log
// call passes first, and the metadata attached when it passes.
#include "otp/runtime/logger.hpp"

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "otp/runtime/errors.hpp"
#include "runtime/logger_core.hpp"
#include "runtime/node_impl.hpp"

namespace otp {

namespace {
constexpr std::array<std::string_view, 10> kLevelNames = {
    "none", "emergency", "alert", "critical", "error", "warning", "notice", "info", "debug", "all"};
}

std::string_view to_string(log_level level) noexcept {
  const int i = static_cast<int>(level) + 1;
  return i >= 0 && i < static_cast<int>(kLevelNames.size()) ? kLevelNames[i] : "?";
}

log_level parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i)
    if (kLevelNames[i] == name) return static_cast<log_level>(static_cast<int>(i) - 1);
  throw badarg("unknown log level \"" + std::string(name) +
               "\" (expected emergency, alert, critical, error, warning, notice, info, debug, "
               "none or all)");
}

namespace logger {
namespace detail {
namespace {

// The named loggers, by name (invariant 1 of logger_core.hpp).
struct level_table {
  std::shared_mutex mu;
  std::map<std::string, std::unique_ptr<module_entry>, std::less<>> entries;

  module_entry& intern_locked(std::string_view name) {
    auto it = entries.find(name);
    if (it == entries.end()) {
      auto e = std::make_unique<module_entry>();
      e->name = std::string(name);
      e->threshold.store(primary.load(std::memory_order_relaxed), std::memory_order_relaxed);
      it = entries.emplace(e->name, std::move(e)).first;
    }
    return *it->second;
  }
  void set_primary_locked(log_level level) {
    primary.store(static_cast<std::int8_t>(level), std::memory_order_relaxed);
    for (auto& [name, e] : entries)
      if (e->module_level == kNoModuleLevel)
        e->threshold.store(static_cast<std::int8_t>(level), std::memory_order_relaxed);
  }
  void set_module_locked(module_entry& e, std::int8_t level) {
    e.module_level = level;
    e.threshold.store(level == kNoModuleLevel ? primary.load(std::memory_order_relaxed) : level,
                      std::memory_order_relaxed);
  }
};

level_table& levels() {
  static level_table* t = new level_table();  // never destroyed: logging may outlive statics
  return *t;
}

void check_name(std::string_view name) {
  if (name.empty()) throw badarg("logger: a named logger needs a non-empty name");
}

}  // namespace

std::atomic<std::int8_t>& threshold_of(const module_entry& m) noexcept {
  return const_cast<module_entry&>(m).threshold;
}

const module_entry& intern(std::string_view name) {
  check_name(name);
  level_table& t = levels();
  {
    std::shared_lock lk(t.mu);
    if (auto it = t.entries.find(name); it != t.entries.end()) return *it->second;
  }
  std::unique_lock lk(t.mu);
  return t.intern_locked(name);
}

const module_entry& otp_logger() {
  static const module_entry& e = intern("otp");
  return e;
}

void replace_levels(log_level primary_level,
                    const std::vector<std::pair<std::string, log_level>>* module_levels) {
  level_table& t = levels();
  std::unique_lock lk(t.mu);
  if (module_levels != nullptr) {
    for (auto& [name, e] : t.entries) e->module_level = kNoModuleLevel;
    for (const auto& [name, level] : *module_levels)
      t.intern_locked(name).module_level = static_cast<std::int8_t>(level);
  }
  t.set_primary_locked(primary_level);
  for (auto& [name, e] : t.entries) t.set_module_locked(*e, e->module_level);
}

std::int64_t burst_clock_ms() noexcept {
  const otp::detail::context& c = otp::detail::ctx();
  if (c.node != nullptr && c.node->clock.manual())
    return static_cast<std::int64_t>(c.node->clock.now_ms());
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void emit(const module_entry* m, log_level level, call_site at, metadata md, fmt::string_view text,
          fmt::format_args args) noexcept {
  try {
    fmt::memory_buffer msg;
    try {
      fmt::vformat_to(fmt::appender(msg), text, args);
    } catch (const fmt::format_error& e) {
      msg.clear();
      fmt::format_to(fmt::appender(msg), "FORMAT ERROR: \"{}\": {}",
                     std::string_view(text.data(), text.size()), e.what());
    }
    log_event ev;
    ev.level = level;
    ev.time = std::chrono::system_clock::now();
    ev.logger = m != nullptr ? std::string_view(m->name) : std::string_view();
    ev.message = std::string_view(msg.data(), msg.size());
    ev.at = at;
    ev.metadata = std::span<const metadata_item>(md.begin(), md.size());
    std::string name;
    std::shared_ptr<const std::string> app;
    if (const otp::detail::process* p = otp::detail::ctx().proc) {
      ev.process = p->self();
      if (p->has_name.load(std::memory_order_relaxed)) name = p->node->names.name_of(p->slot);
      if (p->extras != nullptr) app = p->extras->application;
    }
    ev.registered_name = name;
    if (app) ev.application = *app;
    dispatch(ev, burst_clock_ms());
  } catch (...) {
    // Logging never takes the caller down (out of memory while formatting).
  }
}

}  // namespace detail

bool allows(log_level level, std::string_view name) {
  detail::level_table& t = detail::levels();
  std::shared_lock lk(t.mu);
  auto it = t.entries.find(name);
  return detail::allows(it != t.entries.end() ? it->second.get() : nullptr, level);
}

void set_primary_level(log_level level) {
  detail::level_table& t = detail::levels();
  std::unique_lock lk(t.mu);
  t.set_primary_locked(level);
}

log_level primary_level() noexcept {
  return static_cast<log_level>(detail::primary.load(std::memory_order_relaxed));
}

void set_module_level(std::string_view name, log_level level) {
  detail::check_name(name);
  detail::level_table& t = detail::levels();
  std::unique_lock lk(t.mu);
  t.set_module_locked(t.intern_locked(name), static_cast<std::int8_t>(level));
}

void unset_module_level(std::string_view name) {
  detail::level_table& t = detail::levels();
  std::unique_lock lk(t.mu);
  if (auto it = t.entries.find(name); it != t.entries.end())
    t.set_module_locked(*it->second, detail::kNoModuleLevel);
}

void unset_module_levels() {
  detail::level_table& t = detail::levels();
  std::unique_lock lk(t.mu);
  for (auto& [name, e] : t.entries) t.set_module_locked(*e, detail::kNoModuleLevel);
}

std::string_view named::name() const noexcept { return m_->name; }

}  // namespace logger
}  // namespace otp

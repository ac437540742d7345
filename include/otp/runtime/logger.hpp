// otp::logger: logging with levels, named loggers and per-event metadata,
// one logger per OS process (as one BEAM has one logger).
//
// | API                                   | OTP                                  |
// |---------------------------------------|--------------------------------------|
// | logger::error("x {}", v) ... debug    | ?LOG_ERROR("x ~p", [V]) ... ?LOG_DEBUG |
// | logger::log(level, ...)               | logger:log/2,3                       |
// | logger::named("a.b").info(...)        | a log macro in module a.b            |
// | logger::allows(level[, name])         | logger:allow/2                       |
// | set_primary_level / primary_level     | logger:set_primary_config(level, L)  |
// | set_module_level / unset_module_level | logger:set_module_level/2, unset_module_level/1 |
//
// Handlers (where events go) are in otp/runtime/logger_handler.hpp, the
// configuration from JSON in otp/runtime/logger_config.hpp.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <type_traits>
#include <utility>

#include "otp/runtime/log_event.hpp"
#include "otp/runtime/log_level.hpp"

namespace otp::logger {

/// Key/value metadata given at a call: `{{"order", id}, {"step", "charge"}}`.
/// Views: nothing is copied unless the event passes the level checks.
using metadata = std::initializer_list<metadata_item>;

/// A compile-time-checked fmt format string and the position of the call
/// that wrote it (taken as a default argument, so no macro is needed).
/// @threadsafe Plain value.
template <class... Args>
struct format_at {
  fmt::format_string<Args...> text;
  call_site at;

  template <class S>
  requires std::convertible_to<const S&, std::string_view>
  // NOLINTNEXTLINE(google-explicit-constructor): a string literal is the format
  consteval format_at(const S& s, call_site where = call_site::current()) : text(s), at(where) {}
  /// A format string known only at run time: `fmt::runtime(text)` (a bad
  /// format then shows as "FORMAT ERROR" in the message).
  // NOLINTNEXTLINE(google-explicit-constructor): fmt::runtime(...) is the format
  format_at(fmt::basic_runtime<char> s, call_site where = call_site::current())
      : text(s), at(where) {}
};

namespace detail {

/// An interned named logger: its name and its threshold (its module level
/// when set, else the primary level). Never freed.
struct module_entry;

/// The primary level (a log_level as int8). Written under the logger's
/// lock, read by anyone.
inline std::atomic<std::int8_t> primary{static_cast<std::int8_t>(log_level::notice)};

/// The threshold of `m`. Reads one atomic.
std::atomic<std::int8_t>& threshold_of(const module_entry& m) noexcept;
/// The interned entry of `name` (created on first use).
const module_entry& intern(std::string_view name);

/// Formats and sends one event that passed the primary/module check to the
/// handlers. Never throws.
void emit(const module_entry* m, log_level level, call_site at, metadata md, fmt::string_view text,
          fmt::format_args args) noexcept;

inline bool allows(const module_entry* m, log_level level) noexcept {
  const std::atomic<std::int8_t>& t = m != nullptr ? threshold_of(*m) : primary;
  return static_cast<std::int8_t>(level) <= t.load(std::memory_order_relaxed) &&
         level != log_level::none && level != log_level::all;
}

template <class... Fmt, class... Args>
void log(const module_entry* m, log_level level, metadata md, const format_at<Fmt...>& f,
         const Args&... args) {
  if (!allows(m, level)) return;
  emit(m, level, f.at, md, fmt::string_view(f.text), fmt::make_format_args(args...));
}

}  // namespace detail

/// True when an event at `level` from the default logger would pass the
/// primary level: one relaxed atomic load, nothing formatted or allocated.
/// Handler levels and burst limits are checked later, per handler.
/// @threadsafe Yes. @mirrors logger:allow/2
inline bool allows(log_level level) noexcept { return detail::allows(nullptr, level); }
/// As allows(level), for the named logger `name` (its module level when
/// set, else the primary level). Looks the name up (a hash and a shared
/// lock): keep a logger::named to make the check one atomic load.
/// @threadsafe Yes. @mirrors logger:allow/2
bool allows(log_level level, std::string_view name);

/// Sets the primary level: events less severe than `level` are dropped
/// before any handler sees them, except from named loggers with a module
/// level. The default is `notice` (so `info` and `debug` events, progress
/// reports among them, are off).
/// @threadsafe Yes, from any thread; takes effect for later calls.
/// @mirrors logger:set_primary_config(level, Level)
void set_primary_level(log_level level);
/// The primary level. @threadsafe Yes. @mirrors logger:get_primary_config/0
log_level primary_level() noexcept;

/// Sets the level of the named logger `name` (exact name, no hierarchy:
/// "a.b" does not cover "a.b.c"): it replaces the primary level for events
/// logged through that name, more or less verbose. Handler levels still apply.
/// @throws otp::badarg for an empty name.
/// @threadsafe Yes. @mirrors logger:set_module_level/2
void set_module_level(std::string_view name, log_level level);
/// Removes the module level of `name` (the primary level applies again);
/// nothing happens when it has none. @threadsafe Yes.
/// @mirrors logger:unset_module_level/1
void unset_module_level(std::string_view name);
/// Removes every module level. @threadsafe Yes.
/// @mirrors logger:unset_module_level/0
void unset_module_levels();

/// Logs `f` formatted with `args` at `level` through the default logger
/// (nothing is formatted when the level is filtered out). Never throws: a
/// runtime format error is logged as "FORMAT ERROR", a failing handler is
/// skipped.
/// @threadsafe Yes, from processes and plain threads.
/// @mirrors logger:log/3 (the ?LOG macros)
template <class... Args>
void log(log_level level, format_at<std::type_identity_t<Args>...> f, Args&&... args) {
  detail::log(nullptr, level, {}, f, args...);
}
/// As log(level, f, args...), with key/value metadata for this event.
template <class... Args>
void log(log_level level, metadata md, format_at<std::type_identity_t<Args>...> f, Args&&... args) {
  detail::log(nullptr, level, md, f, args...);
}

// One function per level, as OTP's ?LOG_EMERGENCY ... ?LOG_DEBUG; each has a
// form with metadata as its first argument. See log() for the contract.
// clang-format off
template <class... A> void emergency(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::emergency, {}, f, a...); }
template <class... A> void emergency(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::emergency, md, f, a...); }
template <class... A> void alert(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::alert, {}, f, a...); }
template <class... A> void alert(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::alert, md, f, a...); }
template <class... A> void critical(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::critical, {}, f, a...); }
template <class... A> void critical(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::critical, md, f, a...); }
template <class... A> void error(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::error, {}, f, a...); }
template <class... A> void error(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::error, md, f, a...); }
template <class... A> void warning(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::warning, {}, f, a...); }
template <class... A> void warning(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::warning, md, f, a...); }
template <class... A> void notice(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::notice, {}, f, a...); }
template <class... A> void notice(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::notice, md, f, a...); }
template <class... A> void info(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::info, {}, f, a...); }
template <class... A> void info(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::info, md, f, a...); }
template <class... A> void debug(format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::debug, {}, f, a...); }
template <class... A> void debug(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) { detail::log(nullptr, log_level::debug, md, f, a...); }
// clang-format on

/// A named logger: the C++ counterpart of an Erlang module as far as levels
/// go ("order_system.payment"). Its level check is one atomic load (the
/// name is interned once, at construction). Cheap to copy; keep one per
/// component (a static or a member).
///
/// Events logged through it carry its name (log_event::logger) and obey its
/// module level (set_module_level) when one is set, the primary level
/// otherwise.
/// @threadsafe Every member, from any thread.
/// @mirrors the module a ?LOG macro is called in (its mfa metadata)
class named {
 public:
  /// Interns `name` (a lock and an allocation the first time a name is seen).
  /// @throws otp::badarg for an empty name.
  explicit named(std::string_view name) : m_(&detail::intern(name)) {}

  /// The logger's name.
  std::string_view name() const noexcept;
  /// True when an event at `level` passes this logger's threshold.
  bool allows(log_level level) const noexcept { return detail::allows(m_, level); }

  /// As logger::log, through this logger.
  template <class... A>
  void log(log_level level, format_at<std::type_identity_t<A>...> f, A&&... a) const {
    detail::log(m_, level, {}, f, a...);
  }
  template <class... A>
  void log(log_level level, metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const {
    detail::log(m_, level, md, f, a...);
  }
  // clang-format off
  template <class... A> void emergency(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::emergency, {}, f, a...); }
  template <class... A> void emergency(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::emergency, md, f, a...); }
  template <class... A> void alert(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::alert, {}, f, a...); }
  template <class... A> void alert(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::alert, md, f, a...); }
  template <class... A> void critical(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::critical, {}, f, a...); }
  template <class... A> void critical(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::critical, md, f, a...); }
  template <class... A> void error(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::error, {}, f, a...); }
  template <class... A> void error(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::error, md, f, a...); }
  template <class... A> void warning(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::warning, {}, f, a...); }
  template <class... A> void warning(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::warning, md, f, a...); }
  template <class... A> void notice(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::notice, {}, f, a...); }
  template <class... A> void notice(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::notice, md, f, a...); }
  template <class... A> void info(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::info, {}, f, a...); }
  template <class... A> void info(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::info, md, f, a...); }
  template <class... A> void debug(format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::debug, {}, f, a...); }
  template <class... A> void debug(metadata md, format_at<std::type_identity_t<A>...> f, A&&... a) const { detail::log(m_, log_level::debug, md, f, a...); }
  // clang-format on

 private:
  const detail::module_entry* m_;
};

}  // namespace otp::logger

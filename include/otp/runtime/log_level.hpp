// otp::log_level: the eight severities of OTP's logger (RFC 5424), plus the
// two thresholds `none` and `all`.
#pragma once

#include <cstdint>
#include <string_view>

namespace otp {

/// How severe a log event is, most severe first, as OTP's logger levels.
///
/// A threshold (the primary level, a module level, a handler level) lets
/// through the events at that level and every more severe one: a threshold
/// of `notice` lets `error` through and stops `info`. `none` as a threshold
/// stops everything, `all` lets everything through; neither is the level of
/// an event.
///
/// Where spdlog writes an event (the built-in handlers), the level maps to
/// spdlog's: emergency, alert and critical -> critical; error -> err;
/// warning -> warn; notice and info -> info; debug -> debug; `none` -> off;
/// `all` -> trace.
/// @threadsafe Plain value.
/// @mirrors logger:level()
enum class log_level : std::int8_t {
  none = -1,  ///< threshold only: nothing passes
  emergency = 0,
  alert = 1,
  critical = 2,
  error = 3,
  warning = 4,
  notice = 5,
  info = 6,
  debug = 7,
  all = 8,  ///< threshold only: everything passes
};

/// True when an event at `level` passes the threshold `threshold`.
constexpr bool passes(log_level level, log_level threshold) noexcept {
  return static_cast<std::int8_t>(level) <= static_cast<std::int8_t>(threshold);
}

/// The level's name as OTP spells it ("emergency", ..., "debug", "none",
/// "all"). @threadsafe Yes.
std::string_view to_string(log_level level) noexcept;

/// The level named `name` (exactly as to_string spells it).
/// @throws otp::badarg naming the text and the accepted names when `name`
///   is no level.
/// @threadsafe Yes.
log_level parse_log_level(std::string_view name);

}  // namespace otp

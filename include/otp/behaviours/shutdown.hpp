// otp::shutdown_spec: how a process is asked to stop (brutal_kill, or
// `shutdown` then a grace time before kill).
#pragma once

#include <chrono>
#include <string>

#include "otp/runtime/timeout.hpp"

namespace otp {

struct brutal_kill_t {
  explicit constexpr brutal_kill_t() = default;
};
/// Stop a process at once with the untrappable `kill`.
inline constexpr brutal_kill_t brutal_kill{};

/// How to stop a process: `brutal_kill`, or a grace time (milliseconds or
/// infinity) between the `shutdown` exit signal and `kill`.
///
/// Converts implicitly from otp::brutal_kill, otp::infinity, a std::chrono
/// duration and a number of milliseconds.
/// @throws otp::badarg for a negative or too large grace time (see otp::timeout).
/// @threadsafe Plain value.
/// @mirrors the Shutdown of a child spec (brutal_kill | timeout()) and of
///   Task.shutdown/2
class shutdown_spec {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr shutdown_spec(brutal_kill_t) noexcept : grace_(0), brutal_(true) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr shutdown_spec(timeout grace) noexcept : grace_(grace) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr shutdown_spec(infinity_t) noexcept : grace_(infinity) {}
  template <class Rep, class Period>
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr shutdown_spec(std::chrono::duration<Rep, Period> grace) : grace_(grace) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr shutdown_spec(int ms) : grace_(ms) {}

  /// True for brutal_kill.
  constexpr bool is_brutal_kill() const noexcept { return brutal_; }
  /// How long the process may take to end after `shutdown` (0 for brutal_kill).
  constexpr timeout grace() const noexcept { return grace_; }
  /// `brutal_kill`, `infinity` or the milliseconds, as OTP prints them.
  std::string to_string() const;

 private:
  timeout grace_;
  bool brutal_ = false;
};

}  // namespace otp

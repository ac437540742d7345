// Timeouts: a number of milliseconds or infinity.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "otp/runtime/errors.hpp"

namespace otp {

/// The largest finite timeout accepted: 2^32-1 ms (about 49.7 days), as
/// Erlang's `receive ... after`.
inline constexpr std::uint64_t kMaxTimeoutMs = 0xFFFF'FFFFull;

struct infinity_t {
  explicit constexpr infinity_t() = default;
};
/// No timeout: wait forever.
inline constexpr infinity_t infinity{};

/// A timeout in whole milliseconds, or infinity.
///
/// Built from any std::chrono duration (rounded up to whole milliseconds) or
/// from a plain integer of milliseconds.
/// @throws otp::badarg for a negative timeout or one above kMaxTimeoutMs.
class timeout {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr timeout(infinity_t) noexcept : ms_(kInfinite) {}
  template <class Rep, class Period>
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr timeout(std::chrono::duration<Rep, Period> d)
      : ms_(check(std::chrono::ceil<std::chrono::milliseconds>(d).count())) {}
  /// `ms` milliseconds.
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr timeout(long long ms) : ms_(check(ms)) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  constexpr timeout(int ms) : ms_(check(ms)) {}

  constexpr bool is_infinite() const noexcept { return ms_ == kInfinite; }
  /// Milliseconds; meaningless when infinite.
  constexpr std::uint64_t ms() const noexcept { return ms_; }

 private:
  static constexpr std::uint64_t kInfinite = ~std::uint64_t{0};
  static constexpr std::uint64_t check(long long ms) {
    if (ms < 0) throw badarg("timeout: negative value " + std::to_string(ms) + " ms");
    if (static_cast<unsigned long long>(ms) > kMaxTimeoutMs)
      throw badarg("timeout: " + std::to_string(ms) + " ms exceeds the maximum of 4294967295 ms");
    return static_cast<std::uint64_t>(ms);
  }
  std::uint64_t ms_;
};

}  // namespace otp

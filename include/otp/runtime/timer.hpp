// Timer references: what send_after returns and cancel_timer takes.
#pragma once

#include <cstdint>
#include <string>

namespace otp {

namespace detail {
struct timer_entry;
}

/// Names one started timer. Stale references are safe: cancelling a timer
/// that fired, was cancelled, or whose entry was reused answers "not found".
/// @threadsafe Plain value.
/// @mirrors the reference returned by erlang:send_after/3
class timer_ref {
 public:
  constexpr timer_ref() noexcept = default;
  timer_ref(detail::timer_entry* e, std::uint64_t gen) noexcept : entry_(e), gen_(gen) {}

  bool is_null() const noexcept { return entry_ == nullptr; }
  detail::timer_entry* entry() const noexcept { return entry_; }
  std::uint64_t generation() const noexcept { return gen_; }
  friend bool operator==(const timer_ref&, const timer_ref&) noexcept = default;

  /// `#Timer<generation>`.
  std::string to_string() const { return "#Timer<" + std::to_string(gen_) + ">"; }

 private:
  detail::timer_entry* entry_ = nullptr;
  std::uint64_t gen_ = 0;
};

}  // namespace otp

// A node's clock: milliseconds since the node started, on the steady clock,
// or virtual time on a manual node (moved only by the thread driving it).
//
// Invariants:
//  1. now_ms() never goes backwards.
//  2. A real clock is never moved; a virtual one only forwards (advance_to).
// Callers: any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace otp::detail {

class node_clock {
 public:
  explicit node_clock(bool manual) noexcept : manual_(manual) {}

  bool manual() const noexcept { return manual_; }
  /// Milliseconds since the node started (rounded down), or virtual time.
  std::uint64_t now_ms() const noexcept {
    if (manual_) return virtual_ms_.load(std::memory_order_acquire);
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - started_)
                                          .count());
  }
  /// The steady-clock time of `ms` on this clock (real clocks only).
  std::chrono::steady_clock::time_point at(std::uint64_t ms) const noexcept {
    return started_ + std::chrono::milliseconds(ms);
  }
  /// Moves virtual time forward to `ms` (an earlier `ms` is ignored).
  void advance_to(std::uint64_t ms) noexcept {
    std::uint64_t cur = virtual_ms_.load(std::memory_order_acquire);
    while (ms > cur && !virtual_ms_.compare_exchange_weak(cur, ms, std::memory_order_acq_rel)) {
    }
  }

 private:
  const bool manual_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> virtual_ms_{0};
};

}  // namespace otp::detail

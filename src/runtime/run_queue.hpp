// A worker's local run queue: a bounded ring the owner pushes at the tail and
// everyone pops at the head with a CAS (owner pops, thieves steal).
//
// Invariants:
//  1. Only the owner writes `tail_`; head_ only moves forward by CAS.
//  2. The owner writes slot t only when t - head < kCapacity, so a slot being
//     read by a thief that still sees the old head is never overwritten before
//     that thief's CAS fails.
#pragma once

#include <atomic>
#include <cstdint>

namespace otp::detail {

struct process;

class run_queue {
 public:
  static constexpr std::uint32_t kCapacity = 256;

  /// Owner only. False when full (the caller overflows to the global queue).
  bool push(process* p) noexcept {
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    std::uint32_t h = head_.load(std::memory_order_acquire);
    if (t - h >= kCapacity) return false;
    buf_[t & (kCapacity - 1)].store(p, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  /// Owner or thief: takes the oldest entry, or nullptr.
  process* pop() noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      if (h == t) return nullptr;
      process* p = buf_[h & (kCapacity - 1)].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return p;
    }
  }

  std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }

 private:
  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::atomic<process*> buf_[kCapacity] = {};
};

}  // namespace otp::detail

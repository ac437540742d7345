// A worker's stack of newly spawned processes: the owner pushes and pops at
// the bottom (newest first, so process trees run depth-first and stay
// small); thieves take from the top (oldest, usually the largest subtree).
// A bounded Chase-Lev deque (Lê, Pop, Cohen, Zappa Nardelli, PPoPP 2013).
//
// Invariants:
//  1. Only the owner writes `bottom_`; `top_` only grows, by CAS.
//  2. The owner and a thief race only for the last element, and settle it
//     with one CAS on `top_`.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace otp::detail {

struct process;

class spawn_stack {
 public:
  static constexpr std::int64_t kCapacity = 1024;

  /// Owner only. False when full.
  bool push(process* p) noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed);
    const std::int64_t t = top_.load(std::memory_order_acquire);
    if (b - t >= kCapacity) return false;
    buf_[b & (kCapacity - 1)].store(p, std::memory_order_relaxed);
    bottom_.store(b + 1, std::memory_order_release);
    return true;
  }

  /// Owner only: the newest entry, or nullptr.
  process* pop() noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    bottom_.store(b, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    std::int64_t t = top_.load(std::memory_order_relaxed);
    if (t > b) {
      bottom_.store(b + 1, std::memory_order_relaxed);
      return nullptr;
    }
    process* p = buf_[b & (kCapacity - 1)].load(std::memory_order_relaxed);
    if (t == b) {  // the last one: race the thieves for it
      if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed))
        p = nullptr;
      bottom_.store(b + 1, std::memory_order_relaxed);
    }
    return p;
  }

  /// Any thread: the oldest entry, or nullptr (also when it lost a race).
  process* steal() noexcept {
    std::int64_t t = top_.load(std::memory_order_acquire);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::int64_t b = bottom_.load(std::memory_order_acquire);
    if (t >= b) return nullptr;
    process* p = buf_[t & (kCapacity - 1)].load(std::memory_order_relaxed);
    if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                      std::memory_order_relaxed))
      return nullptr;
    return p;
  }

  /// Any thread: entries now (a moment old when read by another thread).
  std::size_t size() const noexcept {
    const std::int64_t d =
        bottom_.load(std::memory_order_acquire) - top_.load(std::memory_order_acquire);
    return d > 0 ? static_cast<std::size_t>(d) : 0;
  }

  bool empty() const noexcept {
    return bottom_.load(std::memory_order_acquire) <= top_.load(std::memory_order_acquire);
  }

 private:
  alignas(64) std::atomic<std::int64_t> top_{0};
  alignas(64) std::atomic<std::int64_t> bottom_{0};
  std::atomic<process*> buf_[kCapacity] = {};
};

}  // namespace otp::detail

// A mutex for short critical sections: a waiter spins a little before it
// sleeps (a futex, through std::atomic::wait), because the holder is most
// likely done within a few hundred cycles.
//
// Why not std::mutex: two threads updating the same 16 counters
// (`otp_bench ets_counter_par`) spent a third of their time in
// pthread_mutex_lock and futex wake-ups (perf record), as glibc's default
// mutex sleeps at once. Why not absl::Mutex, which spins too: Debian's build
// of it is not compiled for ThreadSanitizer, so the TSan build would not
// see the order it makes (docs/decisions/0006-tables.md).
#pragma once

#include <atomic>
#include <cstdint>

namespace otp::detail {

class short_mutex {
 public:
  short_mutex() = default;
  short_mutex(const short_mutex&) = delete;
  short_mutex& operator=(const short_mutex&) = delete;

  bool try_lock() noexcept {
    std::uint32_t free = kFree;
    return state_.compare_exchange_strong(free, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void lock() noexcept {
    for (int i = 0; i < kSpins; ++i) {
      if (state_.load(std::memory_order_relaxed) == kFree && try_lock()) return;
      pause();
    }
    // Sleep, marking the lock as having sleepers so that unlock wakes one.
    while (state_.exchange(kContended, std::memory_order_acquire) != kFree)
      state_.wait(kContended, std::memory_order_relaxed);
  }
  void unlock() noexcept {
    if (state_.exchange(kFree, std::memory_order_release) == kContended) state_.notify_one();
  }

 private:
  static constexpr std::uint32_t kFree = 0;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kContended = 2;  // locked, and a thread may sleep on it
  static constexpr int kSpins = 128;

  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  std::atomic<std::uint32_t> state_{kFree};
};

}  // namespace otp::detail

// The lock of a table's stripe (or of an ordered_set's tree).
//
// Without read_concurrency it is a plain mutex (short_mutex): readers and writers take it
// alone, which is the cheapest when threads rarely meet. With it, readers
// announce themselves in one of kSlots counters, each on its own cache
// line, chosen by the reading thread, so two threads reading at once write
// to different lines and do not slow each other down (ETS's reader groups
// do the same); a writer raises a flag and waits for every counter to drain,
// so writes cost more.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>

#include "otp/runtime/detail/short_mutex.hpp"

namespace otp::detail {

class store_lock {
 public:
  explicit store_lock(bool read_concurrency = false)
      : shared_(read_concurrency), slots_(read_concurrency ? new slot[kSlots] : nullptr) {}
  store_lock(const store_lock&) = delete;
  store_lock& operator=(const store_lock&) = delete;

  void lock() {
    mu_.lock();
    drain_readers();
  }
  /// Takes the lock for writing unless another writer holds it (readers
  /// still in are waited for).
  bool try_lock() {
    if (!mu_.try_lock()) return false;
    drain_readers();
    return true;
  }
  void unlock() noexcept {
    if (shared_) writer_.store(false, std::memory_order_release);
    mu_.unlock();
  }
  void lock_shared() {
    if (!shared_) return lock();
    slot& s = slots_[my_slot()];
    for (;;) {
      s.readers.fetch_add(1, std::memory_order_seq_cst);
      if (!writer_.load(std::memory_order_seq_cst)) return;
      s.readers.fetch_sub(1, std::memory_order_release);
      while (writer_.load(std::memory_order_acquire)) std::this_thread::yield();
    }
  }
  void unlock_shared() noexcept {
    if (!shared_) return unlock();
    slots_[my_slot()].readers.fetch_sub(1, std::memory_order_release);
  }

 private:
  static constexpr std::size_t kSlots = 16;
  struct alignas(64) slot {
    std::atomic<unsigned> readers{0};
  };
  void drain_readers() {
    if (!shared_) return;
    writer_.store(true, std::memory_order_seq_cst);
    for (std::size_t i = 0; i < kSlots; ++i)
      while (slots_[i].readers.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  }
  static std::size_t my_slot() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kSlots;
    return mine;
  }

  const bool shared_;
  short_mutex mu_;
  alignas(64) std::atomic<bool> writer_{false};
  std::unique_ptr<slot[]> slots_;  // only with read_concurrency
};

/// Holds `l` (a store_lock, or a lock like it) for reading (shared) or
/// writing for its scope.
template <class Lock = store_lock>
class store_guard {
 public:
  store_guard(Lock& l, bool write) : l_(l), write_(write) {
    if (write_)
      l_.lock();
    else
      l_.lock_shared();
  }
  store_guard(const store_guard&) = delete;
  store_guard& operator=(const store_guard&) = delete;
  ~store_guard() {
    if (write_)
      l_.unlock();
    else
      l_.unlock_shared();
  }

 private:
  Lock& l_;
  bool write_;
};

}  // namespace otp::detail

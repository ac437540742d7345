// A node's timer entries: where they are allocated and freed, and the
// timers started on threads that are no scheduler, waiting for a worker to
// put them on its wheel. The wheels themselves are per worker
// (timer_wheel.hpp); arming and firing are the scheduler's (timers.cpp).
//
// Invariants:
//  1. Entries are type-stable: allocated in chunks that live as long as the
//     store, never freed one by one, so a stale timer_ref can always read
//     its entry's state word.
//  2. Every entry's `home` is the store's node.
//  3. The global free list, the chunks and the deferred list are guarded by
//     `mu_`; a worker's own free list (worker::free_timers) is owner-only.
//  4. has_deferred() is true whenever the deferred list may be non-empty.
// Callers: any thread of the node; stop() from node::stop only, once the
// workers have stopped.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace otp::detail {

class node_impl;
class worker;
struct timer_entry;

class timer_store {
 public:
  explicit timer_store(node_impl& home) : home_(home) {}
  timer_store(const timer_store&) = delete;
  timer_store& operator=(const timer_store&) = delete;
  ~timer_store();

  /// A free entry, from `w`'s cache when given. @throws std::bad_alloc
  timer_entry* alloc(worker* w);
  /// Clears `e` (destroying its message) and returns it to `w`'s cache, or
  /// to the global list when `w` is null.
  void free(worker* w, timer_entry* e) noexcept;
  /// Keeps `e`, started where no worker runs, until a worker adopts it.
  void defer(timer_entry* e);
  bool has_deferred() const noexcept { return has_deferred_.load(std::memory_order_acquire); }
  /// Puts every deferred entry on `w`'s wheel.
  void adopt(worker& w) noexcept;
  /// Timers started off the schedulers and not yet on a wheel.
  std::size_t deferred() const;
  /// Bytes of the entry chunks (entries in use and free).
  std::size_t bytes() const;
  /// Destroys the messages of the deferred entries and forgets them.
  void stop() noexcept;

 private:
  node_impl& home_;
  mutable std::mutex mu_;
  timer_entry* free_ = nullptr;
  std::vector<std::unique_ptr<timer_entry[]>> chunks_;
  std::vector<timer_entry*> deferred_;
  std::atomic<bool> has_deferred_{false};
};

}  // namespace otp::detail

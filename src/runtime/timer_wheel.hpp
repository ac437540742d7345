// Timers: type-stable entries with an atomic state, kept by a hashed wheel.
//
// Invariants:
//  1. An entry's `state` is (generation << 2 | status). cancel_timer and the
//     wheel race with one CAS from pending; a timer_ref whose generation is
//     stale can never win it, so stale refs are harmless.
//  2. The wheel (its lists, `cursor_`, counts) is owner-only: the worker that
//     holds the entry. A cancel on another thread only flips the state; the
//     owner frees the entry when it reaches it. Only `count_` is read by
//     other threads (otp::statistics), relaxed.
//  3. Entries are never returned to the system while the node lives.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

class node_impl;

enum class timer_kind : std::uint8_t { send, receive_timeout };

inline constexpr std::uint64_t kTimerPending = 0;
inline constexpr std::uint64_t kTimerFired = 1;
inline constexpr std::uint64_t kTimerCancelled = 2;

struct timer_entry {
  timer_entry* prev = nullptr;
  timer_entry* next = nullptr;
  std::atomic<std::uint64_t> state{0};
  std::uint64_t deadline = 0;                   // node clock, ms; owner-only (see deadline_seen)
  std::atomic<std::uint64_t> deadline_seen{0};  // copy readable by cancel_timer
  std::atomic<int> owner{-1};
  node_impl* home =
      nullptr;  // the node whose pool holds the entry  // index of the worker whose wheel holds it
  timer_kind kind = timer_kind::send;
  pid target;
  std::string name;         // destination name (send to name), else empty
  envelope* msg = nullptr;  // timer_kind::send
  std::uint64_t seq = 0;    // timer_kind::receive_timeout: receive number

  std::uint64_t generation() const noexcept { return state.load(std::memory_order_relaxed) >> 2; }
};

/// One worker's wheel: 1024 one-millisecond slots; entries further away stay
/// in their slot for more rounds.
class timer_wheel {
 public:
  static constexpr std::uint64_t kSlots = 1024;

  /// Owner only. Adds `e` (deadline already set).
  void insert(timer_entry* e) noexcept;
  /// Owner only. Removes `e`, which must be in this wheel.
  void remove(timer_entry* e) noexcept;
  /// Owner only. Processes every tick up to and including `now`, calling
  /// `due(e)` for each entry whose deadline has come (already removed).
  template <class Due>
  void advance(std::uint64_t now, Due&& due);
  /// The next tick at which some entry may be due, if any.
  std::optional<std::uint64_t> next_tick() const noexcept;
  /// Entries in the wheel. Any thread (relaxed: another thread's reading
  /// may be a moment old).
  std::size_t size() const noexcept { return count_.load(std::memory_order_relaxed); }
  /// Removes and returns every entry (for shutdown), as a list through `next`.
  timer_entry* take_all() noexcept;
  /// Owner only. Removes every entry cancelled from another thread and
  /// passes it to `dispose`. O(slots + entries).
  template <class Dispose>
  void sweep_cancelled(Dispose&& dispose);

 private:
  template <class Due>
  void process_slot(std::uint64_t slot, std::uint64_t now, Due& due);

  timer_entry* slots_[kSlots] = {};
  std::uint64_t occupied_[kSlots / 64] = {};
  std::uint64_t cursor_ = 0;           // every tick < cursor_ has been processed
  std::atomic<std::size_t> count_{0};  // written by the owner only
};

template <class Due>
void timer_wheel::process_slot(std::uint64_t slot, std::uint64_t now, Due& due) {
  timer_entry* e = slots_[slot];
  while (e != nullptr) {
    timer_entry* nx = e->next;
    if (e->deadline <= now) {
      remove(e);
      due(e);
    }
    e = nx;
  }
}

template <class Dispose>
void timer_wheel::sweep_cancelled(Dispose&& dispose) {
  for (std::uint64_t s = 0; s < kSlots; ++s) {
    timer_entry* e = slots_[s];
    while (e != nullptr) {
      timer_entry* nx = e->next;
      if ((e->state.load(std::memory_order_acquire) & 3) == kTimerCancelled) {
        remove(e);
        dispose(e);
      }
      e = nx;
    }
  }
}

template <class Due>
void timer_wheel::advance(std::uint64_t now, Due&& due) {
  if (now < cursor_) return;
  if (size() == 0) {
    cursor_ = now + 1;
    return;
  }
  if (now - cursor_ + 1 >= kSlots) {
    for (std::uint64_t s = 0; s < kSlots; ++s)
      if (occupied_[s / 64] & (std::uint64_t{1} << (s % 64))) process_slot(s, now, due);
  } else {
    for (std::uint64_t t = cursor_; t <= now; ++t) {
      std::uint64_t s = t % kSlots;
      if (occupied_[s / 64] & (std::uint64_t{1} << (s % 64))) process_slot(s, now, due);
    }
  }
  cursor_ = now + 1;
}

}  // namespace otp::detail

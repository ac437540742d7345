// The process control block, as far as the receive and spawn templates must see it.
//
// Concurrency contract (numbered invariants, see docs/internals/process.md):
//  1. `inbox` is the only field other threads write. Producers push with one
//     CAS; the tag values kWaiting (owner parked, queue empty) and kClosed (the
//     incarnation ended) live in the same word, so parking and closing are one
//     atomic step each and a push sees them.
//  2. `serial_word` and `status` are read by any thread (relaxed, advisory)
//     and written by the owner and the slot allocator only.
//  3. Every other field is owner-only: touched by the thread currently running
//     the process (or the thread owning a thread mailbox). After the owner
//     publishes kWaiting it must not touch the block again: another worker may
//     already be running it.
//  4. Control blocks are type-stable: a slot's block is never freed while the
//     node lives, so a stale pid can only ever reach a closed inbox or an
//     incarnation whose serial differs (messages are stamped with the serial
//     the sender addressed and dropped on mismatch).
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>

#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

class node_impl;
class worker;
struct process_extras;
struct timer_entry;

/// Tag values of process::inbox besides real envelope pointers.
/// kWaiting: a coroutine process parked (the pusher schedules it);
/// kWaitingThread: a thread mailbox blocked (the pusher notifies its waiter).
/// The tag itself says which, so a pusher never reads the block to decide.
inline envelope* const kWaiting = reinterpret_cast<envelope*>(std::uintptr_t{1});
inline envelope* const kClosed = reinterpret_cast<envelope*>(std::uintptr_t{2});
inline envelope* const kWaitingThread = reinterpret_cast<envelope*>(std::uintptr_t{3});
inline bool is_tag(envelope* e) noexcept { return reinterpret_cast<std::uintptr_t>(e) <= 3; }

inline constexpr std::uint32_t kDeadBit = 0x8000'0000u;

enum class run_state : std::uint8_t { free, runnable, running, waiting, exiting };

/// Matches the pending receive against the save queue; true when the receive
/// can complete (a message matched, or the timeout fired with no match).
using match_fn = bool (*)(void* awaiter, process& p);

struct process {
  // Fields are ordered to pack into 184 bytes (no padding holes): a block per
  // process, a million processes.

  // --- shared ---
  std::atomic<envelope*> inbox{kClosed};
  std::atomic<std::uint32_t> serial_word{kDeadBit};
  std::atomic<run_state> status{run_state::free};
  std::atomic<bool> has_name{false};
  /// A thread mailbox, not a coroutine. Atomic: node::stop reads it for any slot.
  std::atomic<bool> external{false};
  bool trap_exit = false;  // owner-only
  /// Where a thread mailbox in this slot blocks. Set the first time a mailbox
  /// uses the slot and never cleared (waiters are never freed), so a late
  /// notify through a reused slot is only a spurious wake-up.
  std::atomic<void*> waiter{nullptr};
  /// The process that spawned this one with a link (slot << 32 | serial), or
  /// 0: set at spawn, read by any thread (a start that finds its name held by
  /// a process whose link parent is gone waits for that holder to exit).
  std::atomic<std::uint64_t> link_parent{0};

  // --- set per incarnation before the pid is published ---
  node_impl* node = nullptr;
  std::uint32_t node_id = 0;
  std::uint32_t slot = 0;
  std::uint32_t serial = 0;

  // --- owner-only ---
  /// Messages in the save queue. Written by the owner only (a relaxed load
  /// and store, no read-modify-write); atomic so that otp::statistics can
  /// add the queues up from another thread.
  std::atomic<std::uint32_t> save_len{0};
  envelope* save_head = nullptr;
  envelope** save_tail = &save_head;
  std::uint32_t max_mailbox = 0;
  bool exit_pending = false;  // a signal decided this process must exit
  bool rx_timed_out = false;  // the pending receive's timeout fired
  /// Owns (or is being given) a table: its exit runs the node's owner-exit
  /// hook (detail/table_owners.hpp). Set by any thread, read at exit.
  std::atomic<bool> owns_tables{false};
  std::uint64_t reductions = 0;  // messages handled
  std::coroutine_handle<> resume_point;
  std::coroutine_handle<> top;
  exit_reason reason;  // exit reason once decided

  // receive in progress
  void* rx_awaiter = nullptr;
  match_fn rx_match = nullptr;
  envelope** rx_cursor = &save_head;  // next envelope to examine
  std::uint64_t rx_seq = 0;           // number of the current receive
  timer_entry* rx_timer = nullptr;    // its timeout, if armed
  std::uint64_t rx_timer_gen = 0;

  process_extras* extras = nullptr;  // links, monitors: allocated on first use

  pid self() const noexcept { return pid(node_id, slot, serial); }
};

static_assert(sizeof(process) <= 184, "keep the process block small: see the field order");

}  // namespace otp::detail

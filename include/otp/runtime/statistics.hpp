// Runtime statistics of one node: what erlang:statistics/1 and
// erlang:system_info/1 tell about the load of a BEAM node.
//
//   auto before = otp::statistics(node);
//   ...
//   auto after = otp::statistics(node);
//   double busy = otp::scheduler_utilisation(before.scheduler_wall_time[0],
//                                            after.scheduler_wall_time[0]);
//
// | field                    | Erlang                                        |
// |--------------------------|-----------------------------------------------|
// | uptime                   | erlang:statistics(wall_clock) (first element) |
// | schedulers               | erlang:system_info(schedulers)                |
// | scheduler_wall_time      | erlang:statistics(scheduler_wall_time)        |
// | run_queue_lengths        | erlang:statistics(run_queue_lengths)          |
// | run_queue                | erlang:statistics(total_run_queue_lengths)    |
// | process_count            | erlang:system_info(process_count)             |
// | process_limit            | erlang:system_info(process_limit)             |
// | processes_spawned/exited | (no counterpart; counts since the node began) |
// | reductions               | erlang:statistics(reductions) (dispatches)    |
// | timers                   | (no counterpart: the BEAM does not count them) |
// | messages_queued          | sum of process_info(P, message_queue_len)     |
// | *_bytes, blocks          | erlang:memory/0 (processes, system)           |
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "otp/runtime/memory.hpp"

namespace otp {

class node;

/// One scheduler thread's wall time since it started, split into the time
/// it ran processes (or timers) and the rest: searching for work, spinning
/// and parked count as idle.
/// @mirrors an element {Id, ActiveTime, TotalTime} of
///   erlang:statistics(scheduler_wall_time)
struct scheduler_wall_time {
  unsigned id = 0;                    ///< index of the scheduler, 0-based
  std::chrono::nanoseconds active{};  ///< busy time since the thread started
  std::chrono::nanoseconds total{};   ///< wall time since the thread started
};

/// A snapshot of a node's load, counts and memory. Each field is read on
/// its own (no global pause), so fields may disagree by the work done while
/// they were read.
struct node_statistics {
  /// Time since the node started, virtual on a manual node.
  std::chrono::milliseconds uptime{};
  /// Scheduler threads (1 on a manual node, whose owner thread drives it).
  unsigned schedulers = 0;
  /// One entry per scheduler thread, by index. All zero on a manual node,
  /// which has no scheduler thread (its time is the driving thread's).
  std::vector<scheduler_wall_time> scheduler_wall_time;
  /// Runnable processes waiting in each scheduler's own queues (woken and
  /// newly spawned ones), by index.
  std::vector<std::size_t> run_queue_lengths;
  /// Runnable processes in the node's shared queue (woken from outside the
  /// schedulers, or overflowing a scheduler's queue).
  std::size_t global_run_queue_length = 0;
  /// The sum of run_queue_lengths and global_run_queue_length.
  std::size_t run_queue = 0;
  /// Live processes, thread mailboxes included.
  std::size_t process_count = 0;
  /// The most processes alive at once (node_options::max_processes).
  std::size_t process_limit = 0;
  /// Processes born since the node started, thread mailboxes included.
  std::uint64_t processes_spawned = 0;
  /// Processes that have ended since the node started.
  std::uint64_t processes_exited = 0;
  /// Dispatches since the node started: each time a process was given a
  /// scheduler (BEAM counts reductions, finer grained).
  std::uint64_t reductions = 0;
  /// Timers started and neither fired nor cancelled yet (send_after, receive
  /// timeouts). A cancelled timer counts until its scheduler drops it.
  std::size_t timers = 0;
  /// Messages in the processes' save queues: delivered to a process and not
  /// received yet. Messages sent since the process last ran are in its
  /// inbox and not counted. Computed by visiting every process slot ever
  /// used: O(process table high water).
  std::size_t messages_queued = 0;
  /// Bytes of process control blocks (the table grows by chunks and never
  /// shrinks while the node lives).
  std::size_t process_table_bytes = 0;
  /// Bytes of timer entries (in use and free).
  std::size_t timer_bytes = 0;
  /// The block allocator (messages, coroutine frames, signals), shared by
  /// every node of the program: see otp::memory().
  memory_info blocks{};
};

/// Takes a snapshot of `n`'s statistics. Cost: a pass over the schedulers,
/// plus one over the process slots for messages_queued (about a millisecond
/// per 200,000 processes): call it now and then (a scrape, a dashboard
/// refresh), not per request.
/// @param n a node, running, manual or stopped
/// @returns the snapshot; never throws except std::bad_alloc
/// @threadsafe Any thread, including a process of `n`.
/// @mirrors erlang:statistics/1 and erlang:system_info/1 (see the table at
///   the top of this header)
node_statistics statistics(const node& n);

/// The share of `later`'s scheduler time it spent busy since `earlier`, in
/// [0, 1]; 0 when no time passed. Both must describe the same scheduler.
/// @param earlier, later two readings of one scheduler, earlier first
/// @threadsafe Pure function.
/// @mirrors scheduler:utilization/2 for one scheduler
double scheduler_utilisation(const scheduler_wall_time& earlier,
                             const scheduler_wall_time& later) noexcept;

}  // namespace otp

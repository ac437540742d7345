// The scheduler: the workers (one per scheduler thread, one on a manual
// node), the global queue and the idle-worker protocol, and the operations
// that move processes between them and run them.
//
// Invariants (see docs/internals/scheduler.md):
//  1. A process is in at most one place: a run queue, a worker's `next`
//     slot, running on one thread, or parked (inbox tagged kWaiting, or
//     waiting for a blocking job). Only the push that replaces kWaiting, a
//     spawn, a yield, or a finished blocking job makes it runnable.
//  2. `next` is owner-only and not stealable; it inherits the time slice, so
//     a ping-pong pair cannot starve the local queue.
//  3. Parking and waking: see idle_workers.hpp.
//  4. The set of workers is fixed at construction; threads run only between
//     start() and stop().
// Any thread may make a process runnable; run_manual, run_timers and
// next_handle run on the thread that drives the worker (a scheduler thread,
// or the thread driving a manual node).
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/global_queue.hpp"
#include "runtime/idle_workers.hpp"
#include "runtime/worker.hpp"

namespace otp::detail {

class node_impl;
struct process;

class scheduler {
 public:
  /// Makes `count` workers for node `n` (no thread yet).
  scheduler(node_impl& n, unsigned count);

  /// Starts one thread per worker.
  void start();
  /// Halts the workers and joins their threads: no process runs on them
  /// afterwards. Idempotent.
  void stop();

  /// `p`, made runnable by a push or a finished blocking job, goes to the
  /// calling worker's `next` slot (or the global queue from outside).
  void schedule(process& p) noexcept;
  /// A new process: to the calling worker's spawn stack (depth first).
  void enqueue_new(process& p) noexcept;
  /// `p` used up its time slice on `w`: behind everything runnable.
  void requeue_yielded(worker& w, process& p) noexcept;
  /// Wakes one parked worker (to adopt a timer armed from outside).
  void wake_one() noexcept { idle_.wake_one(); }
  /// The idle-worker protocol (the io source lives there).
  idle_workers& idle() noexcept { return idle_; }

  /// The next process to switch to directly from a suspending one, or a
  /// noop handle (back to the worker's loop).
  std::coroutine_handle<> next_handle() noexcept;
  /// Manual node: runs processes until none is runnable or `max_dispatches`
  /// have run. @returns how many ran.
  std::size_t run_manual(std::size_t max_dispatches = ~std::size_t{0});
  /// Fires the timers of `w` due at `now`.
  void run_timers(worker& w, std::uint64_t now) noexcept;

  std::size_t size() const noexcept { return workers_.size(); }
  /// Processes in the global queue (a moment old).
  std::size_t global_length() const noexcept { return global_.size(); }
  worker& at(std::size_t i) noexcept { return *workers_[i]; }
  /// Every worker (the watchdog reads their progress counters).
  const std::vector<std::unique_ptr<worker>>& workers() const noexcept { return workers_; }

 private:
  void worker_loop(worker& w);
  void push_local(worker& w, process& p) noexcept;
  void push_global(process& p) noexcept;
  process* find_work(worker& w) noexcept;
  /// Prepares `p` to run on `w`: drains signals, matches a pending receive.
  /// Returns the handle to resume, or null when p parked again or exited.
  std::coroutine_handle<> dispatch(worker& w, process* p) noexcept;
  void run_one(worker& w, process* p);

  node_impl& n_;
  std::vector<std::unique_ptr<worker>> workers_;
  global_queue global_;
  idle_workers idle_;
};

}  // namespace otp::detail

// One scheduler thread's state: its run queues, its `next` slot, its timer
// wheel and caches. Invariants of the queues: see scheduler.hpp and
// docs/internals/scheduler.md.
//
// Invariants:
//  1. Fields marked owner-only are touched only by the worker's thread (or,
//     on a manual node, the thread driving it).
//  2. `dispatches` and `running_pid` are written by the owner and read by
//     the watchdog (relaxed: advisory); so are `started_ns`, `idle_ns` and
//     `idle_since_ns`, read by otp::statistics.
//  3. The thread is idle from the moment it finds no process to run until it
//     finds one (searching, spinning and parked): `idle_since_ns` holds when
//     that began, 0 while it runs processes, and `idle_ns` the idle time of
//     the periods that ended. Two clock readings per idle period, none per
//     dispatch.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "runtime/run_queue.hpp"
#include "runtime/spawn_stack.hpp"
#include "runtime/timer_wheel.hpp"

namespace otp::detail {

class node_impl;
struct process;

class worker {
 public:
  worker(node_impl& n, unsigned index) : node(n), index(index) {}

  node_impl& node;
  const unsigned index;
  run_queue local;                     // woken and yielded processes, oldest first
  spawn_stack spawned;                 // new processes, newest first
  process* next = nullptr;             // owner-only: run this one next (just woken)
  timer_wheel wheel;                   // owner-only
  timer_entry* free_timers = nullptr;  // owner-only cache
  /// Timers of this wheel cancelled on other threads since the last sweep
  /// (a process that moved to another worker cancels its receive timeout
  /// there); past a threshold the owner sweeps them out, so they do not stay
  /// until their deadline.
  std::atomic<std::uint32_t> remote_cancels{0};
  std::vector<std::uint32_t> free_slots;  // owner-only cache of process slots
  int budget = 0;
  int chain = 0;  // symmetric transfers since the loop last resumed a process
  unsigned tick = 0;
  std::atomic<std::uint64_t> dispatches{0};   // for the watchdog
  std::atomic<std::uint64_t> running_pid{0};  // slot<<32|serial of the running process, 0 idle
  // Wall time of the thread, steady-clock nanoseconds (see invariant 3).
  std::atomic<std::uint64_t> started_ns{0};
  std::atomic<std::uint64_t> idle_ns{0};
  std::atomic<std::uint64_t> idle_since_ns{0};
  std::thread thread;
};

}  // namespace otp::detail

// The node: the owner of the runtime's components (docs/internals/README.md
// lists them, one page each), and the operations that span them (timers,
// signals, the exit procedure). Members are built in declaration order and
// node::stop (stop.cpp) stops them in reverse.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/remote_router.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/detail/table_owners.hpp"
#include "otp/runtime/node.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/name_table.hpp"
#include "runtime/node_clock.hpp"
#include "runtime/node_slots.hpp"
#include "runtime/population.hpp"
#include "runtime/process_extras.hpp"
#include "runtime/process_table.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/thread_waiters.hpp"
#include "runtime/timer_store.hpp"
#include "runtime/watchdog.hpp"
#include "runtime/worker.hpp"

namespace otp::detail {

class node_impl {
 public:
  explicit node_impl(node_options o);
  ~node_impl();

  // --- identity and settings ---
  const std::uint32_t id;
  node_options opts;
  /// The node object that owns this (set once by its constructor).
  node* owner = nullptr;

  // --- objects of the layers above (destroyed last but one) ---
  node_slots slots;

  // --- processes ---
  process_table table;
  population people;

  // --- scheduling ---
  alignas(64) scheduler sched;

  // --- names ---
  name_table names;

  // --- tables: what a table owner's exit runs (detail/table_owners.hpp) ---
  std::atomic<owner_exit_fn> owner_exit{nullptr};

  // --- timers ---
  timer_store timers;

  // --- distribution: where envelopes for other nodes' pids go ---
  std::atomic<remote_router*> remote{nullptr};
  std::atomic<std::uint32_t> remote_senders{0};  ///< senders inside send_envelope's remote branch

  // --- thread mailboxes ---
  thread_waiters waiters;

  // --- blocking pool and watchdog ---
  blocking_pool blocking;
  class watchdog watchdog;

  // --- clock ---
  node_clock clock;
  std::uint64_t now_ms() const noexcept { return clock.now_ms(); }

  // --- timers (timers.cpp) ---
  /// Starts `e` (kind and target already set) to fire after `t`: on `w`'s
  /// wheel, or for adoption by a worker when `w` is null. Returns its generation.
  std::uint64_t arm_timer(worker* w, timer_entry* e, const timeout& t) noexcept;
  void fire_timer(worker& w, timer_entry* e) noexcept;

  ref new_ref() noexcept;
};

/// The worker the calling thread runs for `n`, or nullptr.
worker* worker_of(node_impl& n) noexcept;

// --- signals.cpp ---
/// Drains p's inbox, handling signals; false when p must exit.
bool drain(process& p);
/// Marks p as exiting with `reason` (the first decision wins).
void set_exit(process& p, exit_reason reason) noexcept;
/// Runs the exit procedure of p (which is the current process) and frees it.
void finish_process(process& p) noexcept;
/// Makes a process block ready for a new incarnation.
void init_process(node_impl& n, process& p, std::uint32_t slot, bool external);

// --- node.cpp ---
/// Pids of the live processes of n (thread mailboxes included).
std::vector<pid> live_pids(node_impl& n);
/// A snapshot of p, taken by p itself (owner context).
otp::process_info snapshot(process& p, run_state seen);
/// Sends p an introspection request answered with an info_reply tagged `tag`.
void request_info(node_impl& n, pid target, pid requester, ref tag);
struct info_reply {
  ref tag;
  std::optional<otp::process_info> info;
};

// --- hibernate.cpp ---
/// True while `p` hibernates (see hibernate_now). Owner only.
bool is_hibernated(const process& p) noexcept;
/// Deletes the pending body of a hibernated `p` (it is ending). Owner only.
void drop_hibernation(process& p) noexcept;

// --- timers.cpp ---
/// Cancels the timer `t` (any node). See otp::cancel_timer.
std::optional<std::chrono::milliseconds> cancel_timer_ref(timer_ref t) noexcept;
/// Cancels the timer `t` without reading the clock (a receive timeout that is
/// no longer needed); true when it was still pending.
bool cancel_timer_quiet(timer_ref t) noexcept;

}  // namespace otp::detail

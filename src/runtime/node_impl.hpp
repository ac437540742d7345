// The node's private parts: workers, process table, names, timers, pools.
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

#include "otp/detail/process.hpp"
#include "otp/detail/runtime.hpp"
#include "otp/detail/small_map.hpp"
#include "otp/runtime/node.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/global_queue.hpp"
#include "runtime/idle_workers.hpp"
#include "runtime/name_table.hpp"
#include "runtime/node_clock.hpp"
#include "runtime/run_queue.hpp"
#include "runtime/spawn_stack.hpp"
#include "runtime/timer_store.hpp"
#include "runtime/timer_wheel.hpp"
#include "runtime/watchdog.hpp"

namespace otp::detail {

/// The value of a set-like small_map.
struct set_member {};

struct monitor_entry {
  pid target;
  bool by_name = false;  // its name is in process_extras::monitor_names
};

/// Links and monitors of one process; allocated on first use (from the
/// pool: see extras_of). Owner-only. Inline capacities fit the common case:
/// a link to the parent and one call in flight.
struct process_extras {
  small_map<pid, set_member, 2> links;  // a supervisor, and often one more
  /// Our unlinks not yet acknowledged, by peer: while one is in flight, an
  /// unlink from that peer refers to the link we already removed and is
  /// ignored, so it cannot remove a link we made again since (ERTS does the
  /// same with UNLINK_ID / UNLINK_ID_ACK).
  small_map<pid, std::uint64_t, 1> unlinking;
  small_map<std::uint64_t, monitor_entry, 1> monitors;  // refs held -> target
  small_map<std::uint64_t, pid, 1> monitored_by;        // refs on us -> watcher
  small_map<std::uint64_t, set_member, 1> aliases;      // active alias ids
  /// The registered names of the monitors made by name, for their DOWN.
  std::vector<std::pair<std::uint64_t, std::string>> monitor_names;
  void* behaviour = nullptr;  // see detail::behaviour_slot

  /// A monitor removed by remove_monitor: its target and, when it was made
  /// by name, that name.
  struct removed_monitor {
    pid target;
    std::string name;
  };
  /// Removes monitor `r` held by this process (and its name); nullopt when
  /// it holds no such monitor.
  std::optional<removed_monitor> remove_monitor(std::uint64_t r) noexcept;
};

process_extras& extras_of(process& p);

/// A blocked thread mailbox's wake-up point. Type-stable (pooled by the node).
struct thread_waiter {
  std::mutex mu;
  std::condition_variable cv;
};

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
  std::thread thread;
};

class process_table {
 public:
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  /// Slots a worker keeps for itself; the table holds this many per worker
  /// beyond the process limit, so cached slots never make a spawn fail.
  static constexpr std::size_t kWorkerSlotCache = 1024;

  explicit process_table(std::uint32_t capacity);
  ~process_table();

  /// The block of `slot`, or nullptr if that slot never existed.
  process* at(std::uint32_t slot) const noexcept {
    std::uint32_t c = slot >> kChunkBits;
    if (c >= nchunks_) return nullptr;
    process* chunk = chunks_[c].load(std::memory_order_acquire);
    return chunk == nullptr ? nullptr : chunk + (slot & (kChunkSize - 1));
  }
  /// The live process `p` names, or nullptr.
  process* find(pid p) const noexcept {
    process* q = at(p.slot());
    if (q == nullptr || q->serial_word.load(std::memory_order_acquire) != p.serial())
      return nullptr;
    return q;
  }
  /// A free slot (from `w`'s cache when given). Throws otp::system_limit.
  std::uint32_t allocate(worker* w);
  void release(worker* w, std::uint32_t slot) noexcept;
  /// Slots handed out so far (upper bound for scans).
  std::uint32_t high_water() const noexcept { return next_fresh_.load(std::memory_order_acquire); }

 private:
  const std::uint32_t capacity_;
  const std::uint32_t nchunks_;
  std::unique_ptr<std::atomic<process*>[]> chunks_;
  std::atomic<std::uint32_t> next_fresh_{0};
  std::mutex grow_mu_;
  std::mutex free_mu_;
  std::vector<std::uint32_t> free_;
  std::atomic<std::size_t> free_size_{0};  // free_.size(), readable without the lock
};

class node_impl {
 public:
  explicit node_impl(node_options o);
  ~node_impl();

  // --- identity and settings ---
  const std::uint32_t id;
  node_options opts;

  // --- processes ---
  process_table table;
  alignas(64) std::atomic<std::size_t> live{0};
  std::atomic<std::size_t> live_external{0};  // thread mailboxes among `live`

  // --- scheduling ---
  alignas(64) std::vector<std::unique_ptr<worker>> workers;
  global_queue global;
  idle_workers idle;
  std::atomic<bool> accepting{true};  // false once stop() began

  // --- names ---
  name_table names;

  // --- timers ---
  timer_store timers;

  // --- thread mailboxes ---
  std::mutex waiter_mu;
  std::vector<std::unique_ptr<thread_waiter>> waiters;  // one per slot ever used by a mailbox

  // --- blocking pool and watchdog ---
  blocking_pool blocking;
  class watchdog watchdog;

  // --- stop ---
  std::mutex stop_mu;
  std::condition_variable stop_cv;  // signalled when live drops during stop
  bool stopped = false;

  // --- clock ---
  node_clock clock;
  std::uint64_t now_ms() const noexcept { return clock.now_ms(); }

  // --- operations (scheduler.cpp) ---
  void start_threads();
  void worker_loop(worker& w);
  void schedule(process& p) noexcept;     // made runnable by a push or a blocking job
  void enqueue_new(process& p) noexcept;  // a new process
  void requeue_yielded(worker& w, process& p) noexcept;  // its time slice is used up
  void push_local(worker& w, process& p) noexcept;
  void push_global(process& p) noexcept;
  process* find_work(worker& w) noexcept;
  /// Prepares `p` to run on `w`: drains signals, matches a pending receive.
  /// Returns the handle to resume, or null when p parked again or exited.
  std::coroutine_handle<> dispatch(worker& w, process* p) noexcept;
  /// The next process to switch to directly from a suspending one.
  std::coroutine_handle<> next_handle() noexcept;
  void run_timers(worker& w, std::uint64_t now) noexcept;
  std::size_t run_manual(std::size_t max_dispatches = ~std::size_t{0});

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
/// Sends a signal of kind k from `from` to `to`.
void send_signal(node_impl& n, pid to, signal_kind k, pid from, std::uint64_t refid = 0,
                 exit_reason reason = {}) noexcept;
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

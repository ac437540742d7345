// otp::node: the runtime instance. Owns scheduler threads, the process table,
// timers, registered names and the blocking pool. No global state: several
// nodes can live in one program.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/process_info.hpp"
#include "otp/runtime/report.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/timeout.hpp"
#include "otp/runtime/timer.hpp"

namespace otp {

/// What the watchdog reports when a process holds a scheduler too long.
/// @mirrors the long_schedule event of erlang:system_monitor/2
struct long_schedule_event {
  pid process;                     ///< the process that was running
  unsigned scheduler = 0;          ///< index of the scheduler thread
  std::chrono::milliseconds held;  ///< how long it has held it so far (at least the threshold)
};

/// Settings of a node.
struct node_options {
  /// Scheduler threads; 0 means one per core.
  unsigned schedulers = 0;
  /// Deterministic mode for tests: no threads at all. The owner drives the
  /// node with run_until_idle(), advance() and step(); time is virtual and
  /// only moves in advance(). Thread mailboxes run the node while they wait.
  bool manual = false;
  /// Messages a process may handle (plus dispatches) before it yields its
  /// scheduler: the reductions budget of a time slice.
  std::uint32_t reductions = 256;
  /// Watchdog threshold: a process running longer than this without reaching
  /// a scheduling point is reported. Zero turns the watchdog off.
  std::chrono::milliseconds long_schedule{100};
  /// Called (on the watchdog thread) for each long_schedule report, besides
  /// the warning logged through otp::logger (named logger "otp"). Must not
  /// block.
  std::function<void(const long_schedule_event&)> on_long_schedule{};
  /// Capacity of the process table (live processes at once).
  std::uint32_t max_processes = 1u << 22;
  /// Threads for otp::blocking work (created on demand).
  unsigned blocking_threads = 8;
  /// How long stop() waits for processes to end after it sent `shutdown` to
  /// the tops of the process trees, before it kills the rest.
  std::chrono::milliseconds stop_grace{5000};
  /// Whether behaviours build and emit crash and supervisor reports.
  bool reports = true;
  /// Where reports go (called on the reporting process's thread; must not
  /// block). When empty, reports go to otp::logger (see otp::report), whose
  /// default handler writes to standard error (never standard output, which
  /// belongs to the program).
  std::function<void(const report&)> on_report{};
};

/// A running runtime instance.
///
/// @threadsafe All members may be called from any thread, except the manual
///   stepping functions (owner thread only) and stop() (once, not from a
///   process of this node).
class node {
 public:
  explicit node(node_options opts = {});
  ~node();  ///< stop()s the node.
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// The node's id: the first number of its pids (`<id.slot.serial>`).
  std::uint32_t id() const noexcept;
  const node_options& options() const noexcept;

  /// Starts a process running `f(args...)` (which returns otp::proc).
  /// @throws otp::system_limit when the table is full; otp::badarg after stop().
  /// @mirrors erlang:spawn/1
  template <class F, class... A>
  requires detail::process_body<F, A...> pid spawn(F&& f, A&&... args) {
    return detail::spawn_on(impl(), {}, std::forward<F>(f), std::forward<A>(args)...).child;
  }

  /// Starts a process with options. `link` and `monitor` need the calling
  /// thread to have an otp::mailbox on this node (otherwise otp::badarg).
  /// @mirrors erlang:spawn_opt/2
  template <class F, class... A>
  requires detail::process_body<F, A...> spawned spawn_opt(const spawn_options& opts, F&& f,
                                                           A&&... args) {
    auto s = detail::spawn_on(impl(), detail::to_request(opts), std::forward<F>(f),
                              std::forward<A>(args)...);
    return {s.child, s.monitor};
  }

  /// Sends `msg` to `to` from any thread. Dropped when `to` is dead or the
  /// node is stopped (never an error). @mirrors erlang:send/2
  template <class T>
  void send(pid to, T&& msg) {
    detail::send_envelope(impl(), to, detail::make_message<std::decay_t<T>>(std::forward<T>(msg)));
  }
  /// Sends to a registered name. @throws otp::badarg when the name is free.
  template <class T>
  void send(std::string_view name, T&& msg);

  /// Sends an exit signal from no process (as from a port or the node).
  /// @see otp::exit(pid, exit_reason) for the rules. @mirrors erlang:exit/2
  void exit(pid to, exit_reason reason);

  /// @mirrors erlang:is_process_alive/1
  bool is_alive(pid p) const noexcept;
  /// @see otp::register_name
  void register_name(std::string name, pid p);
  /// @see otp::unregister_name
  void unregister_name(std::string_view name);
  /// @see otp::whereis
  pid whereis(std::string_view name) const;

  /// Live processes (thread mailboxes included). @mirrors erlang:processes/0
  std::vector<pid> processes() const;
  /// Number of live processes.
  std::size_t process_count() const noexcept;

  /// Introspection from a thread; std::nullopt when `p` is not alive. Waits
  /// for `p` to reach a scheduling point (a thread mailbox answers when its
  /// thread next receives), at most `t`: std::nullopt after that too (the
  /// late answer is dropped with the temporary mailbox the call makes, or
  /// left in the calling thread's own otp::mailbox). Do not call from a
  /// process (use co_await otp::get_process_info there).
  /// @throws otp::badarg on a scheduler thread.
  /// @threadsafe Yes. @mirrors erlang:process_info/1
  std::optional<otp::process_info> process_info(pid p, timeout t = timeout(infinity));

  /// @see otp::send_after
  template <class T>
  timer_ref send_after(timeout t, pid dest, T&& msg) {
    return detail::start_timer(impl(), t, dest, {},
                               detail::make_message<std::decay_t<T>>(std::forward<T>(msg)));
  }
  /// @see otp::cancel_timer
  std::optional<std::chrono::milliseconds> cancel_timer(timer_ref t) noexcept;

  /// Time since the node started (virtual in manual mode), milliseconds.
  std::chrono::milliseconds now() const noexcept;

  /// Stops the node: sends `shutdown` to the top of every process tree (each
  /// process no live process of this node spawned with a link; one whose
  /// parent is a thread mailbox gets it as from that parent), so each tree
  /// stops from the top down as its supervisors decide; waits up to
  /// stop_grace for every process to end, kills the rest, joins the threads, and
  /// destroys what is left (running RAII cleanup in each process frame).
  /// Afterwards spawn throws otp::badarg and sends are dropped. Idempotent.
  /// A process that never reaches a scheduling point, or an otp::blocking
  /// job that never returns, blocks stop(): threads cannot be interrupted.
  void stop();

  // --- manual mode (node_options::manual) ---

  /// Runs processes until none is runnable (timers do not move). Returns the
  /// number of dispatches. @throws otp::badarg when the node is not manual.
  std::size_t run_until_idle();
  /// Runs one process until it suspends (one dispatch; with direct switches
  /// to just-woken processes it may run a few). Returns false when nothing
  /// was runnable. @throws otp::badarg when the node is not manual.
  bool step();
  /// Moves virtual time forward by `d`, firing due timers and running the
  /// processes they wake, in deadline order. @throws otp::badarg when not manual.
  void advance(std::chrono::milliseconds d);
  /// The earliest pending timer deadline (virtual), if any.
  /// @throws otp::badarg when the node is not manual.
  std::optional<std::chrono::milliseconds> next_timer() const;

  detail::node_impl& impl() const noexcept { return *impl_; }

 private:
  std::unique_ptr<detail::node_impl> impl_;
};

/// The node of the calling process or mailbox thread: what a callback that
/// is handed no node (an application's start, say) builds node-bound objects
/// (an otp::mailbox, an otp::registry) with.
/// @throws otp::badarg outside a process or a thread with an otp::mailbox.
/// @threadsafe Yes. @mirrors erlang:node/0 (which names the node; here the
///   node object itself)
node& this_node();

template <class T>
void node::send(std::string_view name, T&& msg) {
  detail::send_named(impl(), name, detail::make_message<std::decay_t<T>>(std::forward<T>(msg)));
}

}  // namespace otp

// Functions for the current process: spawn, send, exit signals, links,
// monitors, trap_exit, names, timers.
//
// They act for the calling process, or for the calling thread's
// otp::mailbox. Called from a thread that has neither, they throw otp::badarg;
// use the otp::node member functions there.
//
// | function                 | mirrors                          |
// |--------------------------|----------------------------------|
// | self()                   | erlang:self/0                    |
// | spawn / spawn_link /     | erlang:spawn/1, spawn_link/1,    |
// |   spawn_monitor/spawn_opt|   spawn_monitor/1, spawn_opt/2   |
// | send(pid|name, msg)      | erlang:send/2, `!`               |
// | exit(reason)             | erlang:exit/1                    |
// | exit(pid, reason)        | erlang:exit/2                    |
// | link / unlink            | erlang:link/1, unlink/1          |
// | monitor / demonitor      | erlang:monitor/2, demonitor/2    |
// | trap_exit(bool)          | process_flag(trap_exit, Bool)    |
// | is_alive                 | erlang:is_process_alive/1        |
// | register_name /          | erlang:register/2, unregister/1, |
// |   unregister_name/whereis|   whereis/1                      |
// | send_after / cancel_timer| erlang:send_after/3, cancel_timer|
// | make_ref                 | erlang:make_ref/0                |
// | schedulers_online()      | system_info(schedulers_online)   |
// | yield()                  | erlang:yield/0                   |
// | processes()              | erlang:processes/0               |
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process_info.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"
#include "otp/runtime/timer.hpp"

namespace otp {

namespace detail {
void send_named(node_impl& n, std::string_view name, envelope* e);
timer_ref start_timer(node_impl& n, timeout t, pid dest, std::string name, envelope* e);
}  // namespace detail

/// The pid of the calling process (or of the thread's mailbox).
/// @throws otp::badarg outside a process or mailbox thread.
/// @mirrors erlang:self/0
pid self();

/// Starts a process running `f(args...)`, which must return otp::proc.
/// Arguments are copied (or moved) into the new process; take them by value
/// in the body. A function or a lambda without captures gets them moved in
/// (they may be move-only); a callable with state is kept in the process and
/// called with its stored copies. The child runs concurrently; spawn
/// returns at once.
/// @throws otp::system_limit when the process table is full; otp::badarg
///   outside a process, or when the node is stopping.
/// @mirrors erlang:spawn/1
template <class F, class... A>
requires detail::process_body<F, A...> pid spawn(F&& f, A&&... args) {
  return detail::spawn_on(detail::require_node("spawn"), {}, std::forward<F>(f),
                          std::forward<A>(args)...)
      .child;
}

/// As spawn, and links the caller with the child before the child runs.
/// @mirrors erlang:spawn_link/1
template <class F, class... A>
requires detail::process_body<F, A...> pid spawn_link(F&& f, A&&... args) {
  detail::spawn_request r;
  r.link = true;
  return detail::spawn_on(detail::require_node("spawn_link"), r, std::forward<F>(f),
                          std::forward<A>(args)...)
      .child;
}

/// As spawn, and monitors the child; returns the child and the monitor ref.
/// @mirrors erlang:spawn_monitor/1
template <class F, class... A>
requires detail::process_body<F, A...> std::pair<pid, ref> spawn_monitor(F&& f, A&&... args) {
  detail::spawn_request r;
  r.monitor = true;
  auto s = detail::spawn_on(detail::require_node("spawn_monitor"), r, std::forward<F>(f),
                            std::forward<A>(args)...);
  return {s.child, s.monitor};
}

/// As spawn, with options (link, monitor, trap_exit, max_mailbox).
/// @mirrors erlang:spawn_opt/2
template <class F, class... A>
requires detail::process_body<F, A...> spawned spawn_opt(const spawn_options& opts, F&& f,
                                                         A&&... args) {
  auto s = detail::spawn_on(detail::require_node("spawn_opt"), detail::to_request(opts),
                            std::forward<F>(f), std::forward<A>(args)...);
  return {s.child, s.monitor};
}

/// Sends `msg` (moved or copied) to `to`. Never fails: a message to a dead
/// process is dropped, as in Erlang.
/// @throws otp::badarg outside a process or mailbox thread.
/// @mirrors erlang:send/2
template <class T>
void send(pid to, T&& msg) {
  auto& n = detail::require_node("send");
  detail::send_envelope(n, to, detail::make_message<std::decay_t<T>>(std::forward<T>(msg)));
}

/// Sends `msg` to the process registered as `name`.
/// @throws otp::badarg when no process has that name.
/// @mirrors `Name ! Msg`
template <class T>
void send(std::string_view name, T&& msg) {
  auto& n = detail::require_node("send");
  detail::send_named(n, name, detail::make_message<std::decay_t<T>>(std::forward<T>(msg)));
}

/// Ends the calling process with `reason` by throwing otp::exit_error. It may
/// be caught (Erlang's `catch exit(R)`); if it escapes the body, the process
/// exits with `reason` and its links and monitors are told.
/// @mirrors erlang:exit/1
[[noreturn]] void exit(exit_reason reason);

/// Sends an exit signal with `reason` to `to`:
/// - `kill`: untrappable; `to` exits with reason `killed`.
/// - `normal`: ignored unless `to` traps exits (it gets an exit_msg), or
///   `to` is the caller itself (it exits with `normal`).
/// - anything else: `to` exits with it, or gets an exit_msg if trapping.
/// A dead `to` is a no-op. Takes effect when `to` next reaches a scheduling
/// point (a receive, yield, or the end of its time slice).
/// @mirrors erlang:exit/2
void exit(pid to, exit_reason reason);

/// Links the caller and `to` (bidirectional). Linking to self or to a pid
/// already linked does nothing.
/// @throws otp::exit_error(noproc) when `to` is not alive and the caller does
///   not trap exits; a trapping caller gets exit_msg{to, noproc} instead.
/// @mirrors erlang:link/1
void link(pid to);

/// Removes the link with `to`, if any. After unlink returns, no exit signal
/// from that link reaches the caller (one already queued as an exit_msg
/// stays queued).
/// @mirrors erlang:unlink/1
void unlink(pid to);

/// Monitors `target`. When it ends (or if it is already dead) the caller gets
/// a down_msg with this ref and the reason (`noproc` when it was dead).
/// @mirrors erlang:monitor(process, Pid)
ref monitor(pid target);

/// Monitors the process registered as `name` (resolved now). When no process
/// has the name, a down_msg with reason noproc and `name` set arrives at once.
/// @mirrors erlang:monitor(process, RegName)
ref monitor(std::string_view name);

/// The options of demonitor. @mirrors the OptionList of erlang:demonitor/2
struct demonitor_options {
  /// Also remove a down_msg for the monitor already queued.
  bool flush = false;
  /// Return whether the monitor was found (see demonitor).
  bool info = false;
};

/// Turns off the monitor `r`. After it returns, no down_msg for `r` arrives;
/// with `flush`, one already queued is removed as well.
/// @returns true, except with `info`: then true when the monitor was active
///   and is now removed, false when it was not found (it fired already, its
///   DOWN being queued or flushed; or `r` is no monitor at all).
/// @throws otp::badarg when `r` is a monitor another process holds on the
///   caller, or a ref of another node (not the caller's to remove).
/// @mirrors erlang:demonitor/1 and demonitor/2 with flush and info
bool demonitor(ref r, demonitor_options o = {});

/// Sets whether the caller traps exits; returns the previous value.
/// @mirrors process_flag(trap_exit, Bool)
bool trap_exit(bool on);

/// True while `p` is a live process of the caller's node.
/// Unlike Erlang, an exit signal the caller sent to `p` just before may not
/// have taken effect yet.
/// @mirrors erlang:is_process_alive/1
bool is_alive(pid p);

/// Registers `p` under `name`.
/// @throws otp::badarg when the name is taken, the name is empty or
///   "undefined", `p` is not alive, or `p` already has a name.
/// @mirrors erlang:register/2
void register_name(std::string name, pid p);

/// Removes the registration of `name`. Any process may remove any name.
/// @throws otp::badarg when no process has that name.
/// @mirrors erlang:unregister/1
void unregister_name(std::string_view name);

/// The pid registered as `name`, or the null pid.
/// @mirrors erlang:whereis/1
pid whereis(std::string_view name);

/// Sends `msg` to `dest` after `t`. A finite `t` is required.
/// @returns a timer_ref for cancel_timer.
/// @throws otp::badarg for an infinite, negative or too large `t`.
/// @mirrors erlang:send_after/3
template <class T>
timer_ref send_after(timeout t, pid dest, T&& msg) {
  auto& n = detail::require_node("send_after");
  return detail::start_timer(n, t, dest, {},
                             detail::make_message<std::decay_t<T>>(std::forward<T>(msg)));
}

/// As above, resolving `name` when the timer fires; no error if nobody has
/// the name then.
template <class T>
timer_ref send_after(timeout t, std::string name, T&& msg) {
  auto& n = detail::require_node("send_after");
  return detail::start_timer(n, t, pid(), std::move(name),
                             detail::make_message<std::decay_t<T>>(std::forward<T>(msg)));
}

/// Cancels a timer. O(1).
/// @returns the time that was left, or std::nullopt when the timer had
///   already fired or been cancelled (the message may then be queued).
/// @mirrors erlang:cancel_timer/1
std::optional<std::chrono::milliseconds> cancel_timer(timer_ref t) noexcept;

/// A new node-unique reference. @mirrors erlang:make_ref/0
ref make_ref();

/// Milliseconds since the node started, on the node's clock (virtual in a
/// manual node). Never goes backwards.
/// @throws otp::badarg outside a process or mailbox thread.
/// @mirrors erlang:monotonic_time(millisecond)
std::chrono::milliseconds monotonic_time();

/// The number of scheduler threads of the caller's node (1 in a manual node):
/// how many processes can run at the same time.
/// @throws otp::badarg outside a process or mailbox thread.
/// @threadsafe Any process or mailbox thread.
/// @mirrors erlang:system_info(schedulers_online), System.schedulers_online/0
unsigned schedulers_online();

/// Makes a new alias of the calling process: messages sent to it with
/// send_alias arrive while it is active and are dropped after unalias (or
/// the process's death). Behaviours tag call replies with one, so a reply
/// that comes after the caller gave up never reaches its mailbox.
/// @mirrors erlang:alias/0
ref alias();

/// Deactivates an alias of the calling process.
/// @returns true when it was active. @mirrors erlang:unalias/1
bool unalias(ref a);

/// Sends `msg` to alias `a` of process `owner`: delivered only if the alias
/// is still active when the message arrives; dropped otherwise (never an error).
/// @mirrors `Alias ! Msg`
template <class T>
void send_alias(pid owner, ref a, T&& msg) {
  auto& n = detail::require_node("send_alias");
  detail::signal_envelope* s = detail::make_signal(detail::signal_kind::aliased, pid());
  s->ref = a.id();
  try {
    s->payload = detail::make_message<std::decay_t<T>>(std::forward<T>(msg));
  } catch (...) {
    detail::destroy_envelope(s);
    throw;
  }
  detail::send_envelope(n, owner, s);
}

/// Lets other processes run; signals sent to the caller take effect here.
/// @mirrors erlang:yield/0
task<void> yield();

/// The live processes of the caller's node. @mirrors erlang:processes/0
std::vector<pid> processes();

/// Introspection of `p` (of the caller's node); std::nullopt when `p` is not
/// alive. The target answers at its next scheduling point.
/// @mirrors erlang:process_info/1
task<std::optional<process_info>> get_process_info(pid p);

}  // namespace otp

// otp::async / otp::await: Elixir's Task (async and await) on otp processes.
//
//   auto t = otp::async(fetch_price, item);  // f(args...) runs in a new process
//   ...                                      // the caller goes on meanwhile
//   int price = co_await otp::await(t);      // or otp::await(t).get() on a mailbox thread
//
// | ours                             | Elixir                         |
// |----------------------------------|--------------------------------|
// | async(f, args...)                | Task.async/1,3                 |
// | async_nolink(f, args...)         | Task.Supervisor.async_nolink/3 |
// | co_await await(t, timeout)       | Task.await/2                   |
// | co_await await_many(ts, timeout) | Task.await_many/2              |
// | co_await async_yield(t, timeout) | Task.yield/2                   |
// | co_await async_shutdown(t, how)  | Task.shutdown/2                |
// | co_await async_ignore(t)         | Task.ignore/1                  |
// | co_await async_yield_many(ts, t) | Task.yield_many/2              |
// | async_completed(value)           | Task.completed/1               |
// | async_start(f, args...)          | Task.start/1,3                 |
//
// Elixir's Task is `async` here throughout (async_task<T>, async_yield, the
// async supervisor): `otp::task<T>` is the coroutine type.
//
// The protocol (also the building block for an async supervisor and async
// streams) is a reply channel (otp/runtime/detail/reply_channel.hpp):
//  1. The owner adopts a channel R and spawns the task process (linked or
//     not) with R as its monitor, giving it detail::async_origin{owner, R} as
//     its first argument. (A task started elsewhere, by an async supervisor or
//     a stream's start function, is monitored after the start and gets
//     async_origin as its first message.)
//  2. The task runs f, replies async_reply<T>{R, value} on the channel (one
//     envelope, sent to the alias R; the owner's monitor stays, as in Elixir)
//     and returns (exit `normal`). If f throws or exits, no reply is sent:
//     the task's exit reason tells why.
//  3. The owner waits for the reply tagged R or the down_msg of R. Once it is
//     done with the task (a reply or DOWN taken, await timed out, shutdown,
//     ignore) it closes R: demonitored (its DOWN flushed) and no longer an
//     alias, so a reply that comes later is dropped on arrival: it never
//     reaches the owner's mailbox. (Elixir does the same with a monitor alias.)
//
// Long mailboxes. Each wait is one selective receive guarded by R: it looks
// at the messages already queued once, then only at new ones (a receive keeps
// its place while it waits). It cannot start at a queue mark
// (detail::mark_queue): the reply may be queued before the wait starts, and a
// mark taken at async() is void after the owner's next receive. await_many
// looks at the queue once per reply it takes.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "otp/behaviours/async_task.hpp"
#include "otp/behaviours/detail/async_process.hpp"
#include "otp/behaviours/shutdown.hpp"
#include "otp/runtime/detail/reply_channel.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// Starts `f(args...)` in a new process linked to and monitored by the
/// caller, and returns its handle. `f` may be a plain callable returning T
/// (or void), or a coroutine returning otp::task<T> that may receive and
/// wait. When f returns, the task sends its owner an async_reply<T> and ends
/// `normal`; when f throws or exits, the task ends with that reason and,
/// being linked, takes the owner with it unless the owner traps exits.
///
/// @param f a callable taking `args...`; it returns T, void, or otp::task<T>.
/// @param args copied or moved into the task process.
/// @returns the handle; await it (or yield/shut down/ignore it).
/// @throws otp::badarg outside a process or mailbox thread, or when the node
///   is stopping; otp::system_limit when the process table is full.
/// @threadsafe Acts for the calling process.
/// @mirrors Task.async/1,3
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
    async_task<detail::async_value_for<F, A...>> async(F&& f, A&&... args) {
  detail::spawn_request req;
  req.link = true;
  return detail::spawn_async(req, std::forward<F>(f), std::forward<A>(args)...);
}

/// As async, but not linked: a task that crashes does not take the owner
/// down; await then exits with its reason, and async_yield returns it.
/// Parameters, return value, errors and thread safety as async.
/// @mirrors Task.Supervisor.async_nolink/3, without a supervisor
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
    async_task<detail::async_value_for<F, A...>> async_nolink(F&& f, A&&... args) {
  return detail::spawn_async(detail::spawn_request{}, std::forward<F>(f), std::forward<A>(args)...);
}

/// Waits up to `t` for the task's value and returns it; the task is closed
/// afterwards, whatever happens.
///
/// @param t milliseconds or infinity; 5000 ms by default.
/// @returns an otp::task: `co_await` it in a process, or `.get()` it on a
///   thread with an otp::mailbox. `a` must outlive it.
/// @exits with the task's exit reason when it ended without replying; with
///   `timeout` when `t` passed (as otp::exit_error, which may be caught). On
///   timeout the task keeps running: only the caller gives up (a linked task
///   then dies with the caller if the exit is not caught). A reply that comes
///   after a timeout is dropped and never reaches the mailbox.
/// @throws otp::badarg when the caller is not the owner, or the task is not
///   open (already awaited, yielded to a result, shut down, ignored, moved from).
/// @threadsafe Owner only.
/// @mirrors Task.await/2 (the exit reason is the bare reason, not
///   `{Reason, {Task, await, Args}}`)
template <class T>
task<T> await(async_task<T>& a, timeout t = std::chrono::milliseconds(5000)) {
  detail::async_access::check(a, "otp::await");
  detail::async_access::close(a);
  std::optional<async_result<T>> r = co_await detail::wait_reply<T>(a.ref(), t);
  if (!r) {
    detail::async_access::release(a);
    otp::exit(exit_reason::timeout());
  }
  if (r->is_exit()) {
    detail::async_access::close_alias(a);
    otp::exit(r->reason());
  }
  detail::async_access::release(a);
  if constexpr (std::is_void_v<T>)
    co_return;
  else
    co_return std::move(*r).value();
}

/// Waits up to `t` (for all of them together) for the values of `tasks` and
/// returns them in the order of `tasks`; every task is closed afterwards.
///
/// @param t milliseconds or infinity, for all tasks together; 5000 ms by default.
/// @returns std::vector<T> (nothing for void), as an otp::task to co_await
///   or `.get()`. `tasks` must outlive it.
/// @exits as soon as one task ends without replying, with its reason; with
///   `timeout` when `t` passes first. The tasks still running keep running
///   and their late replies are dropped.
/// @throws otp::badarg, before anything is changed, when the caller does not
///   own every task or one is not open.
/// @threadsafe Owner only.
/// @mirrors Task.await_many/2
template <class T>
task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> await_many(
    std::vector<async_task<T>>& tasks, timeout t = std::chrono::milliseconds(5000)) {
  for (const auto& x : tasks) detail::async_access::check(x, "otp::await_many");
  for (auto& x : tasks) detail::async_access::close(x);
  auto values = co_await detail::await_all(tasks, t);
  if constexpr (std::is_void_v<T>)
    co_return;
  else
    co_return values;
}

/// Waits up to `t` for the task to reply or end, without giving up on it.
///
/// @param t milliseconds or infinity; 5000 ms by default; 0 only looks.
/// @returns ok(value) when it replied and exited(reason) when it ended
///   without replying (then the task is closed); std::nullopt when it is
///   still running after `t` (it stays open: yield, await or shut it down
///   later). An exit reason is only seen when the owner survived it: the
///   task is not linked, or the owner traps exits (its exit_msg stays queued).
/// @throws otp::badarg as await.
/// @threadsafe Owner only.
/// @mirrors Task.yield/2
template <class T>
task<std::optional<async_result<T>>> async_yield(async_task<T>& a,
                                                 timeout t = std::chrono::milliseconds(5000)) {
  detail::async_access::check(a, "otp::async_yield");
  std::optional<async_result<T>> r = co_await detail::wait_reply<T>(a.ref(), t);
  if (r) {
    detail::async_access::close(a);
    if (r->is_ok())
      detail::async_access::release(a);
    else
      detail::async_access::close_alias(a);
  }
  co_return r;
}

/// Unlinks the task and stops it: `brutal_kill` kills it; a grace time sends
/// `shutdown` and kills it if it has not ended after that long. Returns when
/// it has ended. The task is closed afterwards.
///
/// @param how brutal_kill, or the grace time (5000 ms by default; infinity waits).
/// @returns ok(value) when its reply arrived before it ended (even while
///   shutting down); std::nullopt when it ended as asked (`shutdown`, or
///   `killed` for brutal_kill); exited(reason) otherwise: it had crashed, or
///   it had to be killed after the grace time (`killed`).
/// @throws otp::badarg as await.
/// @threadsafe Owner only.
/// @mirrors Task.shutdown/2
template <class T>
task<std::optional<async_result<T>>> async_shutdown(
    async_task<T>& a, shutdown_spec how = std::chrono::milliseconds(5000)) {
  detail::async_access::check(a, "otp::async_shutdown");
  detail::async_access::close(a);
  const pid p = a.pid();
  const ref tag = a.ref();
  if (p.is_null()) {  // async_completed: no process, its reply is queued
    std::optional<async_result<T>> r = co_await detail::wait_reply<T>(tag, 0);
    detail::async_access::close_alias(a);
    co_return r;
  }
  unlink(p);
  otp::exit(p, how.is_brutal_kill() ? exit_reason::kill() : exit_reason::shutdown());
  std::optional<exit_reason> down =
      co_await detail::wait_down(tag, how.is_brutal_kill() ? timeout(infinity) : how.grace());
  if (!down) {
    otp::exit(p, exit_reason::kill());
    down = co_await detail::wait_down(tag, infinity);
  }
  detail::async_access::close_alias(a);
  // A reply is sent before the DOWN, so it is queued by now if there is one.
  std::optional<async_result<T>> r = co_await detail::wait_reply<T>(tag, 0);
  if (r) co_return r;
  if (detail::async_ended_as_asked(*down, how.is_brutal_kill())) co_return std::nullopt;
  co_return async_result<T>::exited(std::move(*down));
}

/// Lets the task run on unwatched: unlinks and demonitors it; its reply, if
/// it comes later, is dropped. The task is closed afterwards.
///
/// @returns ok(value) or exited(reason) when the task had already replied or
///   ended (that message is taken), std::nullopt otherwise.
/// @throws otp::badarg as await.
/// @threadsafe Owner only.
/// @mirrors Task.ignore/1
template <class T>
task<std::optional<async_result<T>>> async_ignore(async_task<T>& a) {
  detail::async_access::check(a, "otp::async_ignore");
  detail::async_access::close(a);
  std::optional<async_result<T>> r = co_await detail::wait_reply<T>(a.ref(), 0);
  if (r && r->is_exit()) {
    detail::async_access::close_alias(a);
  } else {
    if (!a.pid().is_null()) unlink(a.pid());
    detail::async_access::release(a);
  }
  co_return r;
}

/// Waits up to `t` (one deadline for all of them) for the tasks in `ts`.
///
/// @returns for each task, in the order of `ts`: ok(value) or exited(reason)
///   when it replied or ended within `t` (it is closed then), std::nullopt
///   when it is still running (it stays open: await, yield, shut it down or
///   ignore it later). Never exits on a task's failure or on the timeout.
/// @throws otp::badarg as await, for any task of `ts`.
/// @threadsafe Owner only.
/// @mirrors Task.yield_many/2 (results by position instead of {task, result} pairs)
template <class T>
task<std::vector<std::optional<async_result<T>>>> async_yield_many(
    std::vector<async_task<T>>& ts, timeout t = std::chrono::milliseconds(5000)) {
  for (const auto& a : ts) detail::async_access::check(a, "otp::async_yield_many");
  std::unordered_map<ref, std::size_t> pending;
  for (std::size_t i = 0; i < ts.size(); ++i) pending.emplace(ts[i].ref(), i);
  std::vector<std::optional<async_result<T>>> out(ts.size());
  detail::many_deadline deadline(t, !pending.empty());
  while (!pending.empty()) {
    auto e = co_await detail::wait_many<T>(pending, deadline.tag);
    if (!e.value && !e.down) break;  // the deadline
    async_task<T>& a = ts[e.index];
    pending.erase(a.ref());
    detail::async_access::close(a);
    if (e.value) {
      detail::async_access::release(a);
      out[e.index] = async_result<T>::ok(std::move(*e.value));
    } else {
      detail::async_access::close_alias(a);
      out[e.index] = async_result<T>::exited(std::move(*e.down));
    }
  }
  co_await deadline.end();
  co_return out;
}

/// A task that has already finished with `value`, with no process behind
/// it: await and async_yield return the value at once.
/// @param value the result (copied or moved).
/// @returns an open task owned by the caller; its pid() is null.
/// @throws otp::badarg outside a process or mailbox thread.
/// @threadsafe Acts for the calling process.
/// @mirrors Task.completed/1
template <class V>
async_task<std::decay_t<V>> async_completed(V&& value) {
  using T = std::decay_t<V>;
  detail::process& me = detail::require_process("otp::async_completed");
  const ref tag = detail::reply_channel::adopt(me).tag();
  detail::send_reply(me.self(), tag, detail::stored_t<T>(std::forward<V>(value)), false);
  return detail::async_access::make<T>(pid(), tag, me.self());
}

/// Runs f(args...) in a new process that no one links to or monitors, for
/// its side effects: its result is dropped, and a crash ends only itself.
/// @param f a callable taking `args...`, returning anything or an otp::task.
/// @returns the new process's pid.
/// @throws otp::badarg outside a process or mailbox thread, or when the node
///   is stopping; otp::system_limit when the process table is full.
/// @mirrors Task.start/1,3
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...> pid async_start(F&& f, A&&... args) {
  detail::node_impl& n = detail::require_node("otp::async_start");
  return detail::spawn_on(n, detail::spawn_request{},
                          &detail::start_body<std::decay_t<F>, std::decay_t<A>...>,
                          std::forward<F>(f), std::forward<A>(args)...)
      .child;
}

}  // namespace otp

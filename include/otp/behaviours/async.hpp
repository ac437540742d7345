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

template <class T>
class async_task;

namespace detail {

/// The T of async(f, args...): what f returns, or the U of a task<U> it returns.
template <class F, class... A>
using async_value_for = awaited_value_t<std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>>;

/// Who a task process answers: its owner, on the reply channel `tag` (the
/// owner's monitor of the task and its alias).
struct async_origin {
  pid owner;
  ref tag;
};

/// Throws otp::badarg unless the calling process is `owner` and the task is open.
void async_check(pid owner, bool open, const char* what);
/// True when `reason` is how a task ends when shut down as asked: `killed`
/// for brutal_kill, exactly `shutdown` otherwise.
bool async_ended_as_asked(const exit_reason& reason, bool brutal_kill) noexcept;

struct async_access;

}  // namespace detail

/// The message a task sends its owner when f returns: `{Ref, Reply}`, tagged
/// with the task's ref(). A process may take it (or the task's down_msg) in
/// its own receive loop instead of awaiting, matching async_task::ref(); it
/// then finishes with the task by calling async_ignore on it, which removes
/// the monitor and the reply route and takes the DOWN if it is queued
/// (returning exited(normal) for a task that replied and ended).
/// @mirrors the `{Ref, Reply}` message of Task.async/1
/// Fields: `ref` (the task's ref()), `value` (std::monostate for void) and
/// `monitor_dropped` (runtime bookkeeping; always false for a task).
template <class T>
using async_reply = detail::reply_msg<detail::stored_t<T>>;

/// What a finished task gave: its value, or the reason it exited without one.
///
/// @threadsafe Plain value.
/// @mirrors `{ok, Reply} | {exit, Reason}` of Task.yield/2 and Task.shutdown/2
template <class T>
class [[nodiscard]] async_result {
 public:
  using value_type = detail::stored_t<T>;

  static async_result ok(value_type v) {
    return async_result(std::in_place_index<0>, std::move(v));
  }
  static async_result exited(exit_reason r) {
    return async_result(std::in_place_index<1>, std::move(r));
  }

  /// True when the task replied.
  bool is_ok() const noexcept { return v_.index() == 0; }
  /// True when the task ended without replying.
  bool is_exit() const noexcept { return v_.index() == 1; }

  /// The task's value. @throws otp::badarg when the task exited instead.
  value_type& value() & {
    check(true);
    return std::get<0>(v_);
  }
  const value_type& value() const& {
    check(true);
    return std::get<0>(v_);
  }
  value_type&& value() && {
    check(true);
    return std::get<0>(std::move(v_));
  }
  /// The task's exit reason. @throws otp::badarg when the task replied instead.
  const exit_reason& reason() const {
    check(false);
    return std::get<1>(v_);
  }

 private:
  template <std::size_t I, class V>
  async_result(std::in_place_index_t<I> i, V&& v) : v_(i, std::forward<V>(v)) {}
  void check(bool want_ok) const {
    if (is_ok() != want_ok)
      throw badarg(want_ok ? "async_result::value: the task exited without a value"
                           : "async_result::reason: the task replied; it has no exit reason");
  }
  std::variant<value_type, exit_reason> v_;
};

/// A running task started by otp::async or otp::async_nolink, awaited by
/// the process that started it (its owner).
///
/// Move-only: one handle, one await. A task is *open* until await returns or
/// exits, a async_yield gets a result, or async_shutdown / async_ignore is
/// called; after that (and in a moved-from handle) every function taking it
/// throws otp::badarg. Dropping an open handle leaves the task running (and
/// linked, for async): its reply and DOWN still arrive in the owner's mailbox,
/// as in Elixir; use async_ignore or async_shutdown instead.
///
/// Do not demonitor ref() yourself: await, async_yield and async_shutdown wait
/// for the reply or the DOWN it tags.
/// @threadsafe Owner only.
/// @mirrors %Task{pid, ref, owner}
template <class T>
class [[nodiscard]] async_task {
 public:
  using value_type = T;

  async_task(async_task&& o) noexcept
      : pid_(o.pid_), ref_(o.ref_), owner_(o.owner_), open_(o.open_) {
    o.open_ = false;
  }
  async_task& operator=(async_task&& o) noexcept {
    if (this != &o) {
      pid_ = o.pid_;
      ref_ = o.ref_;
      owner_ = o.owner_;
      open_ = std::exchange(o.open_, false);
    }
    return *this;
  }
  async_task(const async_task&) = delete;
  async_task& operator=(const async_task&) = delete;

  /// The task process.
  otp::pid pid() const noexcept { return pid_; }
  /// The owner's monitor of the task; tags its async_reply and its down_msg.
  otp::ref ref() const noexcept { return ref_; }
  /// The process that started the task; the only one that may await it.
  otp::pid owner() const noexcept { return owner_; }
  /// True until the task is awaited, yielded to a result, shut down or ignored.
  bool is_open() const noexcept { return open_; }

 private:
  friend struct detail::async_access;
  async_task(otp::pid p, otp::ref r, otp::pid owner) noexcept
      : pid_(p), ref_(r), owner_(owner), open_(true) {}

  otp::pid pid_;
  otp::ref ref_;
  otp::pid owner_;
  bool open_ = false;
};

namespace detail {

struct async_access {
  template <class T>
  static async_task<T> make(pid p, ref r, pid owner) noexcept {
    return async_task<T>(p, r, owner);
  }
  template <class T>
  static void check(const async_task<T>& t, const char* what) {
    async_check(t.owner_, t.open_, what);
  }
  template <class T>
  static void close(async_task<T>& t) noexcept {
    t.open_ = false;
  }
  /// The owner is done with the task: its channel closed (the monitor
  /// removed with its DOWN flushed, the alias deactivated).
  template <class T>
  static void release(const async_task<T>& t) noexcept {
    reply_channel(t.ref_).close();
  }
  /// Late replies of the task are dropped from now on; its monitor stays.
  template <class T>
  static void close_alias(const async_task<T>& t) noexcept {
    reply_channel(t.ref_).close_alias();
  }
};

/// Runs f(a...) (awaiting what it returns when that is awaitable: a task, a
/// call) and replies on the
/// owner's channel named in `s`, keeping the owner's monitor. f and a are the
/// caller's: they are moved from.
template <class T, class Fn, class... A>
task<void> async_run(async_origin s, Fn& f, A&... a) {
  using R = std::invoke_result_t<Fn, A...>;
  if constexpr (std::is_void_v<T>) {
    if constexpr (member_awaitable<R>)
      co_await std::invoke(std::move(f), std::move(a)...);
    else
      std::invoke(std::move(f), std::move(a)...);
    send_reply(s.owner, s.tag, std::monostate{}, false);
  } else if constexpr (member_awaitable<R>) {
    T v = co_await std::invoke(std::move(f), std::move(a)...);
    send_reply(s.owner, s.tag, std::move(v), false);
  } else {
    send_reply(s.owner, s.tag, stored_t<T>(std::invoke(std::move(f), std::move(a)...)), false);
  }
}

/// The body of a task process started by otp::async: runs f(a...) (awaiting
/// it when it is a coroutine) and replies on the channel `s`.
template <class T, class Fn, class... A>
task<void> async_body(async_origin s, Fn f, A... a) {
  task<void> run = async_run<T>(s, f, a...);
  co_await run;
}

/// The body of a task process started by someone else (an async supervisor, a
/// stream's start function): takes async_origin from its owner first.
template <class T, class Fn, class... A>
task<void> attached_async_body(Fn f, A... a) {
  const async_origin s = co_await receive<async_origin>();
  task<void> run = async_run<T>(s, f, a...);
  co_await run;
}

/// Makes the calling process the owner of the task process `child`, which
/// runs attached_async_body: monitors it with a reply channel and sends it
/// async_origin.
template <class T>
async_task<T> async_attach(pid child) {
  process& me = require_process("otp::async");
  const ref tag = monitor(child);
  try {
    reply_channel::adopt(me, tag);
    send(child, async_origin{me.self(), tag});
  } catch (...) {  // out of memory: do not leave the task waiting forever
    unlink(child);
    otp::exit(child, exit_reason::kill());
    reply_channel(tag).close();
    throw;
  }
  return async_access::make<T>(child, tag, me.self());
}

/// The body of a async_start process: f(a...), awaited when it is a coroutine.
template <class Fn, class... A>
task<void> start_body(Fn f, A... a) {
  if constexpr (member_awaitable<std::invoke_result_t<Fn, A...>>)
    co_await std::invoke(std::move(f), std::move(a)...);
  else
    std::invoke(std::move(f), std::move(a)...);
}

/// Spawns f(a...) as a task owned by the caller, with `req`'s options (the
/// monitor is always set).
template <class F, class... A>
async_task<async_value_for<F, A...>> spawn_async(spawn_request req, F&& f, A&&... a) {
  using T = async_value_for<F, A...>;
  process& me = require_process("otp::async");
  const reply_channel ch = reply_channel::adopt(me);
  req.monitor = true;
  req.monitor_ref = ch.tag();
  spawn_result s;
  try {
    s = spawn_on(*me.node, req, &async_body<T, std::decay_t<F>, std::decay_t<A>...>,
                 async_origin{me.self(), ch.tag()}, std::forward<F>(f), std::forward<A>(a)...);
  } catch (...) {
    ch.close_alias();
    throw;
  }
  return async_access::make<T>(s.child, ch.tag(), me.self());
}

/// Waits up to `t` for the reply on channel `tag` or the DOWN of `tag`:
/// ok(value), exited(reason), or std::nullopt on timeout.
template <class T>
auto wait_reply(ref tag, timeout t) {
  using O = reply_outcome<stored_t<T>>;
  return receive_reply<stored_t<T>>(on_channel{tag}, t,
                                    [](O&& o) -> std::optional<async_result<T>> {
                                      if (o.how == O::kind::timeout) return std::nullopt;
                                      if (o.how == O::kind::value)
                                        return async_result<T>::ok(std::move(*o.value));
                                      return async_result<T>::exited(std::move(o.reason));
                                    });
}

/// Waits up to `t` for the DOWN of `tag`; its reason, or std::nullopt.
inline auto wait_down(ref tag, timeout t) {
  using R = std::optional<exit_reason>;
  return receive(when([tag](const down_msg& d) { return d.monitor == tag; },
                      [](down_msg&& d) -> R { return std::move(d.reason); }),
                 after(t, [] { return R(); }));
}

/// The message await_many's deadline timer sends.
struct async_deadline {
  ref tag;
};

/// One thing await_many waited for: a reply or a DOWN of task `index`, or the deadline.
template <class T>
struct many_event {
  std::size_t index = 0;
  std::optional<stored_t<T>> value;  // a reply
  std::optional<exit_reason> down;   // a DOWN; neither: the deadline
};

/// The next reply or DOWN of a task in `pending` (tag -> index), or the
/// deadline `deadline` (a many_event with neither).
template <class T>
auto wait_many(const std::unordered_map<ref, std::size_t>& pending, ref deadline) {
  return receive(
      when([&pending](const async_reply<T>& m) { return pending.count(m.ref) != 0; },
           [&pending](async_reply<T>&& m) {
             return many_event<T>{pending.at(m.ref), std::move(m.value), std::nullopt};
           }),
      when([&pending](const down_msg& d) { return pending.count(d.monitor) != 0; },
           [&pending](down_msg&& d) {
             return many_event<T>{pending.at(d.monitor), std::nullopt, std::move(d.reason)};
           }),
      when([deadline](const async_deadline& m) { return m.tag == deadline; },
           [](async_deadline) { return many_event<T>{}; }));
}

/// One deadline for a wait on many tasks: an async_deadline{tag} sent to
/// the caller after `t` (none for infinity or when there is nothing to wait for).
struct many_deadline {
  ref tag = make_ref();
  std::optional<timer_ref> timer;
  many_deadline(timeout t, bool waiting) {
    if (waiting && !t.is_infinite()) timer = send_after(t, self(), async_deadline{tag});
  }
  /// Cancels the timer, taking its message if it fired meanwhile.
  task<void> end() {
    if (timer && !cancel_timer(*timer))
      co_await receive(when([tag = tag](const async_deadline& m) { return m.tag == tag; },
                            [](async_deadline) {}),
                       after(0));
  }
};

/// await_many's loop: the values of all `ts` (checked and closed), in order.
template <class T>
task<std::vector<stored_t<T>>> await_all(std::vector<async_task<T>>& ts, timeout t) {
  std::unordered_map<ref, std::size_t> pending;
  for (std::size_t i = 0; i < ts.size(); ++i) pending.emplace(ts[i].ref(), i);
  std::vector<std::optional<stored_t<T>>> got(ts.size());
  many_deadline deadline(t, !pending.empty());
  std::optional<exit_reason> failed;
  while (!pending.empty() && !failed) {
    auto e = co_await wait_many<T>(pending, deadline.tag);
    if (e.value) {
      async_access::release(ts[e.index]);
      pending.erase(ts[e.index].ref());
      got[e.index] = std::move(e.value);
    } else if (e.down) {
      async_access::close_alias(ts[e.index]);
      pending.erase(ts[e.index].ref());
      failed = std::move(e.down);
    } else {
      failed = exit_reason::timeout();
    }
  }
  for (const auto& [r, i] : pending) async_access::release(ts[i]);
  co_await deadline.end();
  if (failed) otp::exit(std::move(*failed));
  std::vector<stored_t<T>> values;
  values.reserve(got.size());
  for (auto& v : got) values.push_back(std::move(*v));
  co_return values;
}

}  // namespace detail

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

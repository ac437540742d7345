// otp::async_supervisor: Elixir's Task.Supervisor, a dynamic supervisor whose
// children are tasks.
//
//   auto sup = co_await otp::async_supervisor::start_link();
//   auto t = co_await otp::async_supervisor::async_nolink(sup.ref(), fetch, url);
//   int v = co_await otp::await(t);   // a crash exits here; the caller lives
//
// | ours                                             | Elixir                                  |
// |--------------------------------------------------|-----------------------------------------|
// | async_supervisor::start_link(flags, o)            | Task.Supervisor.start_link/1            |
// | async_supervisor::async(s, [o,] f, args…)         | Task.Supervisor.async/3,5               |
// | async_supervisor::async_nolink(s, [o,] f, args…)  | Task.Supervisor.async_nolink/3,5        |
// | async_supervisor::start_child(s, [o,] f, args…)   | Task.Supervisor.start_child/3,5         |
// | async_supervisor::children(s)                     | Task.Supervisor.children/1              |
// | async_supervisor::terminate_child(s, pid)         | Task.Supervisor.terminate_child/2       |
// | async_supervisor::async_stream(s, in, f, o)       | Task.Supervisor.async_stream/4          |
// | async_supervisor::async_stream_nolink(s, in, f, o)| Task.Supervisor.async_stream_nolink/4   |
// | async_supervisor::stop(s, reason, t)              | Supervisor.stop/3                       |
//
// An async supervisor *is* a dynamic_supervisor (the same server type, so
// every dynamic_supervisor function and sys request works on it): each task
// is a child started by a child spec whose start function spawn_links the
// task process from the supervisor and returns ok(pid) at once.
//
// async, async_nolink and the streams: the caller asks the supervisor to
// start a temporary child running detail::supervised_async_body, which
// monitors the caller and waits for its async_origin (it exits
// `{shutdown, Reason}` if the caller dies first, so a caller killed between
// the two steps leaves no task waiting forever). When start_child returns,
// the caller links the task (async only), monitors it with a reply channel
// and sends async_origin (detail::async_attach); the task runs f and replies
// on the channel as otp::async's does,
// so await, async_yield, async_shutdown and async_ignore work on the handle.
//
// start_child: the task runs f at once and replies to nobody; restart and
// shutdown as asked (a restarted task runs f again on copies of the same
// arguments).
//
// Stopping the supervisor stops its tasks (`shutdown`, or kill after the
// shutdown time, or at once for brutal_kill); a task started by async then
// takes its (non-trapping) caller with it, as in Elixir.
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/behaviours/async.hpp"
#include "otp/behaviours/async_stream.hpp"
#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/dynamic_supervisor.hpp"
#include "otp/behaviours/shutdown.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"

namespace otp {
namespace async_supervisor {

/// The supervisor's gen_server callback type: a dynamic_supervisor's.
using server = dynamic_supervisor::server;
/// How an async supervisor is named in calls: a dynamic_supervisor ref.
using ref = dynamic_supervisor::ref;

/// Options of async and async_nolink. @mirrors async_opts of Task.Supervisor
struct async_options {
  /// How the supervisor stops the task when it stops: brutal_kill, or the
  /// time a trapping task has to end after `shutdown`.
  shutdown_spec shutdown = std::chrono::milliseconds(5000);
};

/// Options of start_child. @mirrors start_child_opts of Task.Supervisor
struct child_options {
  /// temporary: never restarted; transient: restarted after an abnormal
  /// exit (not normal, shutdown, {shutdown, _}); permanent: always.
  restart_type restart = temporary;
  /// As async_options::shutdown.
  shutdown_spec shutdown = std::chrono::milliseconds(5000);
};

}  // namespace async_supervisor

namespace detail {

/// The owner-watching start of a supervised task: waits for async_origin from
/// `owner` (exiting `{shutdown, Reason}` when the owner dies first), then runs
/// f(a...) and replies as async_body does.
template <class T, class Fn, class... A>
task<void> supervised_async_body(pid owner, Fn f, A... a) {
  struct got {
    std::optional<async_origin> start;
    exit_reason owner_down;
  };
  const ref watch = monitor(owner);
  got g = co_await receive(when([owner](const async_origin& m) { return m.owner == owner; },
                                [](async_origin&& m) {
                                  return got{m, {}};
                                }),
                           when([watch](const down_msg& d) { return d.monitor == watch; },
                                [](down_msg&& d) {
                                  return got{std::nullopt, std::move(d.reason)};
                                }));
  if (!g.start) otp::exit(exit_reason::shutdown(g.owner_down.to_string()));
  demonitor(watch, {.flush = true});
  task<void> run = async_run<T>(*g.start, f, a...);
  co_await run;
}

/// The body of a start_child task: runs f(a...), awaiting it when it is a
/// coroutine; its value, if any, is dropped.
template <class Fn, class... A>
task<void> supervised_body(Fn f, A... a) {
  if constexpr (member_awaitable<std::invoke_result_t<Fn, A...>>)
    co_await std::invoke(std::move(f), std::move(a)...);
  else
    (void)std::invoke(std::move(f), std::move(a)...);
}

/// The child spec of an async task owned by `owner` (temporary: started
/// once, so f and a are moved into the task; they may be move-only).
template <class T, class Fn, class... A>
child_spec async_child_spec(pid owner, shutdown_spec how, Fn f, A... a) {
  auto held = std::make_shared<std::tuple<Fn, A...>>(std::move(f), std::move(a)...);
  child_spec c;
  c.restart = temporary;
  c.shutdown = how;
  c.start = [owner, held] {
    node_impl& n = require_node("otp::async_supervisor");
    spawn_request req;
    req.link = true;
    const pid p = std::apply(
        [&](Fn& g, A&... b) {
          return spawn_on(n, req, &supervised_async_body<T, Fn, A...>, owner, std::move(g),
                          std::move(b)...)
              .child;
        },
        *held);
    return started_ok(p);
  };
  return c;
}

/// The child spec of a start_child task: every start (and restart) runs f
/// on copies of f and a.
template <class Fn, class... A>
child_spec task_child_spec(async_supervisor::child_options o, Fn f, A... a) {
  child_spec c;
  c.restart = o.restart;
  c.shutdown = o.shutdown;
  c.start = [f = std::move(f), ... a = std::move(a)] {
    spawn_request req;
    req.link = true;
    return started_ok(spawn_on(require_node("otp::async_supervisor::start_child"), req,
                               &supervised_body<Fn, A...>, f, a...)
                          .child);
  };
  return c;
}

/// Asks `sup` to start `spec`; links the caller to the task when `link`.
task<start_result> start_task_child(async_supervisor::ref sup, child_spec spec, bool link);

/// The caller's side of async and async_nolink.
template <class T>
task<async_task<T>> supervised_async(async_supervisor::ref sup, child_spec spec, bool link) {
  task<start_result> starting = start_task_child(std::move(sup), std::move(spec), link);
  const start_result r = co_await starting;
  if (!r.is_ok()) otp::exit(r.is_error() ? r.reason : exit_reason::other("ignore"));
  co_return async_attach<T>(r.child);
}

/// async and async_nolink: the child spec running f(args...), then the
/// caller's side.
template <class F, class... A>
task<async_task<async_value_for<F, A...>>> start_async(async_supervisor::ref sup,
                                                       const async_supervisor::async_options& o,
                                                       bool link, F&& f, A&&... args) {
  using T = async_value_for<F, A...>;
  child_spec spec = async_child_spec<T>(self(), o.shutdown, std::decay_t<F>(std::forward<F>(f)),
                                        std::decay_t<A>(std::forward<A>(args))...);
  return supervised_async<T>(std::move(sup), std::move(spec), link);
}

/// async_stream and async_stream_nolink under `sup`.
template <class R, class F>
auto supervised_stream(async_supervisor::ref sup, R&& inputs, F&& f, async_stream_options o,
                       bool link) {
  using T = stream_value_for<F, R>;
  using In = std::ranges::range_value_t<R>;
  using Fn = std::decay_t<F>;
  auto start = [sup = std::move(sup), fn = Fn(std::forward<F>(f)), how = o.shutdown, link,
                owner = self()](In& x) {
    child_spec spec = async_child_spec<T>(owner, how, fn, std::move(x));
    return start_task_child(sup, std::move(spec), link);
  };
  return run_stream<T, In>(stream_inputs(std::forward<R>(inputs)), std::move(start), o, link);
}

}  // namespace detail

namespace async_supervisor {

/// Starts an async supervisor linked to the caller, with no tasks.
/// @param flags intensity and period (for restarted start_child tasks),
///   max_children (tasks at once; none by default).
/// @param o name and start options.
/// @returns as dynamic_supervisor::start_link: ok(pid), or an error for bad
///   flags or a taken name.
/// @exits a caller that does not trap exits dies with the error reason.
/// @throws otp::badarg outside a process or mailbox thread.
/// @threadsafe Any process or mailbox thread.
/// @mirrors Task.Supervisor.start_link/1
task<started<server>> start_link(dynamic_supervisor_flags flags, start_options o);
/// start_link without start options.
task<started<server>> start_link(dynamic_supervisor_flags flags = {});

/// A child spec that starts an async supervisor with `flags` and `o` under a
/// supervisor: type supervisor, permanent, shutdown infinity.
/// @mirrors the child spec Task.Supervisor.child_spec/1 returns
otp::child_spec child_spec(std::string id, dynamic_supervisor_flags flags, start_options o = {});

/// Starts `f(args...)` as a temporary task of `sup`, linked to and monitored
/// by the caller, and returns its handle (await it, or yield, shut down,
/// ignore it as an otp::async task).
///
/// @param sup the async supervisor.
/// @param o the task's shutdown (5000 ms by default).
/// @param f a callable taking `args...`; it returns T, void or otp::task<T>.
/// @param args moved or copied into the task (move-only values are fine).
/// @returns the handle, as an otp::task to co_await or `.get()`.
/// @exits with `max_children` when the supervisor has max_children
///   children, with the start error otherwise (the task is not started), as
///   otp::call when `sup` is not alive (noproc); with noproc when the task
///   is already gone when the caller links to it (a caller that traps exits
///   gets an exit_msg instead). When the task crashes it takes the caller
///   down (linked) unless the caller traps exits.
/// @throws otp::badarg outside a process or mailbox thread.
/// @threadsafe Acts for the calling process.
/// @mirrors Task.Supervisor.async/3,5 (which raises instead of exiting on
///   max_children)
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
    task<async_task<detail::async_value_for<F, A...>>> async(ref sup, async_options o, F&& f,
                                                             A&&... args) {
  return detail::start_async(std::move(sup), o, true, std::forward<F>(f), std::forward<A>(args)...);
}
/// async with the default options.
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
    task<async_task<detail::async_value_for<F, A...>>> async(ref sup, F&& f, A&&... args) {
  return async_supervisor::async(std::move(sup), async_options{}, std::forward<F>(f),
                                 std::forward<A>(args)...);
}

/// As async, but the task is only monitored, not linked: when it crashes
/// the caller lives; await exits with the reason, async_yield returns it, and
/// a process receiving by hand gets the down_msg tagged with the task's ref.
/// Parameters, return value, errors as async.
/// @mirrors Task.Supervisor.async_nolink/3,5
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
    task<async_task<detail::async_value_for<F, A...>>> async_nolink(ref sup, async_options o, F&& f,
                                                                    A&&... args) {
  return detail::start_async(std::move(sup), o, false, std::forward<F>(f),
                             std::forward<A>(args)...);
}
/// async_nolink with the default options.
template <class F, class... A>
requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
    task<async_task<detail::async_value_for<F, A...>>> async_nolink(ref sup, F&& f, A&&... args) {
  return async_supervisor::async_nolink(std::move(sup), async_options{}, std::forward<F>(f),
                                        std::forward<A>(args)...);
}

/// Starts `f(args...)` as a task of `sup` that replies to nobody; it is
/// linked to the supervisor only. Returns once the task process exists.
///
/// @param o restart (temporary by default) and shutdown (5000 ms).
/// @param f a callable taking `args...` (its value is dropped; a coroutine
///   is awaited); f and args are copied into the child spec, and each start
///   or restart runs f on new copies.
/// @returns ok(pid); `{error, max_children}` (dynamic_supervisor::
///   is_max_children); `{error, Reason}` when the process could not be made.
/// @exits as otp::call when `sup` is not alive (noproc).
/// @throws otp::badarg outside a process or mailbox thread.
/// @threadsafe Any process or mailbox thread.
/// @mirrors Task.Supervisor.start_child/3,5
template <class F, class... A>
requires std::copy_constructible<std::decay_t<F>> &&
    (std::copy_constructible<std::decay_t<A>>&&...) &&
    std::invocable<std::decay_t<F>, std::decay_t<A>...> task<start_result> start_child(
        ref sup, child_options o, F&& f, A&&... args) {
  otp::child_spec spec = detail::task_child_spec(o, std::decay_t<F>(std::forward<F>(f)),
                                                 std::decay_t<A>(std::forward<A>(args))...);
  return dynamic_supervisor::start_child(std::move(sup), std::move(spec));
}
/// start_child with the default options: temporary, 5000 ms shutdown.
template <class F, class... A>
requires std::copy_constructible<std::decay_t<F>> &&
    (std::copy_constructible<std::decay_t<A>>&&...) &&
    std::invocable<std::decay_t<F>, std::decay_t<A>...> task<start_result> start_child(
        ref sup, F&& f, A&&... args) {
  return async_supervisor::start_child(std::move(sup), child_options{}, std::forward<F>(f),
                                       std::forward<A>(args)...);
}

/// The pids of the running tasks, in no particular order (tasks waiting to
/// restart are left out).
/// @exits as otp::call when `sup` is not alive.
/// @threadsafe Any process or mailbox thread.
/// @mirrors Task.Supervisor.children/1
task<std::vector<pid>> children(ref sup);

/// Stops task `child` per its shutdown (it is not restarted).
/// @returns ok, or not_found when `child` is not a task of `sup`.
/// @exits as otp::call when `sup` is not alive.
/// @threadsafe Any process or mailbox thread.
/// @mirrors Task.Supervisor.terminate_child/2
task<child_result> terminate_child(ref sup, pid child);
/// Stops the async supervisor (its tasks are its children) with `reason`: its children stop in
/// reverse start order, each by its shutdown spec, then it exits. Waits up to `t` for that. A
/// caller linked to it (it was started with start_link) that does not trap exits dies with it
/// unless `reason` is normal: call otp::trap_exit(true) first, or stop it with
/// exit_reason::normal().
/// @exits as gen_server::stop: `noproc` when it is not alive; `timeout`
///   after `t`.
/// @mirrors Supervisor.stop/3 on a Task.Supervisor
inline task<void> stop(const ref& s, exit_reason reason = exit_reason::normal(),
                       timeout t = timeout(infinity)) {
  return gen_server::stop(s, std::move(reason), t);
}

/// otp::async_stream with every task a temporary child of `sup` (with
/// `o.shutdown`), linked to and monitored by the caller.
/// Parameters, return value and errors as otp::async_stream; besides, a
/// start error (`max_children`, noproc for a dead `sup`) exits the caller
/// once the tasks already started are stopped.
/// @threadsafe Acts for the calling process.
/// @mirrors Task.Supervisor.async_stream/4 (as Enum.to_list of it)
template <std::ranges::input_range R, class F>
requires std::copy_constructible<std::decay_t<F>> &&
    std::invocable<std::decay_t<F>, std::ranges::range_value_t<R>>
        task<std::vector<async_result<stream_value_for<F, R>>>> async_stream(
            ref sup, R&& inputs, F&& f, async_stream_options o = {}) {
  return detail::supervised_stream(std::move(sup), std::forward<R>(inputs), std::forward<F>(f), o,
                                   true);
}

/// As async_stream, but the tasks are only monitored: a crash is the result
/// exited(reason) and never reaches the caller.
/// @mirrors Task.Supervisor.async_stream_nolink/4 (as Enum.to_list of it)
template <std::ranges::input_range R, class F>
requires std::copy_constructible<std::decay_t<F>> &&
    std::invocable<std::decay_t<F>, std::ranges::range_value_t<R>>
        task<std::vector<async_result<stream_value_for<F, R>>>> async_stream_nolink(
            ref sup, R&& inputs, F&& f, async_stream_options o = {}) {
  return detail::supervised_stream(std::move(sup), std::forward<R>(inputs), std::forward<F>(f), o,
                                   false);
}

}  // namespace async_supervisor
}  // namespace otp

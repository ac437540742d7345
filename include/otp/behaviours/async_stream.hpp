// otp::async_stream: Elixir's Task.async_stream, f run over every input in
// tasks, at most max_concurrency of them at a time.
//
//   std::vector<std::string> urls = ...;
//   auto rs = co_await otp::async_stream(urls, fetch, {.max_concurrency = 8, .timeout = 2s});
//   for (auto& r : rs) if (r.is_ok()) use(r.value());   // rs[i] belongs to urls[i]
//
// | ours                                          | Elixir                                  |
// |-----------------------------------------------|-----------------------------------------|
// | co_await async_stream(inputs, f, o)           | Task.async_stream/3 + Enum.to_list      |
// | co_await async_supervisor::async_stream(…)     | Task.Supervisor.async_stream/4          |
// | co_await async_supervisor::async_stream_nolink | Task.Supervisor.async_stream_nolink/4   |
// | async_stream_options{max_concurrency,         | max_concurrency:, ordered:, timeout:,   |
// |   ordered, timeout, on_timeout, shutdown}     |   on_timeout:, shutdown:                |
//
// C++ has no lazy streams, so the stream is run to its end and its results
// come back together: one async_result<T> per input, ok(value) or
// exited(reason), in input order (ordered) or in the order the tasks ended.
// The inputs are copied (or moved, from an rvalue range) before the first
// task starts, so the range need not outlive the call.
//
// How it runs (in the caller, without Elixir's helper process): the caller
// starts tasks (detail::attached_async_body, waiting for async_origin) until
// max_concurrency run, monitors each with a reply channel and sends it
// async_origin; then it waits for a reply or a DOWN of any running
// task, or the deadline of the oldest one (deadlines are in start order, so
// one receive timeout covers them all). A task holds its place until its
// DOWN comes, also after its reply (as in Elixir), so at no moment do more
// than max_concurrency task processes exist. Whatever way the stream ends
// (results, an exit, an exception), no task it started is still running
// when it returns, and none of their messages is left queued.
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <ranges>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "otp/behaviours/async.hpp"
#include "otp/behaviours/shutdown.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/process_info.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// What a stream does with a task that runs past its timeout.
/// @mirrors the :on_timeout option of Task.async_stream/3
enum class stream_on_timeout : std::uint8_t {
  exit,       ///< kill it, stop the other tasks, and exit the caller with `timeout`
  kill_task,  ///< kill it; its result is exited(timeout); the stream goes on
};

/// Options of async_stream and its async_supervisor variants.
/// @mirrors the options of Task.async_stream/3 and Task.Supervisor.async_stream/4
struct async_stream_options {
  /// At most this many tasks run at once; 0 (the default) means
  /// schedulers_online() of the caller's node.
  std::size_t max_concurrency = 0;
  /// Results in input order (true) or in the order the tasks ended.
  bool ordered = true;
  /// How long each task may run, from its start: milliseconds or infinity.
  otp::timeout timeout = std::chrono::milliseconds(5000);
  /// What happens to a task that runs past `timeout`.
  stream_on_timeout on_timeout = stream_on_timeout::exit;
  /// How the async supervisor stops a task when it stops (async_supervisor
  /// variants only; ignored by otp::async_stream).
  shutdown_spec shutdown = std::chrono::milliseconds(5000);
};

namespace detail {

/// A started task of a stream.
template <class T>
struct stream_slot {
  std::size_t index = 0;  // its input's position
  pid child;
  std::chrono::milliseconds deadline{0};
  std::optional<stored_t<T>> reply;  // its reply, until its DOWN comes
};

/// What a stream's wait took: a reply or a DOWN of `tag`, or (neither) the
/// deadline of the oldest task.
template <class T>
struct stream_event {
  ref tag;
  std::optional<stored_t<T>> value;
  std::optional<exit_reason> down;
};

/// The results in the order asked for.
template <class T>
class stream_results {
 public:
  stream_results(std::size_t n, bool ordered) : ordered_(ordered) {
    if (ordered)
      slots_.resize(n);
    else
      done_.reserve(n);
  }
  void put(std::size_t index, async_result<T> r) {
    if (ordered_)
      slots_[index].emplace(std::move(r));
    else
      done_.push_back(std::move(r));
  }
  std::vector<async_result<T>> take() && {
    if (!ordered_) return std::move(done_);
    std::vector<async_result<T>> out;
    out.reserve(slots_.size());
    for (auto& s : slots_) out.push_back(std::move(*s));
    return out;
  }

 private:
  bool ordered_;
  std::vector<std::optional<async_result<T>>> slots_;
  std::vector<async_result<T>> done_;
};

/// Takes the exit_msgs that the (now unlinked) tasks `children` left queued
/// in a trapping caller; looks at the queue once per message taken.
task<void> flush_exits(std::vector<pid> children);

/// Takes the replies of `tags` that are queued (after their DOWNs were
/// taken, every reply they sent is queued).
template <class T>
task<void> drop_replies(const std::unordered_set<ref>& tags) {
  bool more = !tags.empty();
  while (more)
    more =
        co_await receive(when([&tags](const async_reply<T>& m) { return tags.count(m.ref) != 0; },
                              [](async_reply<T>&&) { return true; }),
                         after(0, [] { return false; }));
}

/// Kills every task in `live` (unlinked first, so their ends reach the caller
/// only as DOWNs), waits for each DOWN and takes what they left queued.
/// Empties `live`.
template <class T>
task<void> stop_stream_tasks(std::unordered_map<ref, stream_slot<T>>& live, bool linked,
                             bool trapping) {
  std::unordered_set<ref> tags;
  std::vector<pid> children;
  for (const auto& [tag, s] : live) {
    if (linked) unlink(s.child);
    otp::exit(s.child, exit_reason::kill());
    tags.insert(tag);
    children.push_back(s.child);
  }
  while (!live.empty())
    co_await receive(when([&live](const down_msg& d) { return live.count(d.monitor) != 0; },
                          [&live](down_msg&& d) { live.erase(d.monitor); }));
  for (const ref& t : tags) reply_channel(t).close_alias();  // every reply sent is queued
  task<void> drop = drop_replies<T>(tags);
  co_await drop;
  if (linked && trapping) {
    task<void> flush = flush_exits(std::move(children));
    co_await flush;
  }
}

/// Starts one task of a stream for the input it is given (moving from it):
/// a process running attached_async_body (or a variant waiting for async_origin from
/// the caller), linked to the caller for a linked stream.
template <class S, class In>
concept stream_starter = requires(S& s, In& x) {
  { s(x) } -> std::same_as<task<start_result>>;
};

/// The stream engine (see the top of this file): runs `start` on each input,
/// with `o`'s limits, and collects the results.
/// @exits `timeout` (on_timeout exit), or the reason a start failed with;
///   every task still running is stopped first.
template <class T, class In, stream_starter<In> Start>
task<std::vector<async_result<T>>> run_stream(std::vector<In> inputs, Start start,
                                              async_stream_options o, bool linked) {
  using R = async_result<T>;
  const std::size_t n = inputs.size();
  const std::size_t limit = o.max_concurrency != 0 ? o.max_concurrency : schedulers_online();
  const pid me = self();
  bool trapping = false;
  if (linked) {
    std::optional<process_info> info = co_await get_process_info(me);
    trapping = info && info->trap_exit;
  }
  stream_results<T> results(n, o.ordered);
  std::unordered_map<ref, stream_slot<T>> live;  // the running tasks, by monitor
  std::deque<ref> oldest;                        // tasks in start order: deadline order
  std::vector<pid> ended;                        // linked tasks that may have left an exit_msg
  std::size_t next = 0;
  std::optional<exit_reason> fail;
  std::exception_ptr error;
  try {
    while (!fail && (next < n || !live.empty())) {
      while (next < n && live.size() < limit) {
        task<start_result> started = start(inputs[next]);
        const start_result s = co_await started;
        if (!s.is_ok()) {
          fail = s.is_error() ? s.reason : exit_reason::other("ignore");
          break;
        }
        const ref m = monitor(s.child);
        reply_channel::adopt(require_process("async_stream"), m);
        send(s.child, async_origin{me, m});
        std::chrono::milliseconds deadline{0};
        if (!o.timeout.is_infinite())
          deadline = monotonic_time() + std::chrono::milliseconds(o.timeout.ms());
        live.emplace(m, stream_slot<T>{next, s.child, deadline, std::nullopt});
        oldest.push_back(m);
        ++next;
      }
      if (fail || live.empty()) continue;
      while (live.count(oldest.front()) == 0) oldest.pop_front();
      timeout left = infinity;
      if (!o.timeout.is_infinite())
        left = timeout(std::max(std::chrono::milliseconds(0),
                                live.at(oldest.front()).deadline - monotonic_time()));
      stream_event<T> e = co_await receive(
          when([&live](const async_reply<T>& m) { return live.count(m.ref) != 0; },
               [](async_reply<T>&& m) {
                 return stream_event<T>{m.ref, std::move(m.value), std::nullopt};
               }),
          when([&live](const down_msg& d) { return live.count(d.monitor) != 0; },
               [](down_msg&& d) {
                 return stream_event<T>{d.monitor, std::nullopt, std::move(d.reason)};
               }),
          after(left, [] { return stream_event<T>{}; }));
      if (e.value) {  // it ends next; its slot is free once its DOWN comes
        live.at(e.tag).reply = std::move(e.value);
        continue;
      }
      std::optional<R> r;
      if (e.down) {
        stream_slot<T>& s = live.at(e.tag);
        r = s.reply ? R::ok(std::move(*s.reply)) : R::exited(std::move(*e.down));
      } else {  // the oldest task ran out of time: kill it, keep a reply it sent first
        e.tag = oldest.front();
        stream_slot<T>& s = live.at(e.tag);
        if (linked) unlink(s.child);
        otp::exit(s.child, exit_reason::kill());
        (void)co_await wait_down(e.tag, infinity);
        if (s.reply)
          r = R::ok(std::move(*s.reply));
        else
          r = co_await wait_reply<T>(e.tag, 0);
        if (!r && o.on_timeout == stream_on_timeout::kill_task)
          r = R::exited(exit_reason::timeout());
        if (!r) fail = exit_reason::timeout();
      }
      const stream_slot<T> done = std::move(live.at(e.tag));
      live.erase(e.tag);
      reply_channel(e.tag).close_alias();  // its DOWN is taken: every reply it sent is queued
      if (trapping) {
        unlink(done.child);
        ended.push_back(done.child);
      }
      if (r) results.put(done.index, std::move(*r));
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (!live.empty()) {
    task<void> stop = stop_stream_tasks<T>(live, linked, trapping);
    co_await stop;
  }
  if (!ended.empty()) {
    task<void> flush = flush_exits(std::move(ended));
    co_await flush;
  }
  if (error) std::rethrow_exception(error);
  if (fail) otp::exit(std::move(*fail));
  co_return std::move(results).take();
}

/// The inputs of a stream as a vector: moved from an rvalue range, copied
/// from an lvalue one.
template <class R>
auto stream_inputs(R&& inputs) {
  using In = std::ranges::range_value_t<R>;
  if constexpr (std::is_same_v<std::remove_cvref_t<R>, std::vector<In>> &&
                !std::is_lvalue_reference_v<R>) {
    return std::vector<In>(std::move(inputs));
  } else {
    std::vector<In> v;
    if constexpr (std::ranges::sized_range<R>) v.reserve(std::ranges::size(inputs));
    for (auto&& x : inputs) {
      if constexpr (std::is_lvalue_reference_v<R>)
        v.emplace_back(x);
      else
        v.emplace_back(std::move(x));
    }
    return v;
  }
}

/// A task<start_result> that is ready: ok(p).
task<start_result> started_ok(pid p);

}  // namespace detail

/// The T of async_stream(inputs, f): what f returns for one input (the U of
/// an otp::task<U> it returns).
template <class F, class R>
using stream_value_for = detail::async_value_for<F, std::ranges::range_value_t<R>>;

/// Runs `f(x)` for each `x` of `inputs`, each in its own task linked to the
/// caller, at most `o.max_concurrency` at a time, and returns once all have
/// ended: one result per input, ok(value) or exited(reason).
///
/// @param inputs any input range; copied (moved, from an rvalue) before the
///   first task starts.
/// @param f a callable taking one input (by value or const&) and returning
///   T, void, or otp::task<T>; copied into every task.
/// @param o max_concurrency (0: schedulers_online()), ordered (input order,
///   or the order the tasks ended), timeout per task from its start (ms or
///   infinity), on_timeout (exit, or kill_task giving exited(timeout)).
/// @returns std::vector<async_result<T>>, as an otp::task to co_await or
///   `.get()` on a mailbox thread.
/// @exits when a task crashes, the caller dies with its reason (the tasks
///   are linked) unless it traps exits: that result is then exited(reason)
///   and the exit_msg is taken; with `timeout` when a task runs out of time
///   and on_timeout is exit. The other tasks are stopped first.
/// @throws otp::badarg outside a process or mailbox thread;
///   otp::system_limit when the process table is full (the tasks started
///   are stopped first).
/// @threadsafe Acts for the calling process.
/// @mirrors Task.async_stream/3 (as Enum.to_list of it); the exit reason of
///   a timeout is the bare `timeout`; zip_input_on_exit is not needed (the
///   result at i belongs to input i when ordered)
template <std::ranges::input_range R, class F>
requires std::copy_constructible<std::decay_t<F>> &&
    std::invocable<std::decay_t<F>, std::ranges::range_value_t<R>>
        task<std::vector<async_result<stream_value_for<F, R>>>> async_stream(
            R&& inputs, F&& f, async_stream_options o = {}) {
  using T = stream_value_for<F, R>;
  using In = std::ranges::range_value_t<R>;
  using Fn = std::decay_t<F>;
  auto start = [fn = Fn(std::forward<F>(f))](In& x) {
    detail::spawn_request req;
    req.link = true;
    const pid p = detail::spawn_on(detail::require_node("otp::async_stream"), req,
                                   &detail::attached_async_body<T, Fn, In>, fn, std::move(x))
                      .child;
    return detail::started_ok(p);
  };
  return detail::run_stream<T, In>(detail::stream_inputs(std::forward<R>(inputs)), std::move(start),
                                   o, true);
}

}  // namespace otp

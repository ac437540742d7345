// The process side of otp::async and the owner's waits: the task body, how
// an owner attaches to a task and spawns one, and the receives await,
// async_yield and await_many use. Not part of the API; see
// otp/behaviours/async.hpp.
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

namespace otp::detail {

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

}  // namespace otp::detail

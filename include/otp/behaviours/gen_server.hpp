// gen_server: a generic server process whose callbacks are a C++ type S.
//
// API -> callback it triggers (OTP function it mirrors):
// - gen_server::start_link<S>(o, args…), start<S>, start_monitor<S>: S(args…),
//   then S::init() (gen_server:start_link/3,4, start/3,4, start_monitor/3,4)
// - call(ref, req, t): S::handle_call(req[, from]) (gen_server:call/3)
// - cast(ref, msg): S::handle_cast(msg) (gen_server:cast/2)
// - any other message: S::handle_info(msg) (Module:handle_info/2)
// - reply(from, v): answers a deferred call (gen_server:reply/2)
// - …then_continue(c): S::handle_continue(c) ({continue, C})
// - …with_timeout(t): S::handle_info(otp::timeout_msg) (Timeout in a return tuple)
// - gen_server::enter_loop(st, S{...}): the calling process becomes the
//   server, without init (gen_server:enter_loop/3,4)
// - stop result, parent exit, exception: S::terminate(reason) (Module:terminate/2)
// - gen_server::stop(ref, reason, t): S::terminate(reason) (gen_server:stop/3)
// - send_request / wait_response / receive_response / check_response:
//   S::handle_call(req[, from]) (gen_server:send_request/2, wait_response/2,
//   ...; collections of requests: otp/behaviours/request_ids.hpp)
// - sys::replace_state, sys::change_code: S::code_change(old_vsn)
//   (sys, Module:code_change/3)
// - crash reports, sys::get_status: S::format_status() (Module:format_status/1)
//
// A callback type, with requests as types that declare their reply:
//
//   struct counter {
//     struct get { using reply = int; };
//     struct add { int by; };
//     int n;
//     explicit counter(int start) : n(start) {}             // init/1
//     int handle_call(get) { return n; }                     // {reply, N, N}
//     void handle_cast(add a) { n += a.by; }                 // {noreply, N + By}
//   };
//
//   auto s = co_await otp::gen_server::start_link<counter>(10);
//   otp::cast(s.ref(), counter::add{5});
//   int v = co_await otp::call(s.ref(), counter::get{});    // 15
//
// Callbacks that must wait (call another server, receive) are coroutines
// returning otp::task<X>, X being what the plain callback would return; the
// server handles no other message until such a callback finishes. Plain
// callbacks are the fast path.
//
// Callback return values: see otp/behaviours/server_result.hpp. An exception
// escaping a callback stops the server with the exception as its reason
// (terminate runs first); `otp::exit(r)` in a callback stops it with r.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "otp/behaviours/detail/server_main.hpp"
#include "otp/behaviours/from.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_ref.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/behaviours/types.hpp"
#include "otp/runtime/any_message.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// The reply type of request Req for server S (Req::reply when declared).
template <class S, class Req>
using reply_of = typename detail::reply_type<S, std::remove_cvref_t<Req>>::type;

/// S handles request Req by call (handle_call(req) or handle_call(req, from)).
template <class S, class Req>
concept handles_call = requires(S& s, Req&& r) {
  s.handle_call(std::move(r));
}
|| requires(S& s, Req&& r, from<typename Req::reply> f) { s.handle_call(std::move(r), f); };

/// S handles Msg by cast (handle_cast(msg)).
template <class S, class Msg>
concept handles_cast = requires(S& s, Msg&& m) {
  s.handle_cast(std::move(m));
};

namespace detail {

/// Exits the caller for a call whose server went down with `r`: the server's
/// reason, except `normal`, which becomes `{normal,{gen_server,call}}` so the
/// caller does not end silently (as OTP wraps every such reason).
[[noreturn]] void call_server_down(const exit_reason& r);

/// The awaitable behind otp::call and the sys requests: opens a reply
/// channel to the server carrying the request (after marking the queue),
/// then waits only for its answer, the server's DOWN or the timeout.
template <class R, class Make>
class [[nodiscard]] call_op {
 public:
  using value_type = stored_t<R>;

  call_op(pid to, server_name name, Make make, timeout t)
      : to_(to), name_(std::move(name)), make_(std::move(make)), t_(t) {}
  call_op(call_op&&) = default;

  bool await_ready() {
    process& me = require_process("call");
    pid to = to_.is_null() ? name_.whereis() : to_;
    if (to.is_null()) exit(exit_reason::noproc());
    if (to == me.self()) exit(exit_reason::calling_self());
    if constexpr (requires { Make::remote(to, std::move(make_), t_); }) {
      if (to.node() != me.node_id) {
        remote_.emplace(Make::remote(to, std::move(make_), t_));
        return remote_->await_ready();
      }
    }
    const receive_mark mark = mark_queue();  // before the monitor: a DOWN noproc is newer
    tag_ = make_ref();
    reply_channel::open(me, to, tag_, make_(me.self(), tag_));
    rx_.emplace(receive_reply<value_type>(on_channel{tag_}, t_).starting_at(mark));
    return rx_->await_ready();
  }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    if (remote_) return remote_->await_suspend(h);
    return rx_->await_suspend(h);
  }
  R await_resume() {
    if (remote_) {
      if constexpr (std::is_void_v<R>) {
        remote_->await_resume();
        return;
      } else {
        return remote_->await_resume();
      }
    }
    reply_outcome<value_type> o = rx_->await_resume();
    using kind = typename reply_outcome<value_type>::kind;
    if (o.how != kind::timeout) {
      reply_channel(tag_).close(o.monitor_gone);
      if (o.how == kind::value) {
        if constexpr (std::is_void_v<R>)
          return;
        else
          return std::move(*o.value);
      }
      if (o.how == kind::down) call_server_down(o.reason);
      exit(std::move(o.reason));  // refused
    }
    reply_channel(tag_).close();
    exit(exit_reason::timeout());
  }

  /// Blocks a thread that owns an otp::mailbox until the call completes.
  /// @throws otp::badarg on other threads and inside a process (co_await there).
  R get() && {
    require_mailbox_thread("call");
    await_ready();  // completes at once on a mailbox thread (but for another node)
    if (remote_) throw badarg("call: another node's server is called from a process, not a thread");
    return await_resume();
  }

 private:
  using rx_t = decltype(receive_reply<value_type>(on_channel{}, timeout(0)));

  pid to_;
  server_name name_;
  Make make_;
  timeout t_;
  ref tag_;  // the channel, once open
  std::optional<rx_t> rx_;
  std::optional<task<value_type>> remote_;  // a call to another node's server
};

/// S answers calls Req from other nodes (S::remote lists Req).
template <class S, class Req>
concept takes_remote_call = requires {
  typename S::remote;
}
&&S::remote::template takes_call<Req>;

/// S takes casts Msg from other nodes (S::remote lists Msg).
template <class S, class Msg>
concept takes_remote_cast = requires {
  typename S::remote;
}
&&S::remote::template takes_cast<Msg>;

template <class S, class Req>
struct make_call {
  Req req;
  envelope* operator()(pid me, ref tag) {
    return make_message<call_msg<S, Req>>(call_msg<S, Req>{me, tag, std::move(req)});
  }
  /// The call to a server of another node: through S::remote.
  static task<stored_t<reply_of<S, Req>>> remote(pid to, make_call&& m,
                                                 timeout t) requires takes_remote_call<S, Req> {
    return S::remote::template call<reply_of<S, Req>>(to, std::move(m.req), t);
  }
};

}  // namespace detail

/// Default timeout of call and start functions' waits: 5000 ms.
inline constexpr std::chrono::milliseconds default_call_timeout{5000};

/// Sends `req` to the server and waits for its reply.
///
/// @param s the server (pid or name; a name is resolved now).
/// @param req a request S handles (compile error otherwise).
/// @param t how long to wait (ms, chrono, or otp::infinity); default 5000 ms.
/// @returns an awaitable giving reply_of<S, Req>: `co_await` it in a process,
///   or `.get()` on a thread that owns an otp::mailbox.
/// @exits `noproc` when the server is not alive (or the name is free);
///   `calling_self` when the caller is the server; `timeout` when no reply
///   comes within `t` (catchable as otp::exit_error; a late reply is then
///   dropped and never reaches the mailbox); the server's exit reason when it
///   dies before replying (`normal` becomes `{normal,{gen_server,call}}`);
///   `{bad_call,Req,T}` at once when the process is a server of another type
///   T (a server_ref<S> made from the wrong pid): T refuses the call, logs an
///   error report and goes on running (OTP's server would crash with
///   function_clause; here the mistake is the caller's, and T's own clients
///   keep their server).
/// The wait looks only at messages newer than the request: a long mailbox
/// does not slow a call down.
/// A server of another node is called when S lists Req in `S::remote`
/// (otp/dist/remote_api.hpp): the request and reply travel as terms, the
/// exits are gen_call's, plus `{bad_reply,Reply}` for a reply that is no
/// reply_of<S, Req>; `.get()` then throws otp::badarg (call from a process).
/// @mirrors gen_server:call/3
template <class S, class Req>
requires handles_call<S, std::remove_cvref_t<Req>>
auto call(const server_ref<S>& s, Req&& req, timeout t = timeout(default_call_timeout)) {
  using Q = std::remove_cvref_t<Req>;
  return detail::call_op<reply_of<S, Q>, detail::make_call<S, Q>>(
      s.get_pid(), s.name(), detail::make_call<S, Q>{std::forward<Req>(req)}, t);
}

/// Sends `msg` to the server's handle_cast and returns at once. Never fails,
/// even when the server is dead or the name is free (as in OTP). A server of
/// another node gets `to_term(msg)` when S lists Msg in `S::remote`.
/// @throws otp::badarg outside a process or mailbox thread.
/// @mirrors gen_server:cast/2
template <class S, class Msg>
requires handles_cast<S, std::remove_cvref_t<Msg>>
void cast(const server_ref<S>& s, Msg&& msg) {
  using M = std::remove_cvref_t<Msg>;
  pid to = s.resolve();
  if (to.is_null()) return;
  if constexpr (detail::takes_remote_cast<S, M>) {
    if (to.node() != detail::require_process("cast").node_id) {
      S::remote::cast(to, std::forward<Msg>(msg));
      return;
    }
  }
  send(to, detail::cast_msg<S, M>{std::forward<Msg>(msg)});
}

/// Answers a call that handle_call left without a reply (a deferred reply).
/// Any process may reply. A reply to a caller that gave up is dropped.
/// @mirrors gen_server:reply/2
template <class R, class V>
requires(!std::is_void_v<R> && std::is_convertible_v<V, R>) void reply(const from<R>& f, V&& v) {
  detail::answer(f, R(std::forward<V>(v)));
}
/// Answers a call whose reply type is void.
template <class R>
requires std::is_void_v<R>
void reply(const from<R>& f) { detail::answer(f, std::monostate{}); }

/// An outstanding asynchronous call (send_request). Owned by its sender.
template <class R>
struct request_id {
  pid server;
  ref mon;  ///< the monitor on the server, also the reply alias
};

/// The outcome of wait_response / receive_response / check_response.
template <class R>
struct response {
  enum class status : unsigned char {
    reply,      ///< {reply, Reply}
    error,      ///< {error, {Reason, ServerRef}}: the server went down or refused
    timeout,    ///< timeout: nothing within the wait
    no_request  ///< no_request: the collection waited on was empty (collections only)
  };
  status state = status::timeout;
  std::optional<detail::stored_t<R>> value;  ///< the reply (status reply)
  exit_reason reason;                        ///< why the server went down (status error)
};

/// Sends `req` as a call without waiting; collect the reply with
/// wait_response, receive_response or check_response. A dead server gives
/// an `error` response with `noproc`.
/// @mirrors gen_server:send_request/2
template <class S, class Req>
requires handles_call<S, std::remove_cvref_t<Req>> request_id<reply_of<S, std::remove_cvref_t<Req>>>
send_request(const server_ref<S>& s, Req&& req) {
  using Q = std::remove_cvref_t<Req>;
  detail::process& me = detail::require_process("send_request");
  pid to = s.resolve();
  if (to.is_null()) {  // nobody to ask: DOWN noproc at once
    const ref mon = monitor(to);
    detail::reply_channel::adopt(me, mon);
    return {to, mon};
  }
  using M = detail::call_msg<S, Q>;
  const ref tag = make_ref();
  detail::reply_channel::open(me, to, tag,
                              detail::make_message<M>(M{me.self(), tag, std::forward<Req>(req)}));
  return {to, tag};
}

namespace detail {

/// The response an answer on a request's channel gives.
template <class R>
response<R> response_of(reply_outcome<stored_t<R>>&& o) {
  using kind = typename reply_outcome<stored_t<R>>::kind;
  response<R> r;
  switch (o.how) {
    case kind::value:
      r.state = response<R>::status::reply;
      r.value = std::move(o.value);
      break;
    case kind::refused:
    case kind::down:
      r.state = response<R>::status::error;
      r.reason = std::move(o.reason);
      break;
    case kind::timeout:
      break;
  }
  return r;
}

}  // namespace detail

/// Waits up to `t` for the reply to `id`. On timeout the request stays
/// outstanding (wait again later); on reply or error it is finished.
/// @mirrors gen_server:wait_response/2
template <class R>
task<response<R>> wait_response(request_id<R> id, timeout t) {
  auto o = co_await detail::receive_reply<detail::stored_t<R>>(detail::on_channel{id.mon}, t);
  if (o.how != decltype(o)::kind::timeout) detail::reply_channel(id.mon).close(o.monitor_gone);
  co_return detail::response_of<R>(std::move(o));
}

/// As wait_response, but a timeout abandons the request: its late reply is
/// dropped and never reaches the mailbox.
/// @mirrors gen_server:receive_response/2
template <class R>
task<response<R>> receive_response(request_id<R> id, timeout t) {
  response<R> out = co_await wait_response(id, t);
  if (out.state == response<R>::status::timeout) detail::reply_channel(id.mon).close();
  co_return out;
}

/// Whether message `m` (taken by a process that receives any_message, or
/// by a gen_server's handle_info(otp::any_message&)) answers `id`.
/// @returns the response (the request is then finished and `m` emptied of
///   its value), or nullopt when `m` is something else (OTP's no_reply).
/// @mirrors gen_server:check_response/2
template <class R>
std::optional<response<R>> check_response(any_message& m, request_id<R> id) {
  auto o = detail::reply_in<detail::stored_t<R>>(m, detail::on_channel{id.mon});
  if (!o) return std::nullopt;
  detail::reply_channel(id.mon).close(o->monitor_gone);
  return detail::response_of<R>(std::move(*o));
}

namespace detail {
template <class S, class... A>
task<started<S>> start_server(start_tie tie, start_options o, A... args) {
  server_name name = o.name;
  const serve_options serve{o.hibernate_after, o.telemetry_calls};
  co_return co_await start_impl(tie, o, &server_main<S, A...>, std::move(name), server_entry::start,
                                serve, std::move(args)...);
}
}  // namespace detail

namespace gen_server {

/// Starts a gen_server of type S linked to the caller: registers `o.name`,
/// constructs S(args...) and runs S::init() (when S has one) in the new
/// process, and returns when init has finished.
///
/// @returns ok with the pid; `ignore` when init returned otp::ignore();
///   `{error, already_started}` (pid = holder) when the name is taken;
///   `{error, R}` when the constructor or init threw (R is the exception),
///   returned otp::stop(R), or exceeded `o.start_timeout` (R = timeout).
///   The name is released before an error is reported.
/// @exits A caller that does not trap exits dies with R when init fails with
///   an abnormal R (it is linked), as in OTP.
/// @mirrors gen_server:start_link/4
template <class S, class... A>
task<started<S>> start_link(start_options o, A... args) {
  return detail::start_server<S>(detail::start_tie::link, std::move(o), std::move(args)...);
}
/// start_link without options.
template <class S, class... A>
requires detail::no_start_options_first<A...> task<started<S>> start_link(A... args) {
  return start_link<S>(start_options{}, std::move(args)...);
}

/// As start_link, without a link to the caller.
/// @mirrors gen_server:start/4
template <class S, class... A>
task<started<S>> start(start_options o, A... args) {
  return detail::start_server<S>(detail::start_tie::none, std::move(o), std::move(args)...);
}
/// start without options.
template <class S, class... A>
requires detail::no_start_options_first<A...> task<started<S>> start(A... args) {
  return start<S>(start_options{}, std::move(args)...);
}

/// As start (no link: the server is its own parent), with the caller
/// monitoring the server.
/// @returns as start; on ok, `.monitor` is the caller's monitor on the
///   server (a down_msg with that ref comes when it ends; demonitor it to
///   stop watching). On error or ignore nothing is left to watch: the
///   server is dead and its DOWN already consumed.
/// @mirrors gen_server:start_monitor/4 ({ok, {Pid, Mon}})
template <class S, class... A>
task<started<S>> start_monitor(start_options o, A... args) {
  return detail::start_server<S>(detail::start_tie::monitor, std::move(o), std::move(args)...);
}
/// start_monitor without options.
template <class S, class... A>
requires detail::no_start_options_first<A...> task<started<S>> start_monitor(A... args) {
  return start_monitor<S>(start_options{}, std::move(args)...);
}

/// Makes the calling process a gen_server of type S whose state is `state`,
/// as if start_link had started it and init had returned: for a process
/// that does its own start (proc_lib::start_link, a registered name, an
/// ack) before it serves. `co_await` it as the body's last step: it never
/// returns, the process ends when the server stops, with its reason
/// (terminate and the crash report as for any server). S's init() is not
/// called.
/// @param st the starter the process got from proc_lib::start_link or
///   start: its parent (whose exit stops the server) and ancestors. Without
///   one the process is its own parent.
/// @param name the name the process has registered already, if any (shown
///   in reports and sys::get_status).
/// @param hibernate_after as start_options::hibernate_after. When the
///   server hibernates, the frames of the caller of enter_loop are
///   destroyed too (a hibernation empties the whole call stack).
/// @exits `process_not_registered` (`process_not_registered_via`) when
///   `name` is not registered to the calling process; afterwards, the
///   server's exit reason.
/// @mirrors gen_server:enter_loop/3,4,5 (the hibernate_after option)
template <class S>
proc enter_loop(starter st, S state, server_name name = {},
                timeout hibernate_after = timeout(infinity)) {
  return detail::server_main<S, S>(std::move(st), std::move(name), detail::server_entry::enter,
                                   detail::serve_options{hibernate_after, false}, std::move(state));
}
/// enter_loop for a process started without a starter (its own parent).
template <class S>
proc enter_loop(S state, server_name name = {}, timeout hibernate_after = timeout(infinity)) {
  return enter_loop<S>(starter(), std::move(state), std::move(name), hibernate_after);
}

/// Stops the server with `reason`: it runs terminate(reason) and exits.
/// Waits up to `t` for it to end.
/// @exits `noproc` when the server is not alive; `timeout` when it has not
///   ended within `t`; the reason it actually exited with, when that differs
///   from `reason` (e.g. terminate threw).
/// @mirrors gen_server:stop/3
task<void> stop_server(pid server, exit_reason reason, timeout t);

template <class S>
task<void> stop(const server_ref<S>& s, exit_reason reason = exit_reason::normal(),
                timeout t = timeout(infinity)) {
  return stop_server(s.resolve(), std::move(reason), t);
}

}  // namespace gen_server
}  // namespace otp

// gen_server: a generic server process whose callbacks are a C++ type S.
//
// API -> callback it triggers (OTP function it mirrors):
// - gen_server::start_link<S>(o, args…), start<S>: S(args…), then S::init()
//   (gen_server:start_link/3,4, gen_server:start/3,4)
// - call(ref, req, t): S::handle_call(req[, from]) (gen_server:call/3)
// - cast(ref, msg): S::handle_cast(msg) (gen_server:cast/2)
// - any other message: S::handle_info(msg) (Module:handle_info/2)
// - reply(from, v): answers a deferred call (gen_server:reply/2)
// - …then_continue(c): S::handle_continue(c) ({continue, C})
// - …with_timeout(t): S::handle_info(otp::timeout_msg) (Timeout in a return tuple)
// - stop result, parent exit, exception: S::terminate(reason) (Module:terminate/2)
// - gen_server::stop(ref, reason, t): S::terminate(reason) (gen_server:stop/3)
// - send_request / wait_response / receive_response: S::handle_call(req[, from])
//   (gen_server:send_request/2, wait_response/2, ...)
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
#include <optional>
#include <type_traits>
#include <utility>

#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_ref.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/detail/gen_server_engine.hpp"
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
/// Gives up a call: drops the monitor (and a DOWN already queued) and the
/// alias. `monitor_dropped`: the server's reply said it removed the monitor
/// already, so it is forgotten locally with no demonitor signal.
void call_abandon(ref mon, bool monitor_dropped = false) noexcept;

/// The awaitable behind otp::call and the sys requests: monitors the server
/// (the monitor ref is also the reply alias), marks the queue, sends the
/// request, then waits only for the reply or the server's DOWN.
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
    const receive_mark mark = mark_queue();  // before the monitor: a DOWN noproc is newer
    mon_ = make_ref();
    monitor_and_send(me, to, mon_, make_(me.self(), mon_));
    rx_.emplace(std::move(
        rx_t(after_clause<on_timeout>{t_, on_timeout{mon_}},
             guarded<is_reply, take_reply>{is_reply{mon_.id()}, take_reply{&monitor_dropped_}},
             guarded<is_down, on_down>{is_down{mon_}, on_down{}},
             guarded<is_refusal, on_refusal>{is_refusal{mon_.id()}, on_refusal{mon_}})
            .starting_at(mark)));
    return rx_->await_ready();
  }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    return rx_->await_suspend(h);
  }
  R await_resume() {
    value_type v = rx_->await_resume();
    call_abandon(mon_, monitor_dropped_);
    if constexpr (!std::is_void_v<R>) return v;
  }

  /// Blocks a thread that owns an otp::mailbox until the call completes.
  /// @throws otp::badarg on other threads and inside a process (co_await there).
  R get() && {
    require_mailbox_thread("call");
    await_ready();  // completes at once on a mailbox thread
    return await_resume();
  }

 private:
  struct is_reply {
    std::uint64_t tag;
    bool operator()(const reply_msg<value_type>& r) const noexcept { return r.tag == tag; }
  };
  struct take_reply {
    bool* monitor_dropped;
    value_type operator()(reply_msg<value_type>&& r) const {
      *monitor_dropped = r.monitor_dropped;
      return std::move(r.value);
    }
  };
  struct is_down {
    ref mon;
    bool operator()(const down_msg& d) const noexcept { return d.monitor == mon; }
  };
  struct on_down {
    value_type operator()(down_msg&& d) const { call_server_down(d.reason); }
  };
  struct on_timeout {
    ref mon;
    value_type operator()() const {
      call_abandon(mon);
      exit(exit_reason::timeout());
    }
  };
  struct is_refusal {
    std::uint64_t tag;
    bool operator()(const call_refused& r) const noexcept { return r.tag == tag; }
  };
  struct on_refusal {
    ref mon;
    value_type operator()(call_refused&& r) const {
      call_abandon(mon, r.monitor_dropped);
      exit(r.reason);
    }
  };
  using rx_t = receive_op<value_type, after_clause<on_timeout>, guarded<is_reply, take_reply>,
                          guarded<is_down, on_down>, guarded<is_refusal, on_refusal>>;

  pid to_;
  server_name name_;
  Make make_;
  timeout t_;
  bool monitor_dropped_ = false;  // set by take_reply (after await_ready: no move since)
  ref mon_;
  std::optional<rx_t> rx_;
};

template <class S, class Req>
struct make_call {
  Req req;
  envelope* operator()(pid me, ref tag) {
    return make_message<call_msg<S, Req>>(call_msg<S, Req>{me, tag, std::move(req)});
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
/// @mirrors gen_server:call/3
template <class S, class Req>
requires handles_call<S, std::remove_cvref_t<Req>>
auto call(const server_ref<S>& s, Req&& req, timeout t = timeout(default_call_timeout)) {
  using Q = std::remove_cvref_t<Req>;
  return detail::call_op<reply_of<S, Q>, detail::make_call<S, Q>>(
      s.get_pid(), s.name(), detail::make_call<S, Q>{std::forward<Req>(req)}, t);
}

/// Sends `msg` to the server's handle_cast and returns at once. Never fails,
/// even when the server is dead or the name is free (as in OTP).
/// @throws otp::badarg outside a process or mailbox thread.
/// @mirrors gen_server:cast/2
template <class S, class Msg>
requires handles_cast<S, std::remove_cvref_t<Msg>>
void cast(const server_ref<S>& s, Msg&& msg) {
  using M = std::remove_cvref_t<Msg>;
  pid to = s.resolve();
  if (to.is_null()) return;
  send(to, detail::cast_msg<S, M>{std::forward<Msg>(msg)});
}

/// Answers a call that handle_call left without a reply (a deferred reply).
/// Any process may reply. A reply to a caller that gave up is dropped.
/// @mirrors gen_server:reply/2
template <class R, class V>
requires(!std::is_void_v<R> && std::is_convertible_v<V, R>) void reply(const from<R>& f, V&& v) {
  detail::send_reply(f.caller, f.tag, R(std::forward<V>(v)));
}
/// Answers a call whose reply type is void.
template <class R>
requires std::is_void_v<R>
void reply(const from<R>& f) { detail::send_reply(f.caller, f.tag, std::monostate{}); }

/// An outstanding asynchronous call (send_request). Owned by its sender.
template <class R>
struct request_id {
  pid server;
  ref mon;  ///< the monitor on the server, also the reply alias
};

/// The outcome of wait_response / receive_response.
template <class R>
struct response {
  enum class status : unsigned char { reply, error, timeout };
  status state = status::timeout;
  std::optional<detail::stored_t<R>> value;  ///< the reply (status reply)
  exit_reason reason;                        ///< why the server went down (status error)
};

/// Sends `req` as a call without waiting; collect the reply with
/// wait_response or receive_response. A dead server gives an `error`
/// response with `noproc`.
/// @mirrors gen_server:send_request/2
template <class S, class Req>
requires handles_call<S, std::remove_cvref_t<Req>> request_id<reply_of<S, std::remove_cvref_t<Req>>>
send_request(const server_ref<S>& s, Req&& req) {
  using Q = std::remove_cvref_t<Req>;
  detail::process& me = detail::require_process("send_request");
  pid to = s.resolve();
  if (to.is_null()) {  // nobody to ask: DOWN noproc at once
    ref mon = monitor(to);
    detail::activate_alias(me, mon);
    return {to, mon};
  }
  using M = detail::call_msg<S, Q>;
  const ref mon = make_ref();
  detail::monitor_and_send(me, to, mon,
                           detail::make_message<M>(M{me.self(), mon, std::forward<Req>(req)}));
  return {to, mon};
}

/// Waits up to `t` for the reply to `id`. On timeout the request stays
/// outstanding (wait again later); on reply or error it is finished.
/// @mirrors gen_server:wait_response/2
template <class R>
task<response<R>> wait_response(request_id<R> id, timeout t) {
  using V = detail::stored_t<R>;
  bool monitor_dropped = false;
  response<R> out = co_await receive(
      when([tag = id.mon.id()](const detail::reply_msg<V>& r) { return r.tag == tag; },
           [&monitor_dropped](detail::reply_msg<V>&& r) {
             monitor_dropped = r.monitor_dropped;
             response<R> x;
             x.state = response<R>::status::reply;
             x.value.emplace(std::move(r.value));
             return x;
           }),
      when([m = id.mon](const down_msg& d) { return d.monitor == m; },
           [](down_msg&& d) {
             response<R> x;
             x.state = response<R>::status::error;
             x.reason = std::move(d.reason);
             return x;
           }),
      when([tag = id.mon.id()](const detail::call_refused& r) { return r.tag == tag; },
           [&monitor_dropped](detail::call_refused&& r) {
             monitor_dropped = r.monitor_dropped;
             response<R> x;
             x.state = response<R>::status::error;
             x.reason = std::move(r.reason);
             return x;
           }),
      after(t, [] { return response<R>{}; }));
  if (out.state != response<R>::status::timeout) detail::call_abandon(id.mon, monitor_dropped);
  co_return out;
}

/// As wait_response, but a timeout abandons the request: its late reply is
/// dropped and never reaches the mailbox.
/// @mirrors gen_server:receive_response/2
template <class R>
task<response<R>> receive_response(request_id<R> id, timeout t) {
  response<R> out = co_await wait_response(id, t);
  if (out.state == response<R>::status::timeout) detail::call_abandon(id.mon);
  co_return out;
}

namespace detail {
template <class S, class... A>
task<started<S>> start_server(bool link, start_options o, A... args) {
  server_name name = o.name;
  if (link)
    co_return co_await proc_lib::start_link(o, &server_main<S, A...>, std::move(name),
                                            std::move(args)...);
  co_return co_await proc_lib::start(o, &server_main<S, A...>, std::move(name), std::move(args)...);
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
  return detail::start_server<S>(true, std::move(o), std::move(args)...);
}
/// start_link without options.
template <class S, class... A>
requires(sizeof...(A) == 0 ||
         !std::is_same_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., void>>>,
                         start_options>) task<started<S>> start_link(A... args) {
  return start_link<S>(start_options{}, std::move(args)...);
}

/// As start_link, without a link to the caller.
/// @mirrors gen_server:start/4
template <class S, class... A>
task<started<S>> start(start_options o, A... args) {
  return detail::start_server<S>(false, std::move(o), std::move(args)...);
}
/// start without options.
template <class S, class... A>
requires(sizeof...(A) == 0 ||
         !std::is_same_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., void>>>,
                         start_options>) task<started<S>> start(A... args) {
  return start<S>(start_options{}, std::move(args)...);
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

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

#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_ref.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/detail/gen_server_engine.hpp"
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

namespace detail {

/// An answer to an outstanding request: its response, which request
/// (0 for a timeout), and whether the server already dropped the monitor.
template <class R>
struct answer {
  response<R> r;
  std::uint64_t tag = 0;
  bool monitor_dropped = false;

  static answer of(reply_msg<stored_t<R>>&& m) {
    answer a;
    a.r.state = response<R>::status::reply;
    a.r.value.emplace(std::move(m.value));
    a.tag = m.tag;
    a.monitor_dropped = m.monitor_dropped;
    return a;
  }
  static answer of(down_msg&& d) {
    answer a;
    a.r.state = response<R>::status::error;
    a.r.reason = std::move(d.reason);
    a.tag = d.monitor.id();
    return a;
  }
  static answer of(call_refused&& m) {
    answer a;
    a.r.state = response<R>::status::error;
    a.r.reason = std::move(m.reason);
    a.tag = m.tag;
    a.monitor_dropped = m.monitor_dropped;
    return a;
  }
};

/// Waits up to `t` for the answer to a request whose tag `has(tag)` accepts:
/// its reply, its server's DOWN, or the server's refusal of a call meant for
/// another type. @returns the answer (a default one, status timeout, on expiry).
template <class R, class Has>
task<answer<R>> receive_answer(Has has, timeout t) {
  using V = stored_t<R>;
  co_return co_await receive(when([has](const reply_msg<V>& m) { return has(m.tag); },
                                  [](reply_msg<V>&& m) { return answer<R>::of(std::move(m)); }),
                             when([has](const down_msg& d) { return has(d.monitor.id()); },
                                  [](down_msg&& d) { return answer<R>::of(std::move(d)); }),
                             when([has](const call_refused& m) { return has(m.tag); },
                                  [](call_refused&& m) { return answer<R>::of(std::move(m)); }),
                             after(t, [] { return answer<R>{}; }));
}

/// The answer `m` is to a request whose tag `has(tag)` accepts, or nullopt.
template <class R, class Has>
std::optional<answer<R>> answer_in(any_message& m, Has has) {
  if (auto* r = m.get_if<reply_msg<stored_t<R>>>(); r != nullptr && has(r->tag))
    return answer<R>::of(std::move(*r));
  if (auto* d = m.get_if<down_msg>(); d != nullptr && has(d->monitor.id()))
    return answer<R>::of(std::move(*d));
  if (auto* c = m.get_if<call_refused>(); c != nullptr && has(c->tag))
    return answer<R>::of(std::move(*c));
  return std::nullopt;
}

}  // namespace detail

/// Waits up to `t` for the reply to `id`. On timeout the request stays
/// outstanding (wait again later); on reply or error it is finished.
/// @mirrors gen_server:wait_response/2
template <class R>
task<response<R>> wait_response(request_id<R> id, timeout t) {
  const std::uint64_t tag = id.mon.id();
  detail::answer<R> a =
      co_await detail::receive_answer<R>([tag](std::uint64_t x) { return x == tag; }, t);
  if (a.r.state != response<R>::status::timeout) detail::call_abandon(id.mon, a.monitor_dropped);
  co_return std::move(a.r);
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

/// Whether message `m` (taken by a process that receives any_message, or
/// by a gen_server's handle_info(otp::any_message&)) answers `id`.
/// @returns the response (the request is then finished and `m` emptied of
///   its value), or nullopt when `m` is something else (OTP's no_reply).
/// @mirrors gen_server:check_response/2
template <class R>
std::optional<response<R>> check_response(any_message& m, request_id<R> id) {
  const std::uint64_t tag = id.mon.id();
  std::optional<detail::answer<R>> a =
      detail::answer_in<R>(m, [tag](std::uint64_t x) { return x == tag; });
  if (!a) return std::nullopt;
  detail::call_abandon(id.mon, a->monitor_dropped);
  return std::move(a->r);
}

namespace detail {
template <class S, class... A>
task<started<S>> start_server(start_tie tie, start_options o, A... args) {
  server_name name = o.name;
  const timeout hibernate_after = o.hibernate_after;
  co_return co_await start_impl(tie, o, &server_main<S, A...>, std::move(name), server_entry::start,
                                hibernate_after, std::move(args)...);
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
                                   hibernate_after, std::move(state));
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

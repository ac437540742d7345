// The gen_server engine: request messages, the loop, and how callback results
// are applied. Not part of the API; see otp/behaviours/gen_server.hpp.
//
// Dispatch: a request for server type S travels as call_msg<S, Req> or
// cast_msg<S, Msg>. Their message vtable carries S's family tag and a
// dispatch function instantiated where the request was sent (where S and Req
// are both known), so the loop recognises its requests in O(1) and needs no
// type registry. Everything else is an info message or a system message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

#include "otp/behaviours/from.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_name.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/behaviours/types.hpp"
#include "otp/runtime/any_message.hpp"
#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/detail/reply_channel.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/hibernate.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/task.hpp"

namespace otp {

namespace detail {

template <class T>
inline constexpr bool is_types = false;
template <class... T>
inline constexpr bool is_types<types<T...>> = true;

/// S declares its handle_info types (`using info = otp::types<...>`); a
/// request or message type that S happens to name `info` is not that.
template <class S>
concept declares_info = requires {
  typename S::info;
}
&&is_types<typename S::info>;
/// Likewise for handle_continue (`using continues = otp::types<...>`).
template <class S>
concept declares_continues = requires {
  typename S::continues;
}
&&is_types<typename S::continues>;

/// The reply type of request Req sent to S: Req::reply when declared, else
/// what S::handle_call returns (unwrapping task<> and call_result<>).
template <class T>
struct unwrap_reply {
  using type = T;
};
template <class R>
struct unwrap_reply<call_result<R>> {
  using type = R;
};
template <class T>
struct unwrap_reply<task<T>> : unwrap_reply<T> {};

template <class S, class Req>
struct handler_return {
  using type = decltype(std::declval<S&>().handle_call(std::declval<Req&&>()));
};

/// What S::handle_call returns for Req, in either form (with or without the
/// from<R> argument).
template <class S, class Req, class R>
struct call_handler_return : handler_return<S, Req> {};
template <class S, class Req, class R>
requires requires(S& s, Req&& q, from<R>& f) { s.handle_call(std::move(q), f); }
struct call_handler_return<S, Req, R> {
  using type =
      decltype(std::declval<S&>().handle_call(std::declval<Req&&>(), std::declval<from<R>&>()));
};

template <class S, class Req>
struct reply_type {
  using type = typename unwrap_reply<typename handler_return<S, Req>::type>::type;
};
template <class S, class Req>
requires requires { typename Req::reply; }
struct reply_type<S, Req> {
  using type = typename Req::reply;
};

class server_base;

/// System operations every behaviour loop answers (see otp/behaviours/sys.hpp).
enum class sys_op : std::uint8_t {
  run,        // run `fn` on the loop (get_state, replace_state, statistics, ...)
  suspend,    // handle only system messages until resume
  resume,     // back to normal
  terminate,  // stop with `reason` (gen_server:stop)
};

struct system_msg {
  pid caller;
  ref tag;
  sys_op op = sys_op::run;
  exit_reason reason;
  /// Runs in the server; answers the caller itself (send_alias to tag).
  std::function<void(server_base&, pid caller, ref tag)> fn;
};

/// The non-template part of a gen_server loop: bookkeeping shared with sys.
class server_base {
 public:
  server_base() = default;
  server_base(const server_base&) = delete;
  server_base& operator=(const server_base&) = delete;
  virtual ~server_base() = default;
  // On the heap, so that it outlives the frames a hibernation destroys; from
  // the runtime's pools, as the frames are.
  static void* operator new(std::size_t n) { return block_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { block_free(p, n); }

  /// The callback object, type-erased (sys).
  virtual void* state_ptr() noexcept = 0;
  virtual const std::type_info& state_type() const noexcept = 0;
  /// The state as format_status prints it, or its type name.
  virtual std::string format_state() = 0;
  /// Calls code_change(old_vsn) on the state when it has one; false if not.
  virtual bool code_change(const std::string& old_vsn) = 0;

  behaviour_info info;
  std::uint64_t handled = 0;  ///< messages handled (calls, casts, infos)
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
  bool suspended = false;
  bool in_init = true;  ///< init is running: `ignore` is valid
  bool ignored = false;
  /// init returned init_error(R): start_link returns {error, R}, exit normal.
  std::optional<exit_reason> init_error;
  const std::type_info* last_type = nullptr;  ///< type of the message being handled

  // --- outcome of the latest callback (engine use) ---
  std::optional<task<void>> pending;  // a coroutine callback still to await
  /// Moves the pending coroutine callback out, for the loop to await.
  task<void> take_pending() noexcept {
    task<void> t = std::move(*pending);
    pending.reset();
    return t;
  }
  bool stopping = false;
  exit_reason stop_reason;
  std::optional<timeout> next_timeout;
  std::optional<any_message> next_continue;
  /// Hibernate before the next receive: the latest callback returned
  /// hibernate(), or hibernate_after passed. Kept, as a timeout is, across
  /// system messages and refused calls.
  bool hibernate_next = false;
  /// The start option hibernate_after (infinity: never).
  timeout hibernate_after = timeout(infinity);

  /// Applies a noreply/stop result. `ignore` is only valid from init.
  void apply(server_result r);
  /// Handles a system message (runs in the loop).
  void on_system(system_msg& m);
  /// Logs a message nobody handles (the default handle_info).
  void unexpected(const any_message& m);
  /// Answers a call meant for another server type (`m` is a call_msg of
  /// another family): the caller's call exits with {bad_call,Request,Server};
  /// this server logs an error report and goes on.
  void refuse_call(const any_message& m);
  /// The crash report for `reason`, if it is abnormal.
  void report_crash(const exit_reason& reason);
};

/// What the state shows as when format_status threw (call it in the catch
/// block): `{format_status_crashed,Type,"what"}`.
std::string format_status_crashed();
/// How a state without format_status is shown: `#` and its type's name.
std::string format_opaque_state(const std::type_info& type);

template <class S>
inline constexpr char server_family = 0;

template <class S>
class server_loop;

template <class S, class Req>
struct call_msg : call_header {
  static constexpr const void* otp_family = &server_family<S>;
  static void otp_dispatch(void* loop, message_header* m);
  static const call_header& otp_header(const message_header* m) noexcept;
  static constexpr call_traits otp_call{&typeid(S), &typeid(Req), &otp_header};
  call_msg(pid caller, ref tag, Req r) : call_header{caller, tag}, req(std::move(r)) {}
  Req req;
};

template <class S, class Msg>
struct cast_msg {
  static constexpr const void* otp_family = &server_family<S>;
  static void otp_dispatch(void* loop, message_header* m);
  Msg msg;
};

/// The argument type of S's only handle_info (or handle_continue), if it has
/// exactly one; void otherwise.
template <class F>
struct single_arg {
  using type = void;
};
template <class F>
requires requires { typename callable_traits<F>::arg; }
struct single_arg<F> {
  using type = std::remove_cvref_t<typename callable_traits<F>::arg>;
};

template <class S>
auto info_list() {
  if constexpr (declares_info<S>) {
    return typename S::info{};
  } else if constexpr (requires { &S::handle_info; }) {
    using A = typename single_arg<decltype(&S::handle_info)>::type;
    if constexpr (std::is_void_v<A> || std::is_same_v<A, any_message>)
      return types<>{};
    else
      return types<A>{};
  } else {
    return types<exit_msg, down_msg, timeout_msg>{};
  }
}

template <class S>
auto continue_list() {
  if constexpr (declares_continues<S>) {
    return typename S::continues{};
  } else if constexpr (requires { &S::handle_continue; }) {
    using A = typename single_arg<decltype(&S::handle_continue)>::type;
    if constexpr (std::is_void_v<A>)
      return types<>{};
    else
      return types<A>{};
  } else {
    return types<>{};
  }
}

/// Whether S::handle_call(Request) returning `Returned` (a value, a
/// call_result, or a task of one) can answer with the request's `Reply`. A
/// class, so that a failed static_assert prints all three types first.
template <class Request, class Reply, class Returned>
struct handle_call_returns_reply {
  using T = awaited_value_t<Returned>;
  static constexpr bool value = (std::is_void_v<Reply> && std::is_void_v<T>) ||
                                std::is_constructible_v<call_result<Reply>, T>;
};

/// Turns what a handle_call returned into a call_result<R>.
template <class R, class Ret>
call_result<R> to_call_result(Ret&& r) {
  using T = std::remove_cvref_t<Ret>;
  if constexpr (std::is_same_v<T, call_result<R>>)
    return std::forward<Ret>(r);
  else
    return call_result<R>(std::forward<Ret>(r));
}

template <class S>
class server_loop final : public server_base {
 public:
  std::optional<S> state;

  void* state_ptr() noexcept override { return state ? &*state : nullptr; }
  const std::type_info& state_type() const noexcept override { return typeid(S); }
  std::string format_state() override {
    if (!state) return "undefined";
    if constexpr (requires(const S& s) {
                    { s.format_status() } -> std::convertible_to<std::string>;
                  }) {
      try {  // a report or sys:get_status must not end the server
        return state->format_status();
      } catch (...) {
        return format_status_crashed();
      }
    } else {
      return format_opaque_state(typeid(S));
    }
  }
  bool code_change(const std::string& old_vsn) override {
    if constexpr (requires(S & s) { s.code_change(old_vsn); }) {
      state->code_change(old_vsn);
      return true;
    } else {
      return false;
    }
  }

  template <class Req>
  void on_call(call_msg<S, Req>& m) {
    using R = typename reply_type<S, Req>::type;
    from<R> f{m.caller, m.tag};
    using Returned = typename call_handler_return<S, Req, R>::type;
    static_assert(handle_call_returns_reply<Req, R, Returned>::value,
                  "handle_call(Request) returns a type that is not the request's reply type "
                  "(Request::reply), nor otp::call_result of it, nor a task of either");
    if constexpr (requires(S & s) { s.handle_call(std::move(m.req), f); })
      run_call<R>(f, [&] { return state->handle_call(std::move(m.req), f); });
    else
      run_call<R>(f, [&] { return state->handle_call(std::move(m.req)); });
  }

  template <class Msg>
  void on_cast(cast_msg<S, Msg>& m) {
    run([&] { return state->handle_cast(std::move(m.msg)); });
  }

  /// handle_info for `m`, through the declared or deduced info types.
  void on_info(any_message& m) { info_from(m, info_list<S>()); }

  /// handle_continue for the pending continue value.
  void on_continue(any_message& c) {
    if (!continue_from(c, continue_list<S>()))
      apply(server_result::stop(
          exit_reason::other(std::string("{undef,handle_continue,") + c.type().name() + "}")));
  }

  /// init: the optional init() hook after construction.
  void on_init() {
    if constexpr (requires(S & s) { s.init(); }) run([&] { return state->init(); });
  }

  /// terminate(reason), when S has it.
  void on_terminate(const exit_reason& reason) {
    if constexpr (requires(S & s) { s.terminate(reason); })
      run([&] { return state->terminate(reason); });
  }

 private:
  /// Runs a callback and applies what it returned.
  template <class F>
  void run(F&& f) {
    if constexpr (std::is_void_v<decltype(f())>)
      f();
    else
      finish(f());
  }
  template <class R, class F>
  void run_call(const from<R>& from, F&& f) {
    if constexpr (std::is_void_v<decltype(f())>) {
      static_assert(std::is_void_v<R>, "handle_call returns void but the request has a reply type");
      f();
      send_reply(from.caller, from.tag, std::monostate{});
    } else {
      finish_call<R>(from, f());
    }
  }

  template <class Ret>
  void finish(Ret&& r) {
    using T = std::remove_cvref_t<Ret>;
    if constexpr (is_task_v<T>) {
      pending.emplace(await_then_apply(this, std::forward<Ret>(r)));
    } else {
      static_assert(std::is_same_v<T, server_result>,
                    "handle_cast/handle_info/handle_continue/init must return void, "
                    "otp::server_result, or a task of one");
      apply(std::forward<Ret>(r));
    }
  }
  template <class T>
  static task<void> await_then_apply(server_loop* self, task<T> t) {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
    } else {
      self->apply(co_await std::move(t));
    }
  }

  template <class R, class Ret>
  void finish_call(const from<R>& f, Ret&& r) {
    using T = std::remove_cvref_t<Ret>;
    if constexpr (is_task_v<T>) {
      pending.emplace(await_then_reply<R>(this, f, std::forward<Ret>(r)));
    } else {
      apply_call<R>(f, to_call_result<R>(std::forward<Ret>(r)));
    }
  }
  template <class R, class T>
  static task<void> await_then_reply(server_loop* self, from<R> f, task<T> t) {
    if constexpr (std::is_void_v<T>) {
      static_assert(std::is_void_v<R>, "handle_call returns void but the request has a reply type");
      co_await std::move(t);
      send_reply(f.caller, f.tag, std::monostate{});
    } else {
      self->apply_call<R>(f, to_call_result<R>(co_await std::move(t)));
    }
  }

  template <class R>
  void apply_call(const from<R>& f, call_result<R> r) {
    if (auto& v = r.reply_value()) send_reply(f.caller, f.tag, std::move(*v));
    apply(std::move(r.rest()));
  }

  template <class... T>
  void info_from(any_message& m, types<T...>) {
    if ((try_info<T>(m) || ...)) return;
    if constexpr (requires(S & s) { s.handle_info(m); })
      run([&] { return state->handle_info(m); });
    else
      unexpected(m);
  }
  template <class T>
  bool try_info(any_message& m) {
    if constexpr (requires(S & s, T & v) { s.handle_info(v); }) {
      if (T* v = m.get_if<T>()) {
        run([&] { return state->handle_info(*v); });
        return true;
      }
    }
    return false;
  }

  template <class... T>
  bool continue_from(any_message& c, types<T...>) {
    return (try_continue<T>(c) || ...);
  }
  template <class T>
  bool try_continue(any_message& c) {
    if (T* v = c.get_if<T>()) {
      run([&] { return state->handle_continue(*v); });
      return true;
    }
    return false;
  }
};

template <class S, class Req>
const call_header& call_msg<S, Req>::otp_header(const message_header* m) noexcept {
  return static_cast<const message_envelope<call_msg>*>(m)->value;
}

template <class S, class Req>
void call_msg<S, Req>::otp_dispatch(void* loop, message_header* m) {
  static_cast<server_loop<S>*>(loop)->on_call(static_cast<message_envelope<call_msg>*>(m)->value);
}

template <class S, class Msg>
void cast_msg<S, Msg>::otp_dispatch(void* loop, message_header* m) {
  static_cast<server_loop<S>*>(loop)->on_cast(static_cast<message_envelope<cast_msg>*>(m)->value);
}

/// Registers `name` for the calling process. std::nullopt when it did;
/// otherwise the current holder (null if it went away meanwhile).
std::optional<pid> claim_name(const server_name& name);
/// claim_name, and when the holder is a process whose link parent is gone
/// (the previous incarnation of this server, whose supervisor was killed,
/// that has not handled its parent's exit yet) waits up to
/// kOrphanHolderWait for it to exit and claims again.
/// @returns the holder that kept the name, or nullopt once the name is ours.
task<std::optional<pid>> claim_name_after_orphans(const server_name& name);
/// Releases `name` (init failed).
void release_name(const server_name& name) noexcept;

/// Records an exception escaping a callback as an exit reason.
exit_reason reason_of_current_exception() noexcept;

/// The message kinds the loop tells apart.
/// foreign_call: a call request for another server type.
enum class inbound : std::uint8_t { request, foreign_call, system, parent_exit, info };
inbound classify(const any_message& m, const void* family, pid parent) noexcept;

/// While a server is suspended (sys:suspend): waits for the next system
/// message (handled) or an exit from the parent (the server stops). A
/// coroutine of its own, so its receive takes no room in the frame of every
/// server that is never suspended.
task<void> wait_while_suspended(server_base& loop);

/// The behaviour a server of type S reports (sys:get_status, reports):
/// S::behaviour when declared ("supervisor"), else "gen_server".
template <class S>
constexpr const char* behaviour_name() noexcept {
  if constexpr (requires { S::behaviour; })
    return S::behaviour;
  else
    return "gen_server";
}

/// How a process becomes a gen_server.
enum class server_entry : unsigned char {
  start,  ///< started by start/start_link: claim the name, init, ack
  enter,  ///< enter_loop: the process already did all that; S is moved in
};

/// Checks, for enter_loop, that `name` is registered to the calling process.
/// @exits `process_not_registered` (or `process_not_registered_via`) when not.
void require_own_name(const server_name& name);

/// The start of a server: its state and, when started (not entered), its
/// name, init and the ack to the starter. A coroutine of its own, so that
/// what only the start needs (the awaiters of a name claim and of a
/// coroutine init) leaves the frame that lives as long as the server.
/// @returns whether the server goes on to serve (false: it ends normal).
/// @exits as starter::fail, when init failed.
template <class S, class... A>
task<bool> server_start(server_loop<S>& loop, starter& st, const server_name& name,
                        server_entry entry, A&... args) {
  if (entry == server_entry::enter) {
    require_own_name(name);
    loop.state.emplace(std::move(args)...);
    loop.in_init = false;
  } else if (!name.empty()) {
    if (std::optional<pid> holder = co_await claim_name_after_orphans(name)) {
      st.ack(start_result::already_started(*holder));
      co_return false;
    }
  }
  if (entry == server_entry::start) {
    // init: construct the state, then the optional init() hook.
    std::optional<exit_reason> failed;
    try {
      loop.state.emplace(std::move(args)...);
      loop.on_init();
      if (loop.pending) co_await loop.take_pending();
    } catch (...) {
      failed = reason_of_current_exception();
    }
    loop.in_init = false;
    if (!failed && loop.ignored) {
      release_name(name);
      st.ack(start_result::ignore());
      co_return false;
    }
    if (!failed && loop.init_error) {  // {error, R}: the process ends normal
      release_name(name);
      st.ack(start_result::error(std::move(*loop.init_error)));
      co_return false;
    }
    if (!failed && loop.stopping) failed = loop.stop_reason;
    if (failed) {
      release_name(name);
      loop.report_crash(*failed);
      st.fail(*failed);
    }
    st.ack(start_result::ok(self()));
  }

  co_return true;
}

/// How server_serve runs: as the process's body after a start, under the
/// caller's frames after enter_loop, or as the body a hibernation woke in.
enum class serve_mode : unsigned char { top, entered, woke };

/// The serving part of a gen_server's life: the receive loop, then
/// terminate. Owns the loop (and with it the state), which lives on the
/// heap so that a hibernation can destroy this frame and start a new one.
template <class S>
proc server_serve(std::unique_ptr<server_loop<S>> owned, serve_mode mode) {
  server_loop<S>& loop = *owned;
  const void* family = &server_family<S>;
  // Woken from hibernation: take the message that woke it before anything
  // else (hibernate_next stays set, so a system message hibernates again).
  bool woke = mode == serve_mode::woke;
  // One receive and one await of a coroutine callback for every path: each
  // co_await keeps its own awaiter in the frame, and the frame is the
  // largest part of an idle server's memory.
  for (;;) {
    std::optional<any_message> got;  // alive while a coroutine callback runs
    try {
      if (loop.next_continue) {
        got = std::move(loop.next_continue);
        loop.next_continue.reset();
        loop.last_type = &got->type();
        loop.on_continue(*got);
      } else if (loop.suspended) {
        co_await wait_while_suspended(loop);
      } else if (loop.hibernate_next && !woke) {
        co_await hibernate(&server_serve<S>, std::move(owned), serve_mode::woke);
      } else {
        woke = false;
        // A callback's timeout, else hibernate_after, else none.
        got = co_await otp::receive<any_message>(loop.next_timeout ? *loop.next_timeout
                                                                   : loop.hibernate_after);
        if (!got && !loop.next_timeout) {  // hibernate_after passed
          loop.hibernate_next = true;
          continue;
        }
        if (!got) {  // the callback's timeout expired
          loop.next_timeout.reset();
          got.emplace(make_message<timeout_msg>());
          loop.last_type = &typeid(timeout_msg);
          loop.on_info(*got);
        } else {
          any_message& m = *got;
          loop.last_type = &m.type();
          switch (classify(m, family, loop.info.parent)) {
            case inbound::request:
              loop.next_timeout.reset();
              loop.hibernate_next = false;
              ++loop.handled;
              m.envelope()->vt->dispatch(&loop, m.envelope());
              break;
            case inbound::foreign_call:
              loop.refuse_call(m);  // keeps any pending timeout or hibernation
              break;
            case inbound::system:
              loop.on_system(m.get<system_msg>());  // keeps any pending timeout or hibernation
              break;
            case inbound::parent_exit:
              loop.apply(server_result::stop(m.get<exit_msg>().reason));
              break;
            case inbound::info:
              loop.next_timeout.reset();
              loop.hibernate_next = false;
              ++loop.handled;
              loop.on_info(m);
              break;
          }
        }
      }
      if (loop.pending) co_await loop.take_pending();
    } catch (...) {
      loop.stopping = true;
      loop.stop_reason = reason_of_current_exception();
    }
    if (loop.stopping) break;
  }
  exit_reason reason = loop.stop_reason;
  try {
    loop.on_terminate(reason);
    if (loop.pending) co_await loop.take_pending();
  } catch (...) {
    reason = reason_of_current_exception();
  }
  loop.report_crash(reason);
  process& me = require_process("gen_server");
  // enter_loop never returns to its caller: the process ends with `reason`
  // (and is a plain process again, should its body catch that exit).
  if (mode == serve_mode::entered) {
    set_behaviour_slot(me, nullptr);
    exit(std::move(reason));
  }
  // The process ends with `reason` when the body returns: the same outcome
  // as exit(reason), without unwinding the frame by an exception.
  if (!reason.is_normal()) end_with(me, std::move(reason));
}

/// The gen_server process body (and, awaited by enter_loop, the rest of the
/// life of a process that becomes a server): the start, then server_serve.
template <class S, class... A>
proc server_main(starter st, server_name name, server_entry entry, timeout hibernate_after,
                 A... args) {
  std::unique_ptr<server_loop<S>> owned(new server_loop<S>);
  server_loop<S>& loop = *owned;
  process& me = require_process("gen_server");
  set_behaviour_slot(me, &loop.info);
  // Started without a link, the server is its own parent (OTP's gen:start):
  // an exit from its starter is then an ordinary EXIT for handle_info. A
  // process entering the loop without a starter is its own parent too.
  loop.info.parent = st.linked() && !st.parent().is_null() ? st.parent() : me.self();
  loop.info.ancestors = st.take_ancestors();
  loop.info.kind = behaviour_name<S>();
  loop.info.name = name.empty() ? std::string() : name.to_string();
  loop.hibernate_after = hibernate_after;

  if (!co_await server_start(loop, st, name, entry, args...)) co_return;

  if (entry == server_entry::enter) {  // the caller's frames stay below
    co_await server_serve<S>(std::move(owned), serve_mode::entered);
  } else {
    // What only the start needed (this frame: the starter, the name, the
    // arguments) goes; the server's life goes on in a frame of its own.
    co_await continue_as(&server_serve<S>, std::move(owned), serve_mode::top);
  }
}

}  // namespace detail
}  // namespace otp

// The gen_server engine: request messages and the loop that applies callback
// results. Not part of the API; see otp/behaviours/gen_server.hpp.
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

#include "otp/behaviours/detail/server_base.hpp"
#include "otp/behaviours/detail/server_traits.hpp"
#include "otp/behaviours/from.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_name.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/behaviours/types.hpp"
#include "otp/runtime/any_message.hpp"
#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/detail/reply_channel.hpp"
#include "otp/runtime/detail/type_name.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/hibernate.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/telemetry.hpp"

namespace otp::detail {

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

/// Sends `v` as the reply to the call `f`: to the caller's channel, or
/// through the distribution layer for a caller of another node.
template <class R, class V>
void answer(const from<R>& f, V&& v) {
  if (f.remote)
    f.remote->answer(stored_t<R>(std::forward<V>(v)));
  else
    send_reply(f.caller, f.tag, std::forward<V>(v));
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
    on_request(m.req, from<typename reply_type<S, Req>::type>{m.caller, m.tag, nullptr});
  }

  /// handle_call for `req`, answered to `f` (a call of this node or, through
  /// S::remote, of another node).
  template <class Req, class R>
  void on_request(Req& req, from<R> f) {
    if (!telemetry_calls || telemetry::detail::attached.load(std::memory_order_relaxed) == 0)
        [[likely]] {
      handle(req, std::move(f));
      return;
    }
    static const std::string request_name = type_name(typeid(Req));
    struct traced {
      server_loop* self;
      Req* req;
      from<R>* f;
    } c{this, &req, &f};
    traced_call(
        request_name,
        [](void* p) {
          auto* t = static_cast<traced*>(p);
          t->self->handle(*t->req, std::move(*t->f));
        },
        &c);
  }

  template <class Msg>
  void on_cast(cast_msg<S, Msg>& m) {
    on_cast_value(m.msg);
  }

  /// handle_cast for `msg` (a cast of this node or, through S::remote, of
  /// another node).
  template <class Msg>
  void on_cast_value(Msg& msg) {
    run([&] { return state->handle_cast(std::move(msg)); });
  }

  /// handle_call for `req`, its reply sent or left to the callback's `from`.
  template <class Req, class R>
  void handle(Req& req, from<R> f) {
    using Returned = typename call_handler_return<S, Req, R>::type;
    static_assert(handle_call_returns_reply<Req, R, Returned>::value,
                  "handle_call(Request) returns a type that is not the request's reply type "
                  "(Request::reply), nor otp::call_result of it, nor a task of either");
    if constexpr (requires(S & s) { s.handle_call(std::move(req), f); })
      run_call<R>(f, [&] { return state->handle_call(std::move(req), f); });
    else
      run_call<R>(f, [&] { return state->handle_call(std::move(req)); });
  }

  /// handle_info for `m`, through the declared or deduced info types; with
  /// S::remote (otp/dist/remote_api.hpp), the calls and casts of other
  /// nodes' processes go to handle_call and handle_cast first.
  void on_info(any_message& m) {
    if constexpr (requires { typename S::remote; }) {
      if (S::remote::template dispatch<S>(*this, m)) return;
    }
    info_from(m, info_list<S>());
  }

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
      answer(from, std::monostate{});
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
      answer(f, std::monostate{});
    } else {
      self->apply_call<R>(f, to_call_result<R>(co_await std::move(t)));
    }
  }

  template <class R>
  void apply_call(const from<R>& f, call_result<R> r) {
    if (auto& v = r.reply_value()) answer(f, std::move(*v));
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

}  // namespace otp::detail

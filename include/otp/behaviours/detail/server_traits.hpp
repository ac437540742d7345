// What the gen_server engine reads from a callback type S at compile time:
// its handle_info / handle_continue message lists, the reply type of each
// request, and how a handle_call result becomes a call_result. Not part of
// the API; see otp/behaviours/gen_server.hpp.
#pragma once

#include <type_traits>
#include <utility>

#include "otp/behaviours/from.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/behaviours/types.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/task.hpp"

namespace otp::detail {

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

}  // namespace otp::detail

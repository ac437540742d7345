// Selective receive: typed handlers, guards, and `after` timeouts.
//
//   co_await otp::receive(
//       [](const Ping& p) { ... },                      // matches messages of type Ping
//       otp::when([](int n) { return n > 0; },           // matches ints > 0 only
//                 [](int n) { ... }),
//       otp::after(100ms, [] { ... }));                  // nothing matched in 100 ms
//
// The first queued message (oldest first) that some handler accepts is
// removed and handed to that handler (the first accepting handler, in
// argument order); messages no handler accepts stay queued in order. The
// result of co_await is the handler's result (all handlers must return the
// same type, or all void).
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "otp/runtime/any_message.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

namespace detail {

template <class F>
struct callable_traits : callable_traits<decltype(&F::operator())> {};
template <class R, class A>
struct callable_traits<R (*)(A)> {
  using arg = A;
  using result = R;
};
template <class R, class A>
struct callable_traits<R (*)(A) noexcept> : callable_traits<R (*)(A)> {};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A)> : callable_traits<R (*)(A)> {};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A) const> : callable_traits<R (*)(A)> {};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A) noexcept> : callable_traits<R (*)(A)> {};
template <class R, class C, class A>
struct callable_traits<R (C::*)(A) const noexcept> : callable_traits<R (*)(A)> {};

template <class P, class F>
struct guarded {
  P pred;
  F fn;
};

template <class F>
struct handler_traits {
  using arg = typename callable_traits<F>::arg;
  using value = std::remove_cvref_t<arg>;
  using result = typename callable_traits<F>::result;
};
template <class P, class F>
struct handler_traits<guarded<P, F>> : handler_traits<F> {};

template <class F>
struct after_clause {
  timeout t;
  F fn;
};
struct no_after {};

template <class T>
inline constexpr bool is_after = false;
template <class F>
inline constexpr bool is_after<after_clause<F>> = true;
template <class T>
inline constexpr bool is_guarded = false;
template <class P, class F>
inline constexpr bool is_guarded<guarded<P, F>> = true;

/// What may be passed to receive: a one-argument callable, a guard, or `after`.
template <class A>
concept receive_clause = is_after<A> || is_guarded<A> || requires {
  &A::operator();
} || std::is_function_v<std::remove_pointer_t<A>>;

template <class F, class V>
decltype(auto) call_with(F& f, V& v) {
  using A = typename callable_traits<F>::arg;
  if constexpr (std::is_lvalue_reference_v<A> && !std::is_const_v<std::remove_reference_t<A>>)
    return f(v);
  else
    return f(std::move(v));
}

template <class H>
bool accepts(H& h, envelope* e) {
  using V = typename handler_traits<H>::value;
  if constexpr (std::is_same_v<V, otp::any_message>) {
    static_assert(
        !requires { h.pred; }, "guard a specific type, not any_message");
    return true;
  }
  auto* m = static_cast<message_header*>(e);
  if (m->vt != type_key<V>()) return false;
  if constexpr (requires { h.pred; }) {
    try {
      return static_cast<bool>(h.pred(std::as_const(static_cast<message_envelope<V>*>(e)->value)));
    } catch (...) {
      return false;  // as in Erlang, a guard that raises is false
    }
  } else {
    return true;
  }
}

template <class H>
decltype(auto) invoke_handler(H& h, envelope*& e) {
  using V = typename handler_traits<H>::value;
  if constexpr (std::is_same_v<V, otp::any_message>) {
    otp::any_message m(std::exchange(e, nullptr));  // the handler owns it now
    return call_with(h, m);
  } else {
    auto& v = static_cast<message_envelope<V>*>(e)->value;
    if constexpr (requires { h.pred; })
      return call_with(h.fn, v);
    else
      return call_with(h, v);
  }
}

struct envelope_guard {
  envelope* e;
  ~envelope_guard() {
    if (e != nullptr) destroy_envelope(e);
  }
};

/// The awaitable behind otp::receive. Lives in the waiting coroutine's frame.
template <class R, class After, class... H>
class [[nodiscard]] receive_op {
 public:
  explicit receive_op(After a, H... h) : hs_(std::move(h)...), after_(std::move(a)) {}

  bool await_ready() {
    p_ = &require_process("receive");
    if (p_->external.load(std::memory_order_relaxed)) {
      // A thread mailbox: the coroutine runs on its owner thread, so the
      // receive blocks that thread and is then ready (see task::get).
      wait_blocking();
      return true;
    }
    if (!rx_begin(*p_, start_)) return false;  // an exit is pending: the suspend path ends it
    if (scan()) return rx_take_budget();
    if (timeout_is_zero()) {
      p_->rx_timed_out = true;
      return true;
    }
    return false;
  }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    return rx_suspend(*p_, h, this, &match_thunk, wait_time(), matched_);
  }

  R await_resume() { return finish(); }

  /// Looks only at messages queued after `m` (taken with mark_queue just
  /// before sending a request): the reply cannot be older, so a call does not
  /// rescan a long mailbox. Nothing may be received between the two.
  receive_op&& starting_at(receive_mark m) && noexcept {
    start_ = m.at;
    return std::move(*this);
  }

  ~receive_op() {
    if (got_ != nullptr) destroy_envelope(got_);  // matched, then the process was killed
  }
  receive_op(receive_op&&) = default;

  /// The same receive for a thread mailbox: blocks the calling thread.
  R run_blocking(process& p) {
    p_ = &p;
    wait_blocking();
    return finish();
  }

 private:
  static constexpr bool kHasAfter = !std::is_same_v<After, no_after>;

  timeout wait_time() const noexcept {
    if constexpr (kHasAfter)
      return after_.t;
    else
      return timeout(infinity);
  }
  bool timeout_is_zero() const noexcept {
    if constexpr (kHasAfter)
      return !after_.t.is_infinite() && after_.t.ms() == 0;
    else
      return false;
  }

  void wait_blocking() {
    process& p = *p_;
    if (!rx_begin(p, start_) || !scan()) {
      if (!p.exit_pending && timeout_is_zero())
        p.rx_timed_out = true;
      else
        rx_wait_thread(p, this, &match_thunk, wait_time());
    }
  }
  static bool match_thunk(void* self, process& p) {
    auto* op = static_cast<receive_op*>(self);
    return op->scan() || p.rx_timed_out;
  }

  bool scan() {
    envelope** pp = p_->rx_cursor;
    for (; *pp != nullptr; pp = &(*pp)->next) {
      if (try_all(*pp, std::index_sequence_for<H...>{})) {
        got_ = save_unlink(*p_, pp);
        matched_ = true;
        return true;
      }
    }
    p_->rx_cursor = pp;
    return false;
  }

  template <std::size_t... I>
  bool try_all([[maybe_unused]] envelope* e, std::index_sequence<I...>) {
    return ((accepts(std::get<I>(hs_), e) ? (idx_ = I, true) : false) || ...);
  }

  R finish() {
    process& p = *p_;
    if (!matched_) {
      rx_end(p, false);
      if constexpr (kHasAfter) {
        if constexpr (std::is_void_v<R>) {
          after_.fn();
          return;
        } else {
          return after_.fn();
        }
      } else {
        __builtin_unreachable();  // without `after` a receive only ends with a message
      }
    }
    rx_end(p, true);
    envelope_guard g{std::exchange(got_, nullptr)};
    if constexpr (sizeof...(H) == 0)
      __builtin_unreachable();  // `receive(after(t))` (a sleep) matches nothing
    else
      return dispatch<0>(g.e);
  }

  template <std::size_t I>
  R dispatch(envelope*& e) {
    if constexpr (I + 1 < sizeof...(H)) {
      if (idx_ != I) return dispatch<I + 1>(e);
    }
    if constexpr (std::is_void_v<R>)
      invoke_handler(std::get<I>(hs_), e);
    else
      return invoke_handler(std::get<I>(hs_), e);
  }

  std::tuple<H...> hs_;
  [[no_unique_address]] After after_;
  process* p_ = nullptr;
  envelope* got_ = nullptr;
  std::size_t idx_ = 0;
  envelope** start_ = nullptr;
  bool matched_ = false;
};

template <class After>
struct after_result {
  using type = void;
};
template <class F>
struct after_result<after_clause<F>> {
  using type = std::invoke_result_t<F&>;
};

template <class After, class... H>
using receive_result_t =
    std::common_type_t<typename handler_traits<H>::result..., typename after_result<After>::type>;
template <class... H>
using receive_result_no_after_t = std::common_type_t<typename handler_traits<H>::result...>;

template <class Tuple, std::size_t... I>
auto make_receive_with_after(Tuple&& t, std::index_sequence<I...>) {
  using Last = std::tuple_element_t<sizeof...(I), std::remove_reference_t<Tuple>>;
  using R = receive_result_t<Last, std::tuple_element_t<I, std::remove_reference_t<Tuple>>...>;
  // Each std::get moves a different element out of `t`.
  // NOLINTBEGIN(bugprone-use-after-move): distinct elements
  return receive_op<R, Last, std::tuple_element_t<I, std::remove_reference_t<Tuple>>...>(
      std::get<sizeof...(I)>(std::move(t)), std::get<I>(std::move(t))...);
  // NOLINTEND(bugprone-use-after-move)
}

}  // namespace detail

/// A handler that accepts a message only when `pred(const T&)` is true
/// (Erlang's guard in a receive clause). A predicate that throws counts as
/// false, as a guard that raises does in Erlang.
template <class P, class F>
detail::guarded<P, F> when(P pred, F fn) {
  return {std::move(pred), std::move(fn)};
}

/// The timeout clause of a receive: when no message has matched after `t`,
/// the receive returns `fn()`. `after(0)` polls: it matches what is queued
/// and otherwise times out at once.
/// @throws otp::badarg for a negative or too large timeout (see otp::timeout).
template <class F>
detail::after_clause<F> after(timeout t, F fn) {
  return {t, std::move(fn)};
}
inline auto after(timeout t) {
  return after(t, [] {});
}

/// Waits for the first queued message that one of `handlers` accepts.
///
/// @param handlers callables taking one message (by value, `const T&`, `T&`
///   or `T&&`), `otp::when(pred, fn)` guards, and optionally a last
///   `otp::after(timeout, fn)` clause.
/// @returns an awaitable; `co_await` gives the chosen handler's result.
/// @exits When an exit signal that the process does not trap arrives while it
///   waits, the process ends at once (the frame is destroyed, no handler runs).
/// @throws otp::badarg when awaited outside a process, or for a bad timeout.
/// @threadsafe Only in the process itself.
/// @mirrors `receive ... after ... end`
template <class... Args>
requires(sizeof...(Args) >= 1) auto receive(Args... args) {
  using Last = std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>;
  if constexpr (detail::is_after<Last>) {
    return detail::make_receive_with_after(std::tuple<Args...>(std::move(args)...),
                                           std::make_index_sequence<sizeof...(Args) - 1>{});
  } else {
    using R = detail::receive_result_no_after_t<Args...>;
    return detail::receive_op<R, detail::no_after, Args...>(detail::no_after{}, std::move(args)...);
  }
}

/// Waits for the first queued message of type T and returns it.
template <class T>
auto receive() {
  return receive([](T&& v) -> T { return std::move(v); });
}

/// Waits at most `t` for a message of type T; std::nullopt on timeout.
template <class T>
auto receive(timeout t) {
  return receive([](T&& v) -> std::optional<T> { return std::optional<T>(std::move(v)); },
                 after(t, [] { return std::optional<T>(); }));
}

}  // namespace otp

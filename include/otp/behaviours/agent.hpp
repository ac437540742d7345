// agent<T>: a process holding one value of type T, read and changed by
// functions sent to it. Built on gen_server: the value lives in the callback
// type detail::agent_server<T>.
//
// | API                              | runs in the agent                 | mirrors               |
// |----------------------------------|-----------------------------------|-----------------------|
// | agent<T>::start_link([o,] v)     | state = v                         | Agent.start_link/2    |
// | agent<T>::start_link(init_with(f)) | state = f()                     | Agent.start_link/2    |
// | a.get() / a.get(f, t)            | reply f(state) (default: a copy)  | Agent.get/3           |
// | a.update(f, t)                   | state = f(state)                  | Agent.update/3        |
// | a.get_and_update(f, t)           | {r, state} = f(state); reply r    | Agent.get_and_update/3|
// | a.cast(f)                        | state = f(state), no reply        | Agent.cast/2          |
// | a.stop(reason, t)                | terminate, exit with reason       | Agent.stop/3          |
// | agent<T>::child_spec(id, v, [o]) | a supervisor starts it            | Agent.child_spec/1    |
//
//   auto a = co_await otp::agent<int>::start_link(0);
//   a.ref().cast([](int n) { return n + 1; });
//   int v = co_await a.ref().get();                              // 1
//   int old = co_await a.ref().get_and_update(
//       [](int n) { return std::pair{n, n * 10}; });                // 1; now 10
//
// get, update and get_and_update are calls: `co_await` them in a process, or
// `.get()` them on a thread that owns an otp::mailbox; they wait 5000 ms by
// default. A function that throws crashes the agent with the exception as its
// exit reason (as in Elixir), and a caller waiting on it exits with that
// reason.
//
// update, get_and_update and cast hand the state to f as an rvalue, so f may
// take it by value and return it changed without a copy. update and cast
// also accept an f(T&) returning void, which changes the state in place.
#pragma once

#include <concepts>
#include <string>
#include <type_traits>
#include <utility>

#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_ref.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// An initial state computed in the agent's own process: `f()`.
template <class F>
struct init_with_t {
  F f;
};
/// Wraps `f` so that agent<T>::start_link computes the initial state by
/// calling f() in the new process (as Elixir's Agent.start_link(fun)).
template <class F>
init_with_t<F> init_with(F f) {
  return {std::move(f)};
}

namespace detail {

/// f changes a T in place (f(T&) returns void) rather than returning a new T.
template <class F, class T>
concept mutates_in_place = std::is_void_v<std::invoke_result_t<F&, T&>>;

/// Applies an update function to `state` (see agent<T>::update).
template <class T, class F>
void apply_update(T& state, F& f) {
  if constexpr (mutates_in_place<F, T>)
    f(state);
  else
    state = f(std::move(state));
}

/// The gen_server callback type holding an agent's state.
template <class T>
class agent_server {
 public:
  template <class F>
  struct get_req {
    using reply = std::invoke_result_t<F&, const T&>;
    F f;
  };
  template <class F>
  struct update_req {
    using reply = void;
    F f;
  };
  template <class F>
  struct get_and_update_req {
    using reply = typename std::invoke_result_t<F&, T&&>::first_type;
    F f;
  };
  template <class F>
  struct cast_req {
    F f;
  };

  explicit agent_server(T v) : state_(std::move(v)) {}
  template <class F>
  explicit agent_server(init_with_t<F> i) : state_(i.f()) {}

  template <class F>
  typename get_req<F>::reply handle_call(get_req<F> r) const {
    return r.f(state_);
  }
  template <class F>
  void handle_call(update_req<F> r) {
    apply_update(state_, r.f);
  }
  template <class F>
  typename get_and_update_req<F>::reply handle_call(get_and_update_req<F> r) {
    auto [reply, next] = r.f(std::move(state_));
    state_ = std::move(next);
    return std::move(reply);
  }
  template <class F>
  void handle_cast(cast_req<F> r) {
    apply_update(state_, r.f);
  }

 private:
  T state_;
};

/// The function get() uses by default: a copy of the state.
struct copy_state {
  template <class T>
  T operator()(const T& s) const {
    return s;
  }
};

}  // namespace detail

template <class T>
class agent;

/// What agent<T>::start_link returns: the start_result, and ref(), the
/// agent<T> handle.
template <class T>
using started_agent = started_with<agent<T>>;

/// A handle on an agent process holding a T.
/// @threadsafe Plain value; any process or mailbox thread may use it.
/// @mirrors an Agent pid or name in Elixir
template <class T>
class agent {
 public:
  using server = detail::agent_server<T>;

  agent() = default;
  explicit agent(pid p) : ref_(p) {}
  /// A handle on the agent registered as `name` (resolved at each use).
  explicit agent(server_name name) : ref_(std::move(name)) {}

  /// Starts an agent linked to the caller whose state is `init` (a T, or
  /// init_with(f) to compute it as f() in the agent's process).
  /// @param o name and start options.
  /// @returns ok with the agent; `{error, R}` when f threw R (the caller, if
  ///   not trapping exits, then exits with R: it is linked); already_started
  ///   for a taken name.
  /// @threadsafe Any process or mailbox thread.
  /// @mirrors Agent.start_link/2
  template <class I>
  static task<started_agent<T>> start_link(start_options o, I init) {
    return launch<true>(std::move(o), std::move(init));
  }
  template <class I>
  requires(!std::is_same_v<std::remove_cvref_t<I>,
                           start_options>) static task<started_agent<T>> start_link(I init) {
    start_options o;
    return launch<true>(std::move(o), std::move(init));
  }
  /// A child spec starting this agent under a supervisor, linked to it, with
  /// state `init` (a T, or init_with(f)) and options `o` (a name, say).
  /// @param id the child's id among the supervisor's children.
  /// @mirrors Agent.child_spec/1 (the id is given, not the module)
  template <class I>
  static otp::child_spec child_spec(std::string id, I init, start_options o = {}) {
    otp::child_spec c;
    c.id = std::move(id);
    c.start = [init = std::move(init), o = std::move(o)]() -> task<start_result> {
      co_return co_await gen_server::start_link<server>(o, init);
    };
    return c;
  }

  /// As start_link, without the link. @mirrors Agent.start/2
  template <class I>
  static task<started_agent<T>> start(start_options o, I init) {
    return launch<false>(std::move(o), std::move(init));
  }

  /// Replies f(state), leaving the state as it is; f gets a const T&.
  /// @param t how long to wait (default 5000 ms).
  /// @returns an awaitable giving f's result (the state's copy by default).
  /// @exits as otp::call: `noproc` when the agent is not alive, `timeout`,
  ///   or the agent's exit reason (f's exception when f threw).
  /// @mirrors Agent.get/3
  template <class F = detail::copy_state>
  auto get(F f = {}, timeout t = timeout(default_call_timeout)) const {
    return call(ref_, typename server::template get_req<F>{std::move(f)}, t);
  }
  /// Replaces the state with f(state) (or runs f(state&) returning void).
  /// @returns an awaitable giving void once the agent has applied f.
  /// @exits as get.
  /// @mirrors Agent.update/3
  template <class F>
  auto update(F f, timeout t = timeout(default_call_timeout)) const {
    return call(ref_, typename server::template update_req<F>{std::move(f)}, t);
  }
  /// Calls f(state), which returns std::pair{reply, new_state}; the state
  /// becomes new_state and the caller gets reply.
  /// @exits as get.
  /// @mirrors Agent.get_and_update/3
  template <class F>
  auto get_and_update(F f, timeout t = timeout(default_call_timeout)) const {
    return call(ref_, typename server::template get_and_update_req<F>{std::move(f)}, t);
  }
  /// As update, without waiting; never fails (a dead agent drops it).
  /// @throws otp::badarg outside a process or mailbox thread.
  /// @mirrors Agent.cast/2
  template <class F>
  void cast(F f) const {
    otp::cast(ref_, typename server::template cast_req<F>{std::move(f)});
  }
  /// Stops the agent with `reason` and waits up to `t` for it to end.
  /// @exits as gen_server::stop (`noproc`, `timeout`).
  /// @mirrors Agent.stop/3
  task<void> stop(exit_reason reason = exit_reason::normal(), timeout t = timeout(infinity)) const {
    return gen_server::stop(ref_, std::move(reason), t);
  }

  /// The pid now behind the handle (null when a name is free).
  pid get_pid() const { return ref_.resolve(); }
  const server_ref<server>& ref() const noexcept { return ref_; }

 private:
  template <bool Link, class I>
  static task<started_agent<T>> launch(start_options o, I init) {
    if constexpr (Link)
      co_return co_await gen_server::start_link<server>(std::move(o), std::move(init));
    else
      co_return co_await gen_server::start<server>(std::move(o), std::move(init));
  }

  server_ref<server> ref_;
};

}  // namespace otp

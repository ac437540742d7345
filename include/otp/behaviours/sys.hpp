// sys: the system messages every gen_server-based behaviour answers
// (gen_server, supervisor, dynamic_supervisor, agent).
//
// | function                      | mirrors                   |
// |-------------------------------|---------------------------|
// | sys::get_state(ref[, f])      | sys:get_state/1,2         |
// | sys::replace_state(ref, f)    | sys:replace_state/2,3     |
// | sys::suspend(p) / resume(p)   | sys:suspend/1, resume/1   |
// | sys::statistics(p)            | sys:statistics(P, get)    |
// | sys::get_status(p)            | sys:get_status/1          |
// | sys::change_code(ref, vsn)    | sys:change_code/4         |
//
// Each returns an awaitable: `co_await` it in a process, `.get()` on a
// thread that owns an otp::mailbox. Each exits the caller like otp::call does
// (`noproc`, `timeout`, the server's reason) when the process cannot answer.
// System messages do not cancel a server's pending callback timeout, and a
// suspended server answers nothing but system messages (and its parent's exit).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/behaviours/gen_server.hpp"

namespace otp::sys {

/// What sys::statistics reports.
struct statistics_info {
  std::chrono::system_clock::time_point start_time;
  std::uint64_t messages_handled = 0;  ///< calls, casts and infos handled so far
};

/// What sys::get_status reports.
struct status_info {
  pid self;
  pid parent;
  std::vector<pid> ancestors;
  std::string name;  ///< registered or via name; empty when none
  /// "gen_server", or "supervisor" for supervisors and dynamic (and task)
  /// supervisors; a server type may declare its own as
  /// `static constexpr const char* behaviour`.
  std::string behaviour;
  bool suspended = false;
  std::uint64_t messages_handled = 0;
  std::string state;  ///< the state as format_status prints it
};

namespace detail {

using otp::detail::server_base;

template <class F>
struct make_system {
  otp::detail::sys_op op;
  F fn;
  otp::detail::envelope* operator()(pid me, ref tag) {
    otp::detail::system_msg m;
    m.caller = me;
    m.tag = tag;
    m.op = op;
    m.fn = std::move(fn);
    return otp::detail::make_message<otp::detail::system_msg>(std::move(m));
  }
};

template <class R, class F>
auto system_call(pid to, server_name name, otp::detail::sys_op op, F fn, timeout t) {
  return otp::detail::call_op<R, make_system<F>>(to, std::move(name),
                                                 make_system<F>{op, std::move(fn)}, t);
}

/// The reply of replace_state: empty, or why the function failed.
using replace_outcome = std::optional<std::string>;

[[noreturn]] void callback_failed(const std::string& why);

}  // namespace detail

/// Runs `f(const S&)` inside the server and returns its result.
/// @mirrors sys:get_state/2 (with a projection instead of a copy)
template <class S, class F>
requires std::is_invocable_v<F&, const S&>
auto get_state(const server_ref<S>& s, F f, timeout t = timeout(default_call_timeout)) {
  using R = std::invoke_result_t<F&, const S&>;
  return detail::system_call<R>(
      s.get_pid(), s.name(), otp::detail::sys_op::run,
      [f = std::move(f)](detail::server_base& b, pid caller, ref tag) mutable {
        const S& st = *static_cast<const S*>(b.state_ptr());
        if constexpr (std::is_void_v<R>) {
          f(st);
          otp::detail::send_reply(caller, tag, std::monostate{});
        } else {
          otp::detail::send_reply(caller, tag, f(st));
        }
      },
      t);
}

/// A copy of the server's state. @mirrors sys:get_state/1
template <class S>
requires std::is_copy_constructible_v<S>
auto get_state(const server_ref<S>& s, timeout t = timeout(default_call_timeout)) {
  return get_state(
      s, [](const S& st) { return st; }, t);
}

/// Replaces the server's state with `f(state)`. When f throws, the state is
/// left unchanged and the caller exits with `{callback_failed, What}`.
/// @mirrors sys:replace_state/2
template <class S, class F>
requires std::is_invocable_r_v<S, F&, const S&>
auto replace_state(const server_ref<S>& s, F f, timeout t = timeout(default_call_timeout)) {
  struct [[nodiscard]] op {
    otp::detail::call_op<detail::replace_outcome,
                         detail::make_system<std::function<void(detail::server_base&, pid, ref)>>>
        call;
    bool await_ready() { return call.await_ready(); }
    auto await_suspend(std::coroutine_handle<> h) noexcept { return call.await_suspend(h); }
    void await_resume() {
      if (auto failed = call.await_resume()) detail::callback_failed(*failed);
    }
    void get() && {
      if (auto failed = std::move(call).get()) detail::callback_failed(*failed);
    }
  };
  std::function<void(detail::server_base&, pid, ref)> fn =
      [f = std::move(f)](detail::server_base& b, pid caller, ref tag) mutable {
        detail::replace_outcome out;
        S* st = static_cast<S*>(b.state_ptr());
        try {
          S next = f(std::as_const(*st));
          *st = std::move(next);
        } catch (const std::exception& e) {
          out = std::string(e.what());
        } catch (...) {
          out = std::string("unknown exception");
        }
        otp::detail::send_reply(caller, tag, std::move(out));
      };
  return op{detail::system_call<detail::replace_outcome>(
      s.get_pid(), s.name(), otp::detail::sys_op::run, std::move(fn), t)};
}

/// Suspends the process: it answers only system messages until resumed.
/// @mirrors sys:suspend/1
inline auto suspend(pid p, timeout t = timeout(default_call_timeout)) {
  return detail::system_call<void>(p, {}, otp::detail::sys_op::suspend,
                                   std::function<void(detail::server_base&, pid, ref)>(), t);
}
/// Resumes a suspended process. @mirrors sys:resume/1
inline auto resume(pid p, timeout t = timeout(default_call_timeout)) {
  return detail::system_call<void>(p, {}, otp::detail::sys_op::resume,
                                   std::function<void(detail::server_base&, pid, ref)>(), t);
}

/// Messages handled and start time. @mirrors sys:statistics(P, get)
inline auto statistics(pid p, timeout t = timeout(default_call_timeout)) {
  return detail::system_call<statistics_info>(
      p, {}, otp::detail::sys_op::run,
      std::function<void(detail::server_base&, pid, ref)>(
          [](detail::server_base& b, pid caller, ref tag) {
            otp::detail::send_reply(caller, tag, statistics_info{b.started_at, b.handled});
          }),
      t);
}

/// Status of the process, with its state as format_status prints it.
/// @mirrors sys:get_status/1
status_info make_status(detail::server_base& b);
inline auto get_status(pid p, timeout t = timeout(default_call_timeout)) {
  return detail::system_call<status_info>(p, {}, otp::detail::sys_op::run,
                                          std::function<void(detail::server_base&, pid, ref)>(
                                              [](detail::server_base& b, pid caller, ref tag) {
                                                otp::detail::send_reply(caller, tag,
                                                                        make_status(b));
                                              }),
                                          t);
}

/// Calls `code_change(old_vsn)` on the server's state (after a new version
/// of the code took over; normally done while suspended).
/// @returns true when the state has a code_change, false when it has none.
/// @mirrors sys:change_code/4
template <class S>
auto change_code(const server_ref<S>& s, std::string old_vsn,
                 timeout t = timeout(default_call_timeout)) {
  return detail::system_call<bool>(
      s.get_pid(), s.name(), otp::detail::sys_op::run,
      std::function<void(detail::server_base&, pid, ref)>(
          [v = std::move(old_vsn)](detail::server_base& b, pid caller, ref tag) {
            otp::detail::send_reply(caller, tag, b.code_change(v));
          }),
      t);
}

}  // namespace otp::sys

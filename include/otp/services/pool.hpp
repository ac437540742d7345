// otp::pool<W>: a pool of gen_server workers of type W, checked out by one
// process at a time (poolboy's semantics).
//
// | API                                         | mirrors                           |
// |---------------------------------------------|-----------------------------------|
// | pool<W>::start_link(opts, [so,] args...)    | poolboy:start_link/2              |
// | pool<W>::child_spec(id, opts, [so,] args...)| poolboy:child_spec/3              |
// | p.checkout(block, timeout)                  | poolboy:checkout/3                |
// | p.checkin(worker)                           | poolboy:checkin/2                 |
// | p.transaction(f, timeout)                   | poolboy:transaction/3             |
// | p.status()                                  | poolboy:status/1                  |
// | gen_server::stop(p.ref())                   | poolboy:stop/1                    |
//
//   auto p = co_await otp::pool<db_conn>::start_link({.size = 4, .max_overflow = 2}, "orders.db");
//   int n = co_await p.ref().transaction([](otp::server_ref<db_conn> c) {
//     return otp::call(c, db_conn::count_orders{});   // awaited inside
//   });
//
// The pool is a gen_server (callback type otp::pool_server) that traps exits
// and starts `size` workers linked to it, each constructed from `args...`.
// - checkout hands out an idle worker (lifo or fifo), else starts an overflow
//   worker while fewer than max_overflow exist, else returns `full` when not
//   blocking, or queues the caller until a worker is returned or the timeout
//   passes (the caller then exits `timeout` and its place in the queue is
//   cancelled; a worker handed over just too late goes back to the pool).
// - checkin returns the worker: to the first waiting caller, or, when
//   overflow workers exist and nobody waits, the worker is stopped; else it
//   becomes idle.
// - The pool monitors every process holding a worker; when one dies, its
//   worker is checked in for it.
// - A worker that dies is replaced (idle or checked out), unless overflow
//   workers exist and nobody waits, in which case the overflow count drops.
// - Stopping the pool stops every worker, idle or checked out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_ref.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// Pool sizes and order.
/// @mirrors poolboy's PoolArgs (size, max_overflow, strategy)
struct pool_options {
  /// Workers started with the pool and kept. >= 0.
  std::size_t size = 5;
  /// Extra workers started on demand when none is idle, stopped when returned. >= 0.
  std::size_t max_overflow = 10;
  /// Which idle worker checkout gives: the last returned (lifo) or the one
  /// idle longest (fifo).
  enum class order : std::uint8_t { lifo, fifo } strategy = order::lifo;
};

/// What pool::status tells.
/// @mirrors the {StateName, Idle, Overflow, CheckedOut} of poolboy:status/1, plus Waiting
struct pool_status {
  /// ready: an idle worker is there; overflow: none idle, overflow workers
  /// may still be started; full: neither.
  enum class state : std::uint8_t { ready, overflow, full } name = state::ready;
  std::size_t idle = 0;
  std::size_t overflow = 0;
  std::size_t checked_out = 0;
  std::size_t waiting = 0;
  /// `{ready|overflow|full, Idle, Overflow, CheckedOut, Waiting}`.
  std::string to_string() const;
};

/// The pool process's gen_server callbacks (not templated on the worker:
/// workers are started through a type-erased start function).
class pool_server {
 public:
  struct checkout_req {
    using reply = std::optional<pid>;  // std::nullopt: full
    ref cref;
    bool block = true;
  };
  struct checkin_msg {
    pid worker;
  };
  struct cancel_waiting_msg {
    ref cref;
  };
  struct status_req {
    using reply = pool_status;
  };
  using info = types<exit_msg, down_msg>;

  pool_server(pool_options o, std::function<task<start_result>()> start_worker);

  task<server_result> init();
  task<call_result<std::optional<pid>>> handle_call(checkout_req r,
                                                    from<std::optional<pid>> caller);
  pool_status handle_call(status_req) const;
  task<server_result> handle_cast(checkin_msg m);
  task<server_result> handle_cast(cancel_waiting_msg m);
  task<server_result> handle_info(exit_msg& e);
  task<server_result> handle_info(down_msg& d);
  void terminate(const exit_reason&);
  std::string format_status() const;

 private:
  struct waiter {
    from<std::optional<pid>> caller;
    ref cref;
    ref mref;
    std::int64_t queued_ns;  // when it was queued (telemetry's monotonic clock)
  };
  struct lease {  // a checked-out worker
    ref cref;
    ref mref;  // the monitor on the holder
  };

  task<pid> new_worker();
  task<void> handle_checkin(pid w);
  task<void> handle_worker_exit(pid w);
  void dismiss(pid w);
  void make_idle(pid w);
  /// Hands `w` to the first waiting caller.
  void hand_to_waiter(pid w);
  /// Emits otp.pool.checkout: the caller waited `wait_ns`; outcome ok or full.
  void checkout_event(std::int64_t wait_ns, std::string_view outcome) const;

  pool_options o_;
  std::function<task<start_result>()> start_worker_;
  std::deque<pid> idle_;
  std::deque<waiter> waiting_;
  std::unordered_map<pid, lease> leases_;
  std::size_t overflow_ = 0;
};

namespace detail {
/// checkout's body (shared by every pool<W>): the call, and on an exit the
/// cancel_waiting cast before the exit goes on.
task<std::optional<pid>> pool_checkout(server_ref<pool_server> p, bool block, timeout t);
}  // namespace detail

template <class W>
class pool;

/// What pool<W>::start_link returns: the start_result, and ref(), the pool<W>
/// handle.
template <class W>
using started_pool = started_with<pool<W>>;

/// A handle to a pool of W workers: a pid, copyable, usable from any process.
template <class W>
class pool {
 public:
  using worker = server_ref<W>;

  explicit pool(pid p = {}) : ref_(p) {}
  /// A handle on the pool registered as `name` (resolved at each use), so it
  /// reaches the pool its supervisor started again after a crash.
  explicit pool(server_name name) : ref_(std::move(name)) {}

  /// Starts a pool linked to the caller, with `o.size` workers each
  /// constructed as W(args...) (copied, so replacements get the same values).
  /// @returns ok(pid) once every worker has started; `{error, R}` when a
  ///   worker failed to start (R is its reason) or the options are invalid;
  ///   already_started for a taken name.
  /// @throws otp::badarg outside a process or mailbox thread.
  /// @mirrors poolboy:start_link/2
  template <class... A>
  static task<started_pool<W>> start_link(pool_options o, start_options so, A... args) {
    return start_impl(o, std::move(so), std::move(args)...);
  }
  template <class... A>
  requires detail::no_start_options_first<A...>
  static task<started_pool<W>> start_link(pool_options o, A... args) {
    return start_impl(o, start_options{}, std::move(args)...);
  }

  /// A child spec starting this pool under a supervisor (a worker child with
  /// infinity shutdown, since stopping it stops its workers).
  /// @mirrors poolboy:child_spec/3
  template <class... A>
  static otp::child_spec child_spec(std::string id, pool_options o, start_options so, A... args) {
    otp::child_spec c;
    c.id = std::move(id);
    c.shutdown = shutdown_spec(infinity);
    c.start = [o, so = std::move(so), args...]() -> task<start_result> {
      co_return co_await start_impl(o, so, args...);
    };
    return c;
  }

  /// Takes a worker for the calling process until it checks it in (or dies).
  /// @param block when no worker can be had: wait (true) or return nullopt (false).
  /// @param t how long to wait for a worker (ms or infinity).
  /// @returns the worker, or std::nullopt (`full`) when `block` is false.
  /// @exits `timeout` when no worker came within `t` (catchable; the caller
  ///   leaves the queue); `noproc` when the pool is not alive.
  /// @mirrors poolboy:checkout/3
  task<std::optional<worker>> checkout(bool block = true,
                                       timeout t = std::chrono::milliseconds(5000)) const {
    return checkout_from(ref_, block, t);
  }

  /// Returns a worker taken with checkout. Returns at once (a cast); a worker
  /// the pool did not hand out is ignored.
  /// @mirrors poolboy:checkin/2
  void checkin(const worker& w) const { cast(ref_, pool_server::checkin_msg{w.resolve()}); }

  /// Checks a worker out, runs f(worker), and checks it in again whatever f
  /// does. f returns R, or something awaited for R: an otp::task<R>, or
  /// otp::call(worker, request) itself.
  /// @returns what f returns.
  /// @exits as checkout (f does not run); whatever f throws propagates after
  ///   the checkin.
  /// @mirrors poolboy:transaction/3
  template <class F>
  auto transaction(F f, timeout t = std::chrono::milliseconds(5000)) const {
    using R = detail::awaited_value_t<std::invoke_result_t<F&, worker>>;
    return transaction_on<R>(ref_, std::move(f), t);
  }

  /// @returns the pool's status.
  /// @exits as otp::call (noproc, timeout).
  /// @mirrors poolboy:status/1
  task<pool_status> status() const { return status_of(ref_); }

  /// The pool process.
  const server_ref<pool_server>& ref() const noexcept { return ref_; }

 private:
  // The coroutines behind the members are static and take the pool's ref by
  // value: a task kept past the caller's full-expression must not point into
  // a handle that was a temporary (docs/decisions/0005-compiler-policy.md).
  template <class... A>
  static task<started_pool<W>> start_impl(pool_options o, start_options so, A... args) {
    std::function<task<start_result>()> start = [args...]() -> task<start_result> {
      co_return co_await gen_server::start_link<W>(start_options{}, args...);
    };
    co_return co_await gen_server::start_link<pool_server>(std::move(so), o, std::move(start));
  }

  static task<pool_status> status_of(server_ref<pool_server> p) {
    co_return co_await call(p, pool_server::status_req{});
  }

  static task<std::optional<worker>> checkout_from(server_ref<pool_server> p, bool block,
                                                   timeout t) {
    const std::optional<pid> w = co_await detail::pool_checkout(std::move(p), block, t);
    if (!w) co_return std::nullopt;
    co_return worker(*w);
  }

  template <class R, class F>
  static task<R> transaction_on(server_ref<pool_server> p, F f, timeout t) {
    const std::optional<pid> got = co_await detail::pool_checkout(p, true, t);
    const worker w(*got);  // a blocking checkout returns a worker or exits
    std::exception_ptr failed;
    if constexpr (std::is_void_v<R>) {
      try {
        if constexpr (detail::member_awaitable<std::invoke_result_t<F&, worker>>)
          co_await f(w);
        else
          f(w);
      } catch (...) {
        failed = std::current_exception();
      }
      cast(p, pool_server::checkin_msg{*got});
      if (failed) std::rethrow_exception(failed);
    } else {
      std::optional<R> r;
      try {
        if constexpr (detail::member_awaitable<std::invoke_result_t<F&, worker>>)
          r.emplace(co_await f(w));
        else
          r.emplace(f(w));
      } catch (...) {
        failed = std::current_exception();
      }
      cast(p, pool_server::checkin_msg{*got});
      if (failed) std::rethrow_exception(failed);
      co_return std::move(*r);
    }
  }

  server_ref<pool_server> ref_;
};

}  // namespace otp

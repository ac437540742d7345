// otp::async_task<T> and otp::async_result<T>: the handle on a running task
// (Elixir's %Task{}) and what a finished one gave, with the reply message
// otp::async_reply<T>. The functions on them are in otp/behaviours/async.hpp.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "otp/behaviours/shutdown.hpp"
#include "otp/runtime/detail/reply_channel.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

template <class T>
class async_task;

namespace detail {

/// The T of async(f, args...): what f returns, or the U of a task<U> it returns.
template <class F, class... A>
using async_value_for = awaited_value_t<std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>>;

/// Who a task process answers: its owner, on the reply channel `tag` (the
/// owner's monitor of the task and its alias).
struct async_origin {
  pid owner;
  ref tag;
};

/// Throws otp::badarg unless the calling process is `owner` and the task is open.
void async_check(pid owner, bool open, const char* what);
/// True when `reason` is how a task ends when shut down as asked: `killed`
/// for brutal_kill, exactly `shutdown` otherwise.
bool async_ended_as_asked(const exit_reason& reason, bool brutal_kill) noexcept;

struct async_access;

}  // namespace detail

/// The message a task sends its owner when f returns: `{Ref, Reply}`, tagged
/// with the task's ref(). A process may take it (or the task's down_msg) in
/// its own receive loop instead of awaiting, matching async_task::ref(); it
/// then finishes with the task by calling async_ignore on it, which removes
/// the monitor and the reply route and takes the DOWN if it is queued
/// (returning exited(normal) for a task that replied and ended).
/// @mirrors the `{Ref, Reply}` message of Task.async/1
/// Fields: `ref` (the task's ref()), `value` (std::monostate for void) and
/// `monitor_dropped` (runtime bookkeeping; always false for a task).
template <class T>
using async_reply = detail::reply_msg<detail::stored_t<T>>;

/// What a finished task gave: its value, or the reason it exited without one.
///
/// @threadsafe Plain value.
/// @mirrors `{ok, Reply} | {exit, Reason}` of Task.yield/2 and Task.shutdown/2
template <class T>
class [[nodiscard]] async_result {
 public:
  using value_type = detail::stored_t<T>;

  static async_result ok(value_type v) {
    return async_result(std::in_place_index<0>, std::move(v));
  }
  static async_result exited(exit_reason r) {
    return async_result(std::in_place_index<1>, std::move(r));
  }

  /// True when the task replied.
  bool is_ok() const noexcept { return v_.index() == 0; }
  /// True when the task ended without replying.
  bool is_exit() const noexcept { return v_.index() == 1; }

  /// The task's value. @throws otp::badarg when the task exited instead.
  value_type& value() & {
    check(true);
    return std::get<0>(v_);
  }
  const value_type& value() const& {
    check(true);
    return std::get<0>(v_);
  }
  value_type&& value() && {
    check(true);
    return std::get<0>(std::move(v_));
  }
  /// The task's exit reason. @throws otp::badarg when the task replied instead.
  const exit_reason& reason() const {
    check(false);
    return std::get<1>(v_);
  }

 private:
  template <std::size_t I, class V>
  async_result(std::in_place_index_t<I> i, V&& v) : v_(i, std::forward<V>(v)) {}
  void check(bool want_ok) const {
    if (is_ok() != want_ok)
      throw badarg(want_ok ? "async_result::value: the task exited without a value"
                           : "async_result::reason: the task replied; it has no exit reason");
  }
  std::variant<value_type, exit_reason> v_;
};

/// A running task started by otp::async or otp::async_nolink, awaited by
/// the process that started it (its owner).
///
/// Move-only: one handle, one await. A task is *open* until await returns or
/// exits, a async_yield gets a result, or async_shutdown / async_ignore is
/// called; after that (and in a moved-from handle) every function taking it
/// throws otp::badarg. Dropping an open handle leaves the task running (and
/// linked, for async): its reply and DOWN still arrive in the owner's mailbox,
/// as in Elixir; use async_ignore or async_shutdown instead.
///
/// Do not demonitor ref() yourself: await, async_yield and async_shutdown wait
/// for the reply or the DOWN it tags.
/// @threadsafe Owner only.
/// @mirrors %Task{pid, ref, owner}
template <class T>
class [[nodiscard]] async_task {
 public:
  using value_type = T;

  async_task(async_task&& o) noexcept
      : pid_(o.pid_), ref_(o.ref_), owner_(o.owner_), open_(o.open_) {
    o.open_ = false;
  }
  async_task& operator=(async_task&& o) noexcept {
    if (this != &o) {
      pid_ = o.pid_;
      ref_ = o.ref_;
      owner_ = o.owner_;
      open_ = std::exchange(o.open_, false);
    }
    return *this;
  }
  async_task(const async_task&) = delete;
  async_task& operator=(const async_task&) = delete;

  /// The task process.
  otp::pid pid() const noexcept { return pid_; }
  /// The owner's monitor of the task; tags its async_reply and its down_msg.
  otp::ref ref() const noexcept { return ref_; }
  /// The process that started the task; the only one that may await it.
  otp::pid owner() const noexcept { return owner_; }
  /// True until the task is awaited, yielded to a result, shut down or ignored.
  bool is_open() const noexcept { return open_; }

 private:
  friend struct detail::async_access;
  async_task(otp::pid p, otp::ref r, otp::pid owner) noexcept
      : pid_(p), ref_(r), owner_(owner), open_(true) {}

  otp::pid pid_;
  otp::ref ref_;
  otp::pid owner_;
  bool open_ = false;
};

namespace detail {

struct async_access {
  template <class T>
  static async_task<T> make(pid p, ref r, pid owner) noexcept {
    return async_task<T>(p, r, owner);
  }
  template <class T>
  static void check(const async_task<T>& t, const char* what) {
    async_check(t.owner_, t.open_, what);
  }
  template <class T>
  static void close(async_task<T>& t) noexcept {
    t.open_ = false;
  }
  /// The owner is done with the task: its channel closed (the monitor
  /// removed with its DOWN flushed, the alias deactivated).
  template <class T>
  static void release(const async_task<T>& t) noexcept {
    reply_channel(t.ref_).close();
  }
  /// Late replies of the task are dropped from now on; its monitor stays.
  template <class T>
  static void close_alias(const async_task<T>& t) noexcept {
    reply_channel(t.ref_).close_alias();
  }
};

}  // namespace detail
}  // namespace otp

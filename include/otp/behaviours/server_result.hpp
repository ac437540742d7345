// What gen_server callbacks return: reply, noreply, stop, ignore, and the
// actions that may follow (timeout, continue, hibernate).
//
// | C++                                          | OTP                               |
// |----------------------------------------------|-----------------------------------|
// | handle_call returns a value `v`              | {reply, V, State}                 |
// | call_result<R>::reply(v)                     | {reply, V, State}                 |
// | otp::noreply() (or returning void)           | {noreply, State} / {ok, State}    |
// | otp::stop(reason)                            | {stop, Reason, State}             |
// | otp::stop(reason, v) (handle_call)           | {stop, Reason, Reply, State}      |
// | otp::ignore() (init only)                    | ignore                            |
// | otp::init_error(reason) (init only)          | {error, Reason} (OTP 26)          |
// | .with_timeout(t)                             | {..., Timeout}                    |
// | .then_continue(c)                            | {..., {continue, C}}              |
// | .hibernate()                                 | {..., hibernate}                  |
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "otp/runtime/any_message.hpp"
#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// The result of init, handle_cast, handle_info and handle_continue (and of
/// a handle_call that does not reply now).
/// @threadsafe Value type (owner only once it carries a continue value).
class [[nodiscard]] server_result {
 public:
  enum class kind : std::uint8_t { noreply, stop, ignore, init_error };

  /// `{noreply, State}` (from init: `{ok, State}`).
  server_result() = default;
  static server_result noreply() { return {}; }
  /// `{stop, Reason, State}`: terminate(reason) runs, then the process exits.
  static server_result stop(exit_reason reason) {
    server_result r;
    r.kind_ = kind::stop;
    r.reason_ = std::move(reason);
    return r;
  }
  /// `ignore`: only valid from init (start_link then returns ignore).
  static server_result ignore() {
    server_result r;
    r.kind_ = kind::ignore;
    return r;
  }

  /// `{error, Reason}`: only valid from init. start_link returns
  /// `{error, reason}` and the process ends `normal`: no terminate, no crash
  /// report, and a linked caller is not taken down (unlike stop(reason)).
  static server_result init_error(exit_reason reason) {
    server_result r;
    r.kind_ = kind::init_error;
    r.reason_ = std::move(reason);
    return r;
  }

  /// Sends handle_info(otp::timeout_msg) after `t` unless a message (other
  /// than a system message) arrives first. Infinity means no timeout.
  server_result&& with_timeout(timeout t) && {
    timeout_ = t;
    hibernate_ = false;
    return std::move(*this);
  }
  /// Runs handle_continue(c) next, before any message is looked at.
  template <class C>
  server_result&& then_continue(C c) && {
    continue_.emplace(detail::make_message<C>(std::move(c)));
    return std::move(*this);
  }
  /// The server hibernates (otp::hibernate) before it waits for the next
  /// message: its coroutine frame is given back until a message arrives.
  /// Replaces a timeout set before (OTP's result has one slot for either);
  /// a continue set with it runs first, and its own result decides.
  server_result&& hibernate() && {
    hibernate_ = true;
    timeout_.reset();
    return std::move(*this);
  }

  kind get_kind() const noexcept { return kind_; }
  const exit_reason& reason() const noexcept { return reason_; }
  const std::optional<timeout>& next_timeout() const noexcept { return timeout_; }
  bool hibernates() const noexcept { return hibernate_; }
  /// The continue value, moved out (engine use).
  std::optional<any_message> take_continue() noexcept { return std::exchange(continue_, {}); }

 private:
  kind kind_ = kind::noreply;
  exit_reason reason_;
  bool hibernate_ = false;
  std::optional<timeout> timeout_;
  std::optional<any_message> continue_;
};

/// `{noreply, State}`.
inline server_result noreply() { return server_result::noreply(); }
/// `{stop, Reason, State}`.
inline server_result stop(exit_reason reason) { return server_result::stop(std::move(reason)); }
/// `ignore` (from init).
inline server_result ignore() { return server_result::ignore(); }
/// `{error, Reason}` (from init): see server_result::init_error.
inline server_result init_error(exit_reason reason) {
  return server_result::init_error(std::move(reason));
}

/// `{stop, Reason, Reply, State}` before it knows its reply type.
template <class V>
struct stop_with_reply {
  exit_reason reason;
  V value;
};
/// `{stop, Reason, Reply, State}`: replies `value`, then stops with `reason`.
template <class V>
stop_with_reply<std::decay_t<V>> stop(exit_reason reason, V&& value) {
  return {std::move(reason), std::forward<V>(value)};
}

/// The result of handle_call for a request whose reply type is R.
/// A handle_call may also simply return an R (a reply) or a server_result
/// (no reply now, or stop without reply).
template <class R>
class [[nodiscard]] call_result {
 public:
  using value_type = detail::stored_t<R>;

  /// `{reply, V, State}`.
  template <class U = value_type>
  // NOLINTNEXTLINE(google-explicit-constructor): implicit
  requires std::is_convertible_v<U, value_type> call_result(U&& v) : reply_(std::forward<U>(v)) {}
  /// No reply now (`noreply`), or stop without a reply.
  // NOLINTNEXTLINE(google-explicit-constructor): implicit
  call_result(server_result r) : base_(std::move(r)) {}
  /// `{stop, Reason, Reply, State}`.
  template <class V>
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  requires std::is_convertible_v<V, value_type> call_result(stop_with_reply<V> s)
      : reply_(std::move(s.value)), base_(server_result::stop(std::move(s.reason))) {}

  static call_result reply(value_type v) { return call_result(std::move(v)); }

  call_result&& with_timeout(timeout t) && {
    base_ = std::move(base_).with_timeout(t);
    return std::move(*this);
  }
  template <class C>
  call_result&& then_continue(C c) && {
    base_ = std::move(base_).then_continue(std::move(c));
    return std::move(*this);
  }
  call_result&& hibernate() && {
    base_ = std::move(base_).hibernate();
    return std::move(*this);
  }

  /// The reply to send now, if any (engine use).
  std::optional<value_type>& reply_value() noexcept { return reply_; }
  server_result& rest() noexcept { return base_; }

 private:
  std::optional<value_type> reply_;
  server_result base_;
};

/// The message handle_info receives when a callback's timeout expires.
/// @mirrors the atom `timeout` in Module:handle_info(timeout, State)
struct timeout_msg {};

}  // namespace otp

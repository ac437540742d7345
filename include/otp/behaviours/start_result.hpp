// otp::start_result: what starting a behaviour process returns.
#pragma once

#include <string>

#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

/// The outcome of a synchronous start (`start_link`, a child spec's start
/// function): the started pid, `ignore`, or an error reason.
///
/// | status  | OTP                                      |
/// |---------|------------------------------------------|
/// | ok      | `{ok, Pid}`                              |
/// | ignore  | `ignore` (init returned ignore)          |
/// | error   | `{error, Reason}`; `{error, {already_started, Pid}}` sets `pid` |
///
/// @threadsafe Value type.
/// @mirrors the return value of proc_lib:start_link/3 and gen_server:start_link/3,4
struct [[nodiscard]] start_result {
  enum class status : unsigned char { ok, ignore, error };

  status state = status::error;
  /// The started process (ok), or the current holder of the name for an
  /// `already_started` error; null otherwise.
  pid child;
  /// Why the start failed (error only).
  exit_reason reason;

  static start_result ok(pid p) { return {status::ok, p, {}}; }
  static start_result ignore() { return {status::ignore, {}, {}}; }
  static start_result error(exit_reason r) { return {status::error, {}, std::move(r)}; }
  /// `{error, {already_started, Holder}}`.
  static start_result already_started(pid holder) {
    return {status::error, holder, exit_reason::other("already_started")};
  }

  bool is_ok() const noexcept { return state == status::ok; }
  bool is_ignore() const noexcept { return state == status::ignore; }
  bool is_error() const noexcept { return state == status::error; }
  /// True for the `{error, {already_started, Pid}}` outcome.
  bool is_already_started() const noexcept {
    return is_error() && reason.is(exit_reason::kind::other) &&
           reason.detail() == "already_started";
  }
  explicit operator bool() const noexcept { return is_ok(); }

  /// Erlang-like text: `{ok,<0.1.1>}`, `ignore`, `{error,Reason}`.
  std::string to_string() const;
};

}  // namespace otp

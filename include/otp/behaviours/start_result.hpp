// otp::start_result: what starting a behaviour process returns.
#pragma once

#include <any>
#include <string>

#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

namespace detail {
/// An info value as start_result::to_string prints it.
std::string info_text(const std::any& info);
}  // namespace detail

/// The outcome of a synchronous start (`start_link`, a child spec's start
/// function): the started pid, `ignore`, or an error reason.
///
/// | status  | OTP                                      |
/// |---------|------------------------------------------|
/// | ok      | `{ok, Pid}`; `{ok, Pid, Info}` sets `info` |
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
  /// The extra value of a start function that returned `{ok, Pid, Info}`
  /// (empty otherwise); a supervisor's start_child and restart_child hand it
  /// back in child_result::info. Read it with std::any_cast.
  std::any info;
  /// gen_server::start_monitor: the caller's monitor on the started process
  /// (ok only; null otherwise). Its DOWN arrives when the process ends.
  ref monitor;

  static start_result ok(pid p) { return make(status::ok, p, {}); }
  /// `{ok, Pid, Info}`: a start function's extra value for its supervisor's caller.
  static start_result ok(pid p, std::any info) {
    start_result r = make(status::ok, p, {});
    r.info = std::move(info);
    return r;
  }
  static start_result ignore() { return make(status::ignore, {}, {}); }
  static start_result error(exit_reason r) { return make(status::error, {}, std::move(r)); }
  /// `{error, {already_started, Holder}}`.
  static start_result already_started(pid holder) {
    start_result r = make(status::error, holder, exit_reason::other("already_started"));
    r.already_started_ = true;
    return r;
  }

  bool is_ok() const noexcept { return state == status::ok; }
  bool is_ignore() const noexcept { return state == status::ignore; }
  bool is_error() const noexcept { return state == status::error; }
  /// True for the `{error, {already_started, Pid}}` outcome (made by
  /// already_started(), not by an error whose reason reads the same).
  bool is_already_started() const noexcept { return is_error() && already_started_; }
  explicit operator bool() const noexcept { return is_ok(); }

  /// Erlang-like text: `{ok,<0.1.1>}`, `{ok,<0.1.1>,Info}` with an info
  /// value (a std::string quoted, an int or long as a number, any other
  /// type as `_`), `ignore`, `{error,Reason}`.
  std::string to_string() const;

 private:
  static start_result make(status s, pid p, exit_reason r) {
    start_result out;
    out.state = s;
    out.child = p;
    out.reason = std::move(r);
    return out;
  }
  bool already_started_ = false;
};

/// What a typed start returns: its start_result, plus the typed handle H of
/// the started process (server_ref<S> for gen_server::start_link, agent<T>,
/// pool<W>). Converts from the plain start_result.
template <class H>
struct started_with : start_result {
  started_with() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): implicit
  started_with(start_result r) : start_result(std::move(r)) {}
  /// The handle on the started process (a null handle unless ok).
  H ref() const { return H(child); }
};

}  // namespace otp

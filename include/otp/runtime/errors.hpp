// Exceptions raised by the runtime API.
#pragma once

#include <stdexcept>
#include <string>

#include "otp/runtime/exit_reason.hpp"

namespace otp {

/// Bad argument to a runtime function (a taken name, a dead pid, a negative
/// timeout, a receive on a thread without a mailbox...). The message says what
/// was wrong. Nothing was changed when it is thrown.
/// @mirrors error:badarg
class badarg : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A runtime limit was reached (process table full).
/// @mirrors error:system_limit
class system_limit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An exit raised in the current process: by otp::exit(reason), or by an
/// operation that exits its caller (a call timeout, for instance). If it
/// escapes the process body the process ends with reason(); it may be caught,
/// as Erlang's `catch exit(R)` can.
/// @mirrors exit:Reason exceptions
class exit_error : public std::exception {
 public:
  explicit exit_error(exit_reason reason)
      : reason_(std::move(reason)), text_(reason_.to_string()) {}
  const exit_reason& reason() const noexcept { return reason_; }
  const char* what() const noexcept override { return text_.c_str(); }

 protected:
  exit_error(exit_reason reason, std::string text)
      : reason_(std::move(reason)), text_(std::move(text)) {}

 private:
  exit_reason reason_;
  std::string text_;
};

/// Thrown on a thread that owns an otp::mailbox (main, typically) when an
/// exit signal it does not trap ended the mailbox's process: a process it
/// was linked to (one it started with start_link, say) exited with an
/// abnormal reason, or otp::exit was sent to it. reason() is that reason;
/// what() says so and how to avoid it (otp::trap_exit(true) turns such
/// signals into otp::exit_msg messages). Every later receive on the mailbox
/// throws it again.
/// @mirrors the exit of a linked process that does not trap exits
class mailbox_exit : public exit_error {
 public:
  explicit mailbox_exit(exit_reason reason)
      : exit_error(reason, "otp::mailbox: this thread's process was ended by an exit signal: " +
                               reason.to_string() +
                               " (a linked process exited; otp::trap_exit(true) on this thread "
                               "turns such signals into otp::exit_msg messages)") {}
};

}  // namespace otp

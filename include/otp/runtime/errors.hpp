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

 private:
  exit_reason reason_;
  std::string text_;
};

}  // namespace otp

// Messages the runtime itself delivers: EXIT (to trapping processes) and DOWN.
#pragma once

#include <string>

#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

/// ``{'EXIT', From, Reason}``: an exit signal turned into a message because the
/// receiving process traps exits.
struct exit_msg {
  pid from;
  exit_reason reason;
};

/// ``{'DOWN', Ref, process, Object, Reason}``: the monitored process ended.
/// `name` is set when the monitor was made by registered name.
struct down_msg {
  ref monitor;
  pid from;
  exit_reason reason;
  std::string name;
};

}  // namespace otp

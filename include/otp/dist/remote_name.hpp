// otp::remote_name: {Name, Node}, the process registered as Name on another
// node, and the monitor of it.
#pragma once

#include <string>

#include "otp/runtime/pid.hpp"

namespace otp {

/// The process registered as `name` on node `node` ("name@host"), resolved
/// there at each use. @mirrors {RegName, Node} as erlang:send/2,
/// erlang:monitor/2 and gen_server:call/3 take it
struct remote_name {
  std::string name;
  std::string node;
};

/// Monitors the process registered as `to.name` on `to.node`, connecting
/// first when needed. The caller gets a down_msg with this ref whose `name`
/// is `to.name` and whose `from` only stands for that process (slot and
/// serial 0: do not send to it, link or exit it; monitor the pid itself for
/// that): with its real reason when the process ends,
/// `noproc` when no process has the name there, `noconnection` when the
/// node cannot be reached or goes down. otp::demonitor removes it. On the
/// calling node's own name, a local monitor(name).
/// @throws otp::badarg outside a process (or mailbox) of a node with an
///   otp::net_kernel.
/// @mirrors erlang:monitor(process, {RegName, Node})
ref monitor(const remote_name& to);

}  // namespace otp

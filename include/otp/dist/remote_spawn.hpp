// Spawning across nodes: a C++ process spawns Module:Function(Args) on
// another node (C++ or BEAM), and other nodes spawn here the functions this
// node registered under a module and function name, as erlang:spawn/4
// names code by MFA.
//
//   // on the node that runs the code
//   dist.register_spawnable("worker", "run", [](otp::term args) -> otp::task<void> {
//     ...;  // args: the list of arguments
//     co_return;
//   });
//   // in a process of another node (or erl: spawn('cpp@host', worker, run, [1]))
//   auto s = co_await otp::spawn_remote("cpp@host", "worker", "run", {otp::term(1)},
//                                       {.link = false, .monitor = true});
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "otp/dist/term.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"

namespace otp {

/// The body of a process other nodes may spawn: it gets the argument list
/// (a proper list term) and runs as the process.
using spawnable = std::function<task<void>(term args)>;

/// What spawn_remote sets up with the new process, atomically with its
/// start (before it runs). @mirrors the link and monitor options of
///   erlang:spawn_request/5
struct remote_spawn_options {
  bool link = false;
  bool monitor = false;
};

/// The process spawn_remote started, and the caller's monitor of it (null
/// without the monitor option).
struct remote_spawned {
  pid child;
  ref monitor;
};

/// Spawns `module:function(args...)` on `node` and returns its pid once the
/// node answered. With `link`, the caller and the child are linked before
/// the child runs; with `monitor`, the caller monitors it from before it
/// runs (its DOWN carries its real reason, even if it ended at once). A
/// function the node does not have starts a process that exits with
/// `{undef, [{M, F, Args, []}]}` (as on a BEAM node). On the caller's own
/// node it spawns here, with the same guarantees. A child on a BEAM node
/// gets this node's io server as its group leader: what it prints goes to
/// this node's log.
/// @exits with the node's refusal (notsup from a node without DFLAG_SPAWN;
///   badopt, system_limit) or noconnection when the node cannot be reached
///   or goes down before it answers.
/// @throws otp::badarg outside a process of a node with an otp::net_kernel,
///   or for a module or function name over 255 bytes.
/// @mirrors erlang:spawn_request/5 with its spawn_reply, as spawn/4,
///   spawn_link/4 and spawn_monitor/4 use it
task<remote_spawned> spawn_remote(std::string node, std::string module, std::string function,
                                  std::vector<term> args, remote_spawn_options o = {});

}  // namespace otp

// gen_server calls and casts with processes of other nodes, in OTP 25's
// wire format: a C++ process calling an Erlang gen_server, and a C++
// process answering an Erlang process's gen_server:call.
//
//   // calling: in a process of a node with an otp::net_kernel
//   otp::term n = co_await otp::gen_call(server_pid, otp::term::atom("get"));
//
//   // answering: the calls and casts arrive as otp::term messages
//   otp::term m = co_await otp::receive<otp::term>();
//   if (auto c = otp::as_gen_call(m)) otp::reply(*c, otp::term(42));
//   else if (auto r = otp::as_gen_cast(m)) ...;
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "otp/dist/remote_name.hpp"
#include "otp/dist/term.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// A gen_server call another process made: {'$gen_call', {From, Tag}, Request}.
struct remote_call {
  pid from;      ///< the caller
  term tag;      ///< opaque: [alias|Ref] (OTP 24 and later) or a reference
  term request;  ///< what it asks
};

/// The call `msg` is, if it is one. @mirrors the '$gen_call' message of gen
std::optional<remote_call> as_gen_call(const term& msg);

/// The request of the cast `msg` is ({'$gen_cast', Request}), if it is one.
std::optional<term> as_gen_cast(const term& msg);

/// Answers `c` with {Tag, reply}: to the caller's alias when the tag names
/// one (a late answer is then dropped by the caller's node, as OTP does), else
/// to the caller's pid. Never fails (an answer to a node gone is dropped).
/// @throws otp::badarg outside a process (or mailbox) of a node with an
///   otp::net_kernel.
/// @mirrors gen_server:reply/2
void reply(const remote_call& c, term reply);

/// Calls the gen_server `server` (a pid, of any node) with `request` and
/// waits up to `t` for its reply, which it returns. The caller monitors the
/// server meanwhile; the tag is [alias|Ref], so a reply after the timeout is
/// dropped instead of reaching the caller's mailbox.
/// @throws otp::exit_error with timeout (no reply in time), noproc (no such
///   process), {nodedown, Node} (the server's node went down or cannot be
///   reached: gen:do_call's form of noconnection), or the server's exit
///   reason when it ended before replying
///   (`normal` becomes {normal,{gen_server,call}}, as for a local call).
/// @mirrors gen_server:call/3
task<term> gen_call(pid server, term request, timeout t = std::chrono::seconds(5));

/// As gen_call(pid, ...), to the process registered as `server.name` on
/// `server.node`, resolved there (monitored by name, sent by REG_SEND):
/// `noproc` when no process has the name, {nodedown, Node} when the node
/// cannot be reached. @mirrors gen_server:call({Name, Node}, Request, Timeout)
task<term> gen_call(remote_name server, term request, timeout t = std::chrono::seconds(5));

/// Sends {'$gen_cast', request} to `server`. @mirrors gen_server:cast/2
void gen_cast(pid server, term request);

/// Sends {'$gen_cast', request} to the process registered as `server.name`
/// on `server.node`; dropped when there is none.
/// @mirrors gen_server:cast({Name, Node}, Request)
void gen_cast(const remote_name& server, term request);

}  // namespace otp

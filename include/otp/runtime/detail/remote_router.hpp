// The hook through which a node hands envelopes addressed to another node's
// pids to the distribution layer (otp::net_kernel installs one).
#pragma once

#include <string>

#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

class node_impl;

/// Takes every envelope (message or signal) whose pid names another node.
/// route() owns the envelope: it writes it to that node's connection, or
/// answers it as undeliverable (refuse_envelope, noconnection). It runs on
/// the sender's thread (a scheduler, a timer, any thread): it must not block.
class remote_router {
 public:
  virtual void route(pid to, envelope* e) noexcept = 0;

 protected:
  ~remote_router() = default;
};

/// Installs `r` as `n`'s router. False when `n` already has one.
bool install_remote_router(node_impl& n, remote_router* r) noexcept;

/// Removes `n`'s router, waiting until no sender is inside its route(), so
/// that its owner may then free it.
void remove_remote_router(node_impl& n) noexcept;

/// Answers an envelope that cannot reach `to`: a link is answered by an exit
/// signal with `why`, a monitor by a DOWN with `why`, an unlink by its
/// acknowledgement; messages are dropped. Frees `e`.
void refuse_envelope(node_impl& n, pid to, envelope* e, const exit_reason& why) noexcept;

/// Sends a signal of kind k from `from` to `to` (a local pid, or a remote one
/// through the router): what the distribution layer turns a peer's control
/// messages into.
void send_signal(node_impl& n, pid to, signal_kind k, pid from, std::uint64_t refid = 0,
                 exit_reason reason = {}) noexcept;

/// True on a scheduler thread while it runs a process: there, a router may
/// leave its writes to the end of the run (at_slice_end), batching what the
/// process sends.
bool in_scheduler_slice() noexcept;

/// Has `fn` called on this scheduler thread once its current run of
/// processes ends (one function per thread: the distribution's flush).
void at_slice_end(void (*fn)()) noexcept;

/// Monitors `target` for the calling process as monitor(name) does, the
/// down_msg naming `name`: how the distribution layer monitors a process
/// registered on another node (`target` stands for it).
/// @throws otp::badarg outside a process or mailbox thread.
ref monitor_by_name(pid target, std::string name);

/// Makes the calling process hold a monitor of `target` without telling
/// anyone (no monitor signal): what the distribution layer sets up before a
/// spawn request whose reply makes the monitor real. The ref it returns.
/// @throws otp::badarg outside a process or mailbox thread.
ref monitor_without_signal(pid target);

/// A node id no node of this program has: what the distribution layer names
/// a remote node (incarnation) with in the pids and refs it holds.
std::uint32_t allocate_node_id() noexcept;

}  // namespace otp::detail

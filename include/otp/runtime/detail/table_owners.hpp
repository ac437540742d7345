// The runtime's side of table ownership (services/table.hpp builds on it):
// a process that owns a table is marked, and its exit calls the node's
// owner-exit hook before its links and monitors are told, so a table is
// transferred to its heir or deleted before any DOWN or EXIT about its owner
// is sent (ERTS does the same).
#pragma once

#include "otp/runtime/pid.hpp"

namespace otp::detail {

class node_impl;

/// What a table owner's exit runs: gives away or deletes the tables `owner`
/// holds. Called on the exiting process's thread, once per exit of a marked
/// process; it must not throw.
using owner_exit_fn = void (*)(node_impl& n, pid owner) noexcept;

/// Sets the node's owner-exit hook (the tables' registry does, once).
/// @threadsafe From any thread.
void set_owner_exit_hook(node_impl& n, owner_exit_fn f) noexcept;

/// Marks `p` as owning a table, so that its exit runs the hook. Returns
/// false when `p` is not a live process of `n`: then its exit has already
/// run, or will never see the mark, and the caller must treat the table as
/// having no owner. Marking first and checking second pairs with the exit
/// path (which sets the dead bit first and reads the mark second): either
/// this sees the process dead or its exit sees the mark.
/// @threadsafe From any thread.
bool mark_table_owner(node_impl& n, pid p) noexcept;

/// The node the calling thread belongs to (a process's or a mailbox
/// thread's), or nullptr.
node_impl* current_node() noexcept;

/// The calling process's pid, or a null pid on a thread that is neither a
/// process nor a mailbox thread.
pid current_pid() noexcept;

}  // namespace otp::detail

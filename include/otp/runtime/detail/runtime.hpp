// The runtime's internal entry points that the public templates call.
// Not part of the API; signatures may change at any time.
#pragma once

#include <coroutine>
#include <cstdint>

#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {
struct report;
}

namespace otp::detail {

/// What the current thread is: a scheduler running a process, a thread with a
/// mailbox, or neither (all null).
struct context {
  node_impl* node = nullptr;
  process* proc = nullptr;
  worker* w = nullptr;
};

/// The calling thread's context. Not inlined on purpose: a coroutine may
/// resume on another thread, and the address must be read again after every
/// suspension (Clang may cache thread_local addresses otherwise).
context& ctx() noexcept;

/// The current process, or throws otp::badarg naming `what` when the thread
/// is neither running a process nor owning a mailbox.
process& require_process(const char* what);
/// The current node, or throws otp::badarg naming `what`.
node_impl& require_node(const char* what);

struct spawn_request {
  bool link = false;
  bool monitor = false;
  bool trap_exit = false;
  std::uint32_t max_mailbox = 0;
  ref monitor_ref{};  // with monitor: the ref to use (null: a new one)
};
struct spawn_result {
  pid child;
  ref monitor;
};

/// Starts a process whose body is the (not yet started) frame `h`.
/// Takes ownership of the frame, also on error. Throws otp::system_limit when
/// the process table is full and otp::badarg when the node is stopped.
spawn_result spawn_impl(node_impl& n, std::coroutine_handle<> h, promise_base& pr,
                        const spawn_request& req);

/// Stops the program on a state the runtime cannot go on from (out of
/// memory where a guarantee would be lost, a misuse that would deadlock):
/// prints "otp: internal error: " and `what` on standard error, then aborts.
[[noreturn]] void internal_error(const char* what) noexcept;

/// True when `p` is a live process of node `n` (any thread).
bool is_alive(const node_impl& n, pid p) noexcept;

/// Delivers `e` to `to` (stamped with to's serial). Drops it when `to` is not
/// alive; link and monitor signals to a dead process are answered with noproc.
void send_envelope(node_impl& n, pid to, envelope* e) noexcept;

/// A position in the calling process's save queue (see mark_queue).
struct receive_mark {
  envelope** at;
};
/// Drains the calling process's inbox and marks the end of its queue, so a
/// following receive can skip everything already there.
receive_mark mark_queue();

/// Starts a receive in `p`: drains the inbox and sets the scan position to
/// `start` (a mark) or the oldest message. Returns false when a signal has
/// decided that the process must exit.
bool rx_begin(process& p, envelope** start = nullptr);
/// True when the process may handle one more message in this time slice.
bool rx_take_budget() noexcept;
/// Suspends the current process in receive (or yields, or exits, as decided).
std::coroutine_handle<> rx_suspend(process& p, std::coroutine_handle<> h, void* awaiter,
                                   match_fn match, const timeout& t, bool matched) noexcept;
/// Ends a receive: cancels its timer and counts the message.
void rx_end(process& p, bool got_message) noexcept;
/// Blocks a thread mailbox until `match` succeeds or the timeout passes.
/// Throws otp::exit_error when an exit signal ends the mailbox's process.
void rx_wait_thread(process& p, void* awaiter, match_fn match, const timeout& t);

/// True when the node builds and emits reports (node_options::reports).
bool reports_enabled(const node_impl& n) noexcept;
/// Sends `r` to the node's report handler, or logs it.
void emit_report(node_impl& n, const report& r) noexcept;
/// Fixes the exit reason of `p` (the calling process) to `reason`, taking
/// effect when its body returns: what throwing exit_error(reason) out of the
/// body does, without the cost of unwinding. An earlier decision (a kill
/// that already arrived) wins, as it would over a throw.
void end_with(process& p, exit_reason reason) noexcept;
/// True when `p` is a live local process spawned with a link to a parent
/// that is no longer alive: `p` has its parent's exit signal coming (or being
/// handled) and, as a behaviour, is about to exit. Any thread of the node.
bool link_parent_gone(pid p);
/// A per-process word behaviours use to find their bookkeeping (parent,
/// ancestors, name) from inside the process; null until set.
void* behaviour_slot(const process& p) noexcept;
void set_behaviour_slot(process& p, void* v);
/// Names the behaviour `p` (the calling process) runs, for process_info:
/// `kind` is a static string ("gen_server", "supervisor"), or null when the
/// process becomes a plain one again.
void set_behaviour_kind(process& p, const char* kind);

/// Unlinks the envelope at `*pp` from p's save queue and returns it.
inline envelope* save_unlink(process& p, envelope** pp) noexcept {
  envelope* e = *pp;
  *pp = e->next;
  if (p.save_tail == &e->next) p.save_tail = pp;
  e->next = nullptr;
  p.save_len.store(p.save_len.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  return e;
}

}  // namespace otp::detail

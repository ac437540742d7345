// node::stop: the tops of the process trees get shutdown (each tree then
// stops from its top down, as its supervisors decide), then whatever is left
// is killed, then the threads are joined and what is left freed.
#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "runtime/node_impl.hpp"

namespace otp {

namespace {
using detail::node_impl;

void signal_all(node_impl& n, const exit_reason& r) {
  for (pid p : detail::live_pids(n))
    if (!n.table.at(p.slot())->external.load(std::memory_order_relaxed))
      detail::send_signal(n, p, detail::signal_kind::exit, pid(), 0, r);
}

/// Sends shutdown to the top of every process tree not signalled yet: each
/// process that no live process of this node spawned with a link. One whose
/// link parent is a thread mailbox (a tree started from main) gets it from
/// that mailbox, as its parent's exit; the others from no process, which a
/// behaviour also takes as its parent's exit. Processes below a top are left
/// to it: a supervisor stops its children in reverse start order, each by
/// its shutdown spec, and restarts none of them. A child its parent unlinked
/// becomes a top once that parent has ended (the next round).
/// @returns whether it signalled a process.
bool signal_tops(node_impl& n, std::unordered_set<pid>& signalled) {
  bool any = false;
  for (pid p : detail::live_pids(n)) {
    if (signalled.count(p) != 0) continue;
    detail::process* q = n.table.at(p.slot());
    if (q->external.load(std::memory_order_relaxed)) continue;
    const std::uint64_t word = q->link_parent.load(std::memory_order_relaxed);
    pid from;
    if (word != 0) {
      const pid parent(n.id, static_cast<std::uint32_t>(word >> 32),
                       static_cast<std::uint32_t>(word));
      if (detail::process* pp = n.table.find(parent)) {
        if (!pp->external.load(std::memory_order_relaxed)) continue;  // its parent stops it
        from = parent;
      }
    }
    detail::send_signal(n, p, detail::signal_kind::exit, from, 0, exit_reason::shutdown());
    signalled.insert(p);
    any = true;
  }
  return any;
}

bool wait_all_gone(node_impl& n, std::chrono::milliseconds grace) {
  if (n.clock.manual()) {
    n.sched.run_manual();
    return n.people.coroutines() == 0;
  }
  return n.people.wait_coroutines_gone(grace);
}

/// Shuts the trees down from their tops, round after round (a round every
/// 50 ms signals the tops that appeared since), until every process has
/// ended or `stop_grace` has passed. @returns whether every process ended.
bool stop_trees(node_impl& n) {
  std::unordered_set<pid> signalled;
  const auto deadline = std::chrono::steady_clock::now() + n.opts.stop_grace;
  for (;;) {
    const bool any = signal_tops(n, signalled);
    if (n.clock.manual()) {  // no time passes: run until nothing new can be signalled
      if (wait_all_gone(n, {})) return true;
      if (!any) return false;
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return n.people.coroutines() == 0;
    if (wait_all_gone(n, std::min(left, std::chrono::milliseconds(50)))) return true;
  }
}
/// Ends in place whatever coroutine process is still there once the threads
/// have stopped (its blocking job finished but it was never scheduled again,
/// or it ignored shutdown and was queued behind the halt): `killed`, its
/// frame destroyed so RAII cleanup runs.
void end_leftovers(node_impl& n) {
  detail::context saved = detail::ctx();
  const std::uint32_t hw = n.table.high_water();
  for (std::uint32_t s = 0; s < hw; ++s) {
    detail::process* p = n.table.at(s);
    if (p == nullptr || p->external.load(std::memory_order_relaxed)) continue;
    if ((p->serial_word.load(std::memory_order_acquire) & detail::kDeadBit) != 0) continue;
    detail::ctx() = detail::context{&n, p, nullptr};
    detail::set_exit(*p, exit_reason::killed());
    detail::finish_process(*p);
  }
  detail::ctx() = saved;
}

/// Gives every timer still on a wheel back to the timer store, then stops it.
void stop_timers(node_impl& n) {
  for (auto& w : n.sched.workers()) {
    detail::timer_entry* e = w->wheel.take_all();
    while (e != nullptr) {
      detail::timer_entry* nx = e->next;
      n.timers.free(nullptr, e);
      e = nx;
    }
  }
  n.timers.stop();
}
}  // namespace

// The components stop in the reverse order of their start: the processes
// (from the tops of their trees), the scheduler threads, the blocking pool
// (a job that never returns keeps stop() waiting), the watchdog, then what
// is left of the processes and the timers.
void node::stop() {
  node_impl& n = impl();
  if (!n.people.begin_stop()) return;
  if (detail::worker_of(n) != nullptr)
    detail::internal_error(
        "node::stop called from one of the node's own processes (it would wait for itself)");
  if (!stop_trees(n)) {
    signal_all(n, exit_reason::kill());
    wait_all_gone(n, std::chrono::milliseconds(1000));
  }
  n.sched.stop();
  n.blocking.stop();
  n.watchdog.stop();
  end_leftovers(n);
  stop_timers(n);
}

}  // namespace otp

// The runtime side of receive: suspending, parking with a timeout, and the
// blocking wait of thread mailboxes.
#include <chrono>

#include "runtime/node_impl.hpp"

namespace otp::detail {

namespace {
void arm_timeout(node_impl& n, process& p, const timeout& t) {
  worker* w = worker_of(n);
  timer_entry* e = n.timers.alloc(w);
  e->kind = timer_kind::receive_timeout;
  e->target = p.self();
  e->seq = p.rx_seq;
  p.rx_timer = e;
  p.rx_timer_gen = n.arm_timer(w, e, t);
}

[[noreturn]] void mailbox_died(process& p) {
  exit_reason r = p.reason;
  finish_process(p);
  ctx().proc = nullptr;  // the thread is no process any more
  throw mailbox_exit(std::move(r));
}
}  // namespace

receive_mark mark_queue() {
  process& p = require_process("mark_queue");
  drain(p);
  return receive_mark{p.save_tail};
}

bool rx_begin(process& p, envelope** start) {
  p.rx_cursor = start != nullptr ? start : &p.save_head;
  ++p.rx_seq;
  p.rx_timed_out = false;
  return drain(p);
}

bool rx_take_budget() noexcept {
  worker* w = ctx().w;
  return w == nullptr || --w->budget > 0;
}

std::coroutine_handle<> rx_suspend(process& p, std::coroutine_handle<> h, void* awaiter,
                                   match_fn match, const timeout& t, bool matched) noexcept {
  node_impl& n = *p.node;
  p.resume_point = h;
  if (p.exit_pending) {
    finish_process(p);
    return n.sched.next_handle();
  }
  if (matched) {  // time slice used up: go to the back of the queue
    n.sched.requeue_yielded(*ctx().w, p);
    return n.sched.next_handle();
  }
  p.rx_awaiter = awaiter;
  p.rx_match = match;
  if (!t.is_infinite() && p.rx_timer == nullptr) {
    try {
      arm_timeout(n, p, t);
    } catch (...) {
      internal_error("out of memory arming a receive timeout");
    }
  }
  for (;;) {
    p.status.store(run_state::waiting, std::memory_order_relaxed);
    envelope* expected = nullptr;
    if (p.inbox.compare_exchange_strong(expected, kWaiting, std::memory_order_release,
                                        std::memory_order_relaxed))
      return n.sched.next_handle();  // parked: p is not ours any more
    p.status.store(run_state::running, std::memory_order_relaxed);
    if (!drain(p)) {
      finish_process(p);
      return n.sched.next_handle();
    }
    if (match(awaiter, p)) return p.resume_point;  // h, or a hibernated process's new body
    if (p.exit_pending) {                          // a hibernated process could not wake
      finish_process(p);
      return n.sched.next_handle();
    }
  }
}

void rx_end(process& p, bool got_message) noexcept {
  if (p.rx_timer != nullptr) {
    cancel_timer_quiet(timer_ref(p.rx_timer, p.rx_timer_gen));
    p.rx_timer = nullptr;
  }
  p.rx_match = nullptr;
  p.rx_awaiter = nullptr;
  if (got_message) ++p.reductions;
}

void rx_wait_thread(process& p, void* awaiter, match_fn match, const timeout& t) {
  node_impl& n = *p.node;
  if (n.clock.manual()) {
    const std::uint64_t deadline = t.is_infinite() ? ~std::uint64_t{0} : n.now_ms() + t.ms();
    for (;;) {
      if (p.exit_pending) mailbox_died(p);
      n.sched.run_manual();
      if (!drain(p)) mailbox_died(p);
      if (match(awaiter, p)) return;
      // Everything is idle: move virtual time to the next event.
      if (n.timers.has_deferred()) n.timers.adopt(n.sched.at(0));
      std::uint64_t next = deadline;
      if (auto nt = n.sched.at(0).wheel.next_tick(); nt && *nt < next) next = *nt;
      if (next == ~std::uint64_t{0})
        throw badarg(
            "receive: would wait forever: the manual node is idle and no timer is pending");
      if (next > n.now_ms()) n.clock.advance_to(next);
      context saved = ctx();
      ctx() = context{&n, nullptr, &n.sched.at(0)};
      n.sched.run_timers(n.sched.at(0), next);
      ctx() = saved;
      if (next >= deadline) {
        n.sched.run_manual();
        if (!drain(p)) mailbox_died(p);
        if (match(awaiter, p)) return;
        p.rx_timed_out = true;
        return;
      }
    }
  }
  auto* tw = static_cast<thread_waiter*>(p.waiter.load(std::memory_order_relaxed));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(t.ms());
  for (;;) {
    if (!drain(p)) mailbox_died(p);
    if (match(awaiter, p)) return;
    envelope* expected = nullptr;
    if (!p.inbox.compare_exchange_strong(expected, kWaitingThread, std::memory_order_acq_rel,
                                         std::memory_order_relaxed))
      continue;
    std::unique_lock lk(tw->mu);
    while (p.inbox.load(std::memory_order_acquire) == kWaitingThread) {
      if (t.is_infinite()) {
        tw->cv.wait(lk);
      } else if (tw->cv.wait_until(lk, deadline) == std::cv_status::timeout) {
        envelope* w = kWaitingThread;
        if (p.inbox.compare_exchange_strong(w, nullptr, std::memory_order_acq_rel,
                                            std::memory_order_relaxed)) {
          lk.unlock();
          if (!drain(p)) mailbox_died(p);
          if (match(awaiter, p)) return;
          p.rx_timed_out = true;
          return;
        }
      }
    }
  }
}

}  // namespace otp::detail

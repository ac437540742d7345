// Workers: run queues, the "next" slot, stealing, parking, symmetric transfer.
//
// Invariants (see docs/internals/scheduler.md):
//  1. A process is in at most one place: a run queue, a worker's `next`
//     slot, running on one thread, or parked (inbox tagged kWaiting, or
//     waiting for a blocking job). Only the push that replaces kWaiting, a
//     spawn, a yield, or a finished blocking job makes it runnable.
//  2. `next` is owner-only and not stealable; it inherits the time slice, so
//     a ping-pong pair cannot starve the local queue.
//  3. Parking and waking: see idle_workers.hpp.
#include <chrono>
#include <optional>
#include <thread>

#include "runtime/node_impl.hpp"

namespace otp::detail {

namespace {
thread_local context t_ctx;

// How many direct switches may nest before returning to the loop. Without a
// guaranteed tail call (unoptimised or sanitized builds) each switch nests a
// native frame.
#if defined(__clang__)
#if defined(__OPTIMIZE__) && !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer)
constexpr int kMaxChain = 64;
#else
constexpr int kMaxChain = 8;
#endif
#elif defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
constexpr int kMaxChain = 64;
#else
constexpr int kMaxChain = 8;
#endif

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

__attribute__((noinline)) context& ctx() noexcept { return t_ctx; }

worker* worker_of(node_impl& n) noexcept {
  worker* w = ctx().w;
  return (w != nullptr && &w->node == &n) ? w : nullptr;
}

void node_impl::start_threads() {
  for (auto& w : workers) {
    worker* wp = w.get();
    wp->thread = std::thread([this, wp] { worker_loop(*wp); });
  }
  watchdog.start();
}

void node_impl::push_local(worker& w, process& p) noexcept {
  if (!w.local.push(&p)) {
    push_global(p);
    return;
  }
  idle.notify_one();
}

void node_impl::push_global(process& p) noexcept {
  global.push(&p);
  idle.notify_one();
}

void node_impl::schedule(process& p) noexcept {
  p.status.store(run_state::runnable, std::memory_order_relaxed);
  worker* w = worker_of(*this);
  if (w == nullptr) {
    push_global(p);
    return;
  }
  process* displaced = w->next;
  w->next = &p;
  if (displaced != nullptr) push_local(*w, *displaced);
}

void node_impl::requeue_yielded(worker& w, process& p) noexcept {
  p.status.store(run_state::runnable, std::memory_order_relaxed);
  // Behind everything runnable: work waiting in the global queue included.
  if (global.maybe_nonempty())
    push_global(p);
  else
    push_local(w, p);
}

void node_impl::enqueue_new(process& p) noexcept {
  p.status.store(run_state::runnable, std::memory_order_relaxed);
  worker* w = worker_of(*this);
  if (w == nullptr) {
    push_global(p);
  } else if (w->spawned.push(&p)) {
    idle.notify_one();
  } else {
    push_local(*w, p);
  }
}

process* node_impl::find_work(worker& w) noexcept {
  ++w.tick;
  if (timers.has_deferred()) timers.adopt(w);
  if (!clock.manual() && w.wheel.size() != 0 && (w.tick & 15) == 0) run_timers(w, now_ms());
  if (const std::uint32_t c = w.remote_cancels.load(std::memory_order_relaxed);
      c >= 64 && 2 * std::size_t{c} >= w.wheel.size()) {
    w.remote_cancels.store(0, std::memory_order_relaxed);
    w.wheel.sweep_cancelled([&](timer_entry* e) { timers.free(&w, e); });
  }
  // Now and then look at the global queue first, so it cannot starve.
  if ((w.tick % 61) == 0) {
    if (process* p = global.pop()) {
      w.budget = static_cast<int>(opts.reductions);
      return p;
    }
  }
  if (w.next != nullptr) {
    process* p = w.next;
    w.next = nullptr;
    if (w.budget > 0) return p;  // inherits the slice
    if (!w.local.push(p)) push_global(*p);
  }
  w.budget = static_cast<int>(opts.reductions);
  // New processes first (depth-first trees), but every 8th pick the woken
  // ones go first, so a process that keeps spawning cannot starve them.
  if ((w.tick & 7) == 0) {
    if (process* p = w.local.pop()) return p;
  }
  if (process* p = w.spawned.pop()) return p;
  if (process* p = w.local.pop()) return p;
  if (process* p = global.pop()) return p;
  const std::size_t n = workers.size();
  for (std::size_t i = 1; i < n; ++i) {
    worker& v = *workers[(w.index + i) % n];
    if (process* p = v.spawned.steal()) return p;
    if (process* p = v.local.pop()) return p;
  }
  return nullptr;
}

std::coroutine_handle<> node_impl::dispatch(worker& w, process* p) noexcept {
  context& c = ctx();
  c.proc = p;
  w.dispatches.store(w.dispatches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  w.running_pid.store((std::uint64_t{p->slot} << 32) | p->serial, std::memory_order_relaxed);
  --w.budget;
  p->status.store(run_state::running, std::memory_order_relaxed);
  if (p->rx_match == nullptr) {  // new, yielded, or back from a blocking job
    if (!drain(*p)) {
      finish_process(*p);
      c.proc = nullptr;
      return {};
    }
    return p->resume_point;
  }
  for (;;) {  // woken in receive: complete it only if something matches
    if (!drain(*p)) {
      finish_process(*p);
      c.proc = nullptr;
      return {};
    }
    if (p->rx_match(p->rx_awaiter, *p)) return p->resume_point;
    if (p->exit_pending) {  // a hibernated process could not wake
      finish_process(*p);
      c.proc = nullptr;
      return {};
    }
    p->status.store(run_state::waiting, std::memory_order_relaxed);
    envelope* expected = nullptr;
    if (p->inbox.compare_exchange_strong(expected, kWaiting, std::memory_order_release,
                                         std::memory_order_relaxed)) {
      c.proc = nullptr;  // parked; p belongs to whoever wakes it now
      return {};
    }
    p->status.store(run_state::running, std::memory_order_relaxed);
  }
}

std::coroutine_handle<> node_impl::next_handle() noexcept {
  context& c = ctx();
  c.proc = nullptr;
  worker* w = c.w;
  if (w == nullptr) return std::noop_coroutine();
  while (w->next != nullptr && w->budget > 0 && w->chain < kMaxChain) {
    process* q = w->next;
    w->next = nullptr;
    ++w->chain;
    if (auto h = w->node.dispatch(*w, q)) return h;
  }
  return std::noop_coroutine();
}

namespace {
void run_one(node_impl& n, worker& w, process* p) {
  w.chain = 0;
  if (auto h = n.dispatch(w, p)) h.resume();
  ctx().proc = nullptr;
  w.running_pid.store(0, std::memory_order_relaxed);
}
}  // namespace

void node_impl::run_timers(worker& w, std::uint64_t now) noexcept {
  w.wheel.advance(now, [&](timer_entry* e) { fire_timer(w, e); });
}

void node_impl::worker_loop(worker& w) {
  ctx() = context{this, nullptr, &w};
  while (!idle.halted()) {
    process* p = find_work(w);
    if (p == nullptr) {
      idle.begin_search();
      for (int spin = 0; p == nullptr && spin < 64; ++spin) {
        cpu_relax();
        if ((spin & 7) == 7) std::this_thread::yield();
        p = find_work(w);
      }
      // The last searcher to find work wakes a sleeper: pushes made while it
      // searched were not announced (they counted on a searcher).
      if (p != nullptr && idle.end_search()) idle.notify_one();
    }
    if (p == nullptr) {
      idle.prepare_park();
      p = find_work(w);
      if (p == nullptr) {
        std::optional<std::chrono::steady_clock::time_point> deadline;
        if (auto t = w.wheel.next_tick()) deadline = clock.at(*t);
        idle.park(deadline);
      }
      idle.unpark();
      if (w.wheel.size() != 0) run_timers(w, now_ms());
      if (p == nullptr) continue;
    }
    run_one(*this, w, p);
  }
  ctx() = context{};
}

std::size_t node_impl::run_manual(std::size_t max_dispatches) {
  worker& w = *workers[0];
  context saved = ctx();
  ctx() = context{this, nullptr, &w};
  std::size_t count = 0;
  while (count < max_dispatches) {
    process* p = find_work(w);
    if (p == nullptr) break;
    run_one(*this, w, p);
    ++count;
  }
  ctx() = saved;
  return count;
}

}  // namespace otp::detail

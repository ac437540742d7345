// The scheduler (scheduler.hpp): run queues, the "next" slot, stealing,
// parking, symmetric transfer.
#include "runtime/scheduler.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "otp/runtime/detail/thread_name.hpp"
#include "runtime/node_impl.hpp"

namespace otp::detail {

namespace {
thread_local context t_ctx;
thread_local void (*t_slice_end)() = nullptr;  // at_slice_end's, until the run ends

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

/// Steady-clock nanoseconds, never 0 (0 marks "not idle" in worker::idle_since_ns).
std::uint64_t wall_ns() noexcept {
  const auto t = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(t).count()) |
         1;
}

// How many looks for work an idle worker takes before it parks: more on a
// node with sockets (an io source), whose spinning workers read them, so
// that a peer's answer, a round trip away, finds the worker awake.
constexpr int kSpins = 64;
constexpr int kSpinsWithIo = 256;

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

scheduler::scheduler(node_impl& n, unsigned count) : n_(n) {
  workers_.reserve(count);
  for (unsigned i = 0; i < count; ++i) workers_.push_back(std::make_unique<worker>(n, i));
}

void scheduler::start() {
  for (auto& w : workers_) {
    worker* wp = w.get();
    wp->thread = std::thread([this, wp] { worker_loop(*wp); });
  }
}

void scheduler::stop() {
  idle_.halt(static_cast<int>(workers_.size()));
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void scheduler::push_local(worker& w, process& p) noexcept {
  if (!w.local.push(&p)) {
    push_global(p);
    return;
  }
  idle_.notify_one();
}

void scheduler::push_global(process& p) noexcept {
  global_.push(&p);
  idle_.notify_one();
}

void scheduler::schedule(process& p) noexcept {
  p.status.store(run_state::runnable, std::memory_order_relaxed);
  worker* w = worker_of(n_);
  if (w == nullptr) {
    push_global(p);
    return;
  }
  process* displaced = w->next;
  w->next = &p;
  if (displaced != nullptr) push_local(*w, *displaced);
}

void scheduler::requeue_yielded(worker& w, process& p) noexcept {
  p.status.store(run_state::runnable, std::memory_order_relaxed);
  // Behind everything runnable: work waiting in the global queue included.
  if (global_.maybe_nonempty())
    push_global(p);
  else
    push_local(w, p);
}

void scheduler::enqueue_new(process& p) noexcept {
  p.status.store(run_state::runnable, std::memory_order_relaxed);
  worker* w = worker_of(n_);
  if (w == nullptr) {
    push_global(p);
  } else if (w->spawned.push(&p)) {
    idle_.notify_one();
  } else {
    push_local(*w, p);
  }
}

process* scheduler::find_work(worker& w) noexcept {
  ++w.tick;
  if (n_.timers.has_deferred()) n_.timers.adopt(w);
  if (!n_.clock.manual() && w.wheel.size() != 0 && (w.tick & 15) == 0) run_timers(w, n_.now_ms());
  if (const std::uint32_t c = w.remote_cancels.load(std::memory_order_relaxed);
      c >= 64 && 2 * std::size_t{c} >= w.wheel.size()) {
    w.remote_cancels.store(0, std::memory_order_relaxed);
    w.wheel.sweep_cancelled([&](timer_entry* e) { n_.timers.free(&w, e); });
  }
  // Now and then drain the io source (sockets of other nodes) while busy;
  // what that wakes goes where other workers (if any) can take it.
  if ((w.tick % 61) == 0 && idle_.has_io()) {
    if (workers_.size() == 1) {
      idle_.drain_io_now();
    } else {
      process* kept = std::exchange(w.next, nullptr);
      idle_.drain_io_now();
      if (w.next != nullptr) push_local(w, *w.next);
      w.next = kept;
    }
  }
  // Now and then look at the global queue first, so it cannot starve.
  if ((w.tick % 61) == 0) {
    if (process* p = global_.pop()) {
      w.budget = static_cast<int>(n_.opts.reductions);
      return p;
    }
  }
  if (w.next != nullptr) {
    process* p = w.next;
    w.next = nullptr;
    if (w.budget > 0) return p;  // inherits the slice
    if (!w.local.push(p)) push_global(*p);
  }
  w.budget = static_cast<int>(n_.opts.reductions);
  // New processes first (depth-first trees), but every 8th pick the woken
  // ones go first, so a process that keeps spawning cannot starve them.
  if ((w.tick & 7) == 0) {
    if (process* p = w.local.pop()) return p;
  }
  if (process* p = w.spawned.pop()) return p;
  if (process* p = w.local.pop()) return p;
  if (process* p = global_.pop()) return p;
  const std::size_t n = workers_.size();
  for (std::size_t i = 1; i < n; ++i) {
    worker& v = *workers_[(w.index + i) % n];
    if (process* p = v.spawned.steal()) return p;
    if (process* p = v.local.pop()) return p;
  }
  return nullptr;
}

std::coroutine_handle<> scheduler::dispatch(worker& w, process* p) noexcept {
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

bool in_scheduler_slice() noexcept {
  const context& c = ctx();
  return c.w != nullptr && c.proc != nullptr;
}

void at_slice_end(void (*fn)()) noexcept { t_slice_end = fn; }

std::coroutine_handle<> scheduler::next_handle() noexcept {
  context& c = ctx();
  c.proc = nullptr;
  worker* w = c.w;
  if (w == nullptr) return std::noop_coroutine();
  while (w->next != nullptr && w->budget > 0 && w->chain < kMaxChain) {
    process* q = w->next;
    w->next = nullptr;
    ++w->chain;
    if (auto h = dispatch(*w, q)) return h;
  }
  return std::noop_coroutine();
}

void scheduler::run_one(worker& w, process* p) {
  w.chain = 0;
  if (auto h = dispatch(w, p)) h.resume();
  ctx().proc = nullptr;
  w.running_pid.store(0, std::memory_order_relaxed);
  if (t_slice_end != nullptr) std::exchange(t_slice_end, nullptr)();
}

void scheduler::run_timers(worker& w, std::uint64_t now) noexcept {
  w.wheel.advance(now, [&](timer_entry* e) { n_.fire_timer(w, e); });
}

void scheduler::worker_loop(worker& w) {
  name_this_thread(("otp-sched-" + std::to_string(w.index)).c_str());
  ctx() = context{&n_, nullptr, &w};
  w.started_ns.store(wall_ns(), std::memory_order_relaxed);
  std::uint64_t idle_from = 0;
  // Ends the idle period that began at idle_from (worker.hpp, invariant 3).
  const auto idle_end = [&] {
    w.idle_ns.store(w.idle_ns.load(std::memory_order_relaxed) + (wall_ns() - idle_from),
                    std::memory_order_relaxed);
    w.idle_since_ns.store(0, std::memory_order_relaxed);
  };
  while (!idle_.halted()) {
    process* p = find_work(w);
    if (p == nullptr) {
      idle_from = wall_ns();
      w.idle_since_ns.store(idle_from, std::memory_order_relaxed);
      idle_.begin_search();
      const int spins = idle_.has_io() ? kSpinsWithIo : kSpins;
      for (int spin = 0; p == nullptr && spin < spins; ++spin) {
        cpu_relax();
        if ((spin & 7) == 7) {
          // What arrives while it spins runs at once. (Still counted as
          // searching: what others push meanwhile, it finds after the read.)
          if (idle_.has_io()) idle_.drain_io_now();
          std::this_thread::yield();
        }
        p = find_work(w);
      }
      // The last searcher to find work wakes a sleeper: pushes made while it
      // searched were not announced (they counted on a searcher).
      if (p != nullptr && idle_.end_search()) idle_.notify_one();
      if (p != nullptr) idle_end();
    }
    if (p == nullptr) {
      idle_.prepare_park();
      p = find_work(w);
      if (p == nullptr) {
        std::optional<std::chrono::steady_clock::time_point> deadline;
        if (auto t = w.wheel.next_tick()) deadline = n_.clock.at(*t);
        idle_.park(deadline);
      }
      idle_.unpark();
      idle_end();
      if (w.wheel.size() != 0) run_timers(w, n_.now_ms());
      if (p == nullptr) continue;
    }
    run_one(w, p);
  }
  ctx() = context{};
}

std::size_t scheduler::run_manual(std::size_t max_dispatches) {
  worker& w = *workers_[0];
  context saved = ctx();
  ctx() = context{&n_, nullptr, &w};
  std::size_t count = 0;
  while (count < max_dispatches) {
    process* p = find_work(w);
    if (p == nullptr) break;
    run_one(w, p);
    ++count;
  }
  ctx() = saved;
  return count;
}

}  // namespace otp::detail

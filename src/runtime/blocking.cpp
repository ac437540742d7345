// The blocking pool (otp::blocking) and the long-schedule watchdog.
#include "otp/runtime/blocking.hpp"

#include "runtime/log.hpp"
#include "runtime/node_impl.hpp"

namespace otp::detail {

std::coroutine_handle<> blocking_suspend(process& p, std::coroutine_handle<> h, void (*run)(void*),
                                         void* arg) noexcept {
  node_impl& n = *p.node;
  if (n.manual ||
      p.external.load(
          std::memory_order_relaxed)) {  // deterministic (or no scheduler to free): run inline
    run(arg);
    return h;
  }
  p.resume_point = h;
  p.status.store(run_state::waiting, std::memory_order_relaxed);
  try {
    n.post_blocking({run, arg, &p});
  } catch (...) {
    std::abort();  // out of memory queueing a job
  }
  return n.next_handle();
}

void node_impl::post_blocking(blocking_job job) {
  std::lock_guard lk(blocking_mu);
  blocking_jobs.push_back(job);
  if (blocking_idle == 0 && blocking_threads.size() < std::max(1u, opts.blocking_threads))
    blocking_threads.emplace_back([this] { blocking_loop(); });
  else
    blocking_cv.notify_one();
}

void node_impl::blocking_loop() {
  std::unique_lock lk(blocking_mu);
  for (;;) {
    ++blocking_idle;
    blocking_cv.wait(lk, [&] { return blocking_halt || !blocking_jobs.empty(); });
    --blocking_idle;
    if (blocking_jobs.empty()) return;  // halted
    blocking_job job = blocking_jobs.front();
    blocking_jobs.pop_front();
    lk.unlock();
    job.run(job.arg);
    schedule(*job.p);
    lk.lock();
  }
}

void node_impl::watchdog_loop() {
  const auto threshold = opts.long_schedule;
  const auto interval = std::max(std::chrono::milliseconds(1), threshold / 4);
  struct seen {
    std::uint64_t dispatches = 0;
    std::uint64_t pid_bits = 0;
    std::chrono::steady_clock::time_point since;
    bool reported = false;
  };
  std::vector<seen> last(workers.size());
  std::unique_lock lk(watchdog_mu);
  while (!watchdog_halt) {
    watchdog_cv.wait_for(lk, interval);
    if (watchdog_halt) break;
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < workers.size(); ++i) {
      worker& w = *workers[i];
      const std::uint64_t d = w.dispatches.load(std::memory_order_relaxed);
      const std::uint64_t bits = w.running_pid.load(std::memory_order_relaxed);
      seen& s = last[i];
      if (bits == 0 || d != s.dispatches || bits != s.pid_bits) {
        s = seen{d, bits, now, false};
        continue;
      }
      const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.since);
      if (s.reported || held < threshold) continue;
      s.reported = true;
      long_schedule_event ev{pid(id, static_cast<std::uint32_t>(bits >> 32),
                                 static_cast<std::uint32_t>(bits & 0xFFFF'FFFFu)),
                             static_cast<unsigned>(i), held};
      runtime_log().warn(
          "long_schedule: {} has held scheduler {} for {} ms without a scheduling point",
          ev.process.to_string(), ev.scheduler, ev.held.count());
      if (opts.on_long_schedule) opts.on_long_schedule(ev);
    }
  }
}

}  // namespace otp::detail

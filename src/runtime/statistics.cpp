// otp::statistics: reads the counters the node's components keep
// (population, workers, queues, wheels, table) without stopping anything.
#include "otp/runtime/statistics.hpp"

#include <algorithm>

#include "otp/runtime/node.hpp"
#include "runtime/node_impl.hpp"

namespace otp {

namespace {

std::uint64_t steady_ns() noexcept {
  const auto t = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t).count());
}

// A worker's wall time (worker.hpp, invariant 3). The fields are read one
// by one, so a period that ends while they are read may be missed or counted
// in part: active is clamped to [0, total].
scheduler_wall_time wall_time_of(const detail::worker& w, std::uint64_t now) noexcept {
  scheduler_wall_time t;
  t.id = w.index;
  const std::uint64_t started = w.started_ns.load(std::memory_order_relaxed);
  if (started == 0 || now <= started) return t;
  const std::uint64_t total = now - started;
  std::uint64_t idle = w.idle_ns.load(std::memory_order_relaxed);
  const std::uint64_t since = w.idle_since_ns.load(std::memory_order_relaxed);
  if (since != 0 && now > since) idle += now - since;
  idle = std::min(idle, total);
  t.total = std::chrono::nanoseconds(total);
  t.active = std::chrono::nanoseconds(total - idle);
  return t;
}

}  // namespace

node_statistics statistics(const node& n) {
  detail::node_impl& impl = n.impl();
  node_statistics s;
  s.uptime = n.now();
  s.schedulers = static_cast<unsigned>(impl.sched.size());
  const std::uint64_t now = steady_ns();  // a manual node's workers never start: zeros
  for (const auto& w : impl.sched.workers()) {
    s.scheduler_wall_time.push_back(wall_time_of(*w, now));
    const std::size_t queued = w->local.size() + w->spawned.size();
    s.run_queue_lengths.push_back(queued);
    s.run_queue += queued;
    s.reductions += w->dispatches.load(std::memory_order_relaxed);
    s.timers += w->wheel.size();
  }
  s.global_run_queue_length = impl.sched.global_length();
  s.run_queue += s.global_run_queue_length;
  s.timers += impl.timers.deferred();
  s.process_count = impl.people.count();
  s.process_limit = impl.opts.max_processes;
  s.processes_spawned = impl.people.born();
  // Born first, then alive: a process born in between is counted alive and
  // not born, which the clamp turns into a moment's undercount of exits.
  s.processes_exited =
      s.processes_spawned - std::min<std::uint64_t>(s.processes_spawned, s.process_count);
  const std::uint32_t high = impl.table.high_water();
  for (std::uint32_t slot = 0; slot < high; ++slot)
    if (const detail::process* p = impl.table.at(slot))
      s.messages_queued += p->save_len.load(std::memory_order_relaxed);
  s.process_table_bytes = impl.table.bytes();
  s.timer_bytes = impl.timers.bytes();
  s.blocks = memory();
  return s;
}

double scheduler_utilisation(const scheduler_wall_time& earlier,
                             const scheduler_wall_time& later) noexcept {
  if (later.total <= earlier.total) return 0.0;
  const auto total = later.total - earlier.total;
  const auto active =
      later.active > earlier.active ? later.active - earlier.active : std::chrono::nanoseconds{0};
  return std::min(1.0, static_cast<double>(active.count()) / static_cast<double>(total.count()));
}

}  // namespace otp

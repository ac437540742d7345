// otp_vm_* metrics (vm_metrics.hpp).
#include "tools/vm_metrics.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <string>
#include <utility>

namespace otp::tools_detail {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

// Adds a series with one label (or none when `label` is empty).
void add(MetricFamily& f, double value, const char* label = nullptr, std::string label_value = {}) {
  ClientMetric m;
  if (label != nullptr) m.label.push_back({label, std::move(label_value)});
  if (f.type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

MetricFamily single(std::string name, std::string help, MetricType type, double value) {
  MetricFamily f = family(std::move(name), std::move(help), type);
  add(f, value);
  return f;
}

double seconds(std::chrono::nanoseconds d) noexcept { return static_cast<double>(d.count()) / 1e9; }

}  // namespace

std::vector<MetricFamily> vm_metrics::collect() {
  const node_statistics s = statistics(n_);
  std::vector<MetricFamily> out;
  auto d = [](auto v) { return static_cast<double>(v); };
  out.push_back(single("otp_vm_uptime_seconds",
                       "Time since the node started (virtual on a manual node).", MetricType::Gauge,
                       seconds(s.uptime)));
  out.push_back(single("otp_vm_processes", "Live processes, thread mailboxes included.",
                       MetricType::Gauge, d(s.process_count)));
  out.push_back(single("otp_vm_process_limit", "The most processes alive at once (max_processes).",
                       MetricType::Gauge, d(s.process_limit)));
  out.push_back(single("otp_vm_processes_spawned_total", "Processes born since the node started.",
                       MetricType::Counter, d(s.processes_spawned)));
  out.push_back(single("otp_vm_processes_exited_total", "Processes ended since the node started.",
                       MetricType::Counter, d(s.processes_exited)));
  out.push_back(single("otp_vm_reductions_total",
                       "Dispatches since the node started (a process given a scheduler).",
                       MetricType::Counter, d(s.reductions)));
  out.push_back(
      single("otp_vm_schedulers", "Scheduler threads.", MetricType::Gauge, d(s.schedulers)));

  MetricFamily util = family("otp_vm_scheduler_utilisation_ratio",
                             "Share of the time since the previous scrape each scheduler was busy.",
                             MetricType::Gauge);
  MetricFamily active =
      family("otp_vm_scheduler_active_seconds_total",
             "Time each scheduler thread spent running processes.", MetricType::Counter);
  MetricFamily wall = family("otp_vm_scheduler_wall_seconds_total",
                             "Wall time since each scheduler thread started.", MetricType::Counter);
  {
    std::lock_guard lk(mu_);
    for (const scheduler_wall_time& t : s.scheduler_wall_time) {
      const std::string id = std::to_string(t.id);
      const scheduler_wall_time before =
          t.id < previous_.size() ? previous_[t.id] : scheduler_wall_time{t.id};
      add(util, scheduler_utilisation(before, t), "scheduler", id);
      add(active, seconds(t.active), "scheduler", id);
      add(wall, seconds(t.total), "scheduler", id);
    }
    previous_ = s.scheduler_wall_time;
  }
  out.push_back(std::move(util));
  out.push_back(std::move(active));
  out.push_back(std::move(wall));

  MetricFamily queues = family(
      "otp_vm_run_queue_length",
      "Runnable processes waiting: per scheduler, and in the global queue.", MetricType::Gauge);
  for (std::size_t i = 0; i < s.run_queue_lengths.size(); ++i)
    add(queues, d(s.run_queue_lengths[i]), "queue", std::to_string(i));
  add(queues, d(s.global_run_queue_length), "queue", "global");
  out.push_back(std::move(queues));

  out.push_back(single("otp_vm_timers", "Timers started and not yet fired or cancelled.",
                       MetricType::Gauge, d(s.timers)));
  out.push_back(single("otp_vm_messages_queued",
                       "Messages delivered to processes and not yet received.", MetricType::Gauge,
                       d(s.messages_queued)));
  MetricFamily memory = family("otp_vm_memory_bytes",
                               "Memory of the runtime: the process table, timer entries, and the "
                               "block allocator (in use, and held from the system).",
                               MetricType::Gauge);
  add(memory, d(s.process_table_bytes), "kind", "process_table");
  add(memory, d(s.timer_bytes), "kind", "timers");
  add(memory, d(s.blocks.blocks_in_use), "kind", "blocks_in_use");
  add(memory, d(s.blocks.blocks_held), "kind", "blocks_held");
  out.push_back(std::move(memory));
  return out;
}

}  // namespace otp::tools_detail

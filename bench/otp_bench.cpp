// otp_bench: the runtime workloads of DESIGN.md section 7.
//
//   otp_bench WORKLOAD [--runs N] [--schedulers S]
//   otp_bench all      [--runs N] [--schedulers S]
//
// WORKLOAD is one of spawn_idle, skynet, ping_pong, ring, fan_in_send,
// call_seq, call_conc, fan_in_cast, sup_restart, sup_restart_reports,
// call_crash, call_crash_reports, dynsup_start,
// dynsup_hibernate, ets_insert, ets_lookup, ets_lookup_par, ets_mixed_par,
// ets_counter_par, ets_ordered, ets_select, ets_bytes, telemetry, metrics_counter,
// stage_pipeline, stage_pipeline_1, stage_partition, stage_broadcast, stage_slow_consumer,
// dist_ping_pong, dist_send, dist_monitor_exit, dist_call, dist_call_conc, dist_spawn_monitor_exit,
// dist_mixed_ping_pong,
// dist_mixed_send, dist_mixed_monitor_exit, dist_mixed_call, dist_mixed_call_conc, dist_nodedown.
// Each run uses a fresh otp::node and prints one `RESULT system=otp ...` line; run=N numbers the
// runs within one OS process (run=1 is the cold one). `all` runs every workload in its own child
// process (this program again), so the memory figures of one workload do not include what an
// earlier one left in the process (the runtime's pools keep their memory for reuse).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "workloads.hpp"

extern char** environ;

namespace otp_bench {

void fail(const char* workload, const char* what) {
  std::fprintf(stderr, "otp_bench %s: %s\n", workload, what);
  std::exit(1);
}

otp::node_options node_opts(const options& o) {
  otp::node_options n;
  n.schedulers = o.schedulers;
  return n;
}

namespace {

// A "Key:   1234 kB" line of /proc/self/status, in bytes (0 if missing).
std::size_t status_kb_field(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':')
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  }
  return 0;
}

struct workload {
  const char* name;
  void (*run)(const options&);
};

constexpr workload kWorkloads[] = {
    {"spawn_idle", spawn_idle},
    {"skynet", skynet},
    {"ping_pong", ping_pong},
    {"ring", ring},
    {"fan_in_send", fan_in_send},
    {"call_seq", call_seq},
    {"call_conc", call_conc},
    {"call_conc_observed", call_conc_observed},
    {"fan_in_cast", fan_in_cast},
    {"sup_restart", sup_restart},
    {"sup_restart_reports", sup_restart_reports},
    {"call_crash", call_crash},
    {"call_crash_reports", call_crash_reports},
    {"dynsup_start", dynsup_start},
    {"dynsup_hibernate", dynsup_hibernate},
    {"ets_insert", ets_insert},
    {"ets_lookup", ets_lookup},
    {"ets_lookup_par", ets_lookup_par},
    {"ets_mixed_par", ets_mixed_par},
    {"ets_counter_par", ets_counter_par},
    {"ets_ordered", ets_ordered},
    {"ets_select", ets_select},
    {"ets_bytes", ets_bytes},
    {"telemetry", telemetry},
    {"metrics_counter", metrics_counter},
    {"stage_pipeline", stage_pipeline},
    {"stage_pipeline_1", stage_pipeline_1},
    {"stage_partition", stage_partition},
    {"stage_broadcast", stage_broadcast},
    {"stage_slow_consumer", stage_slow_consumer},
    {"dist_ping_pong", dist_ping_pong},
    {"dist_send", dist_send},
    {"dist_monitor_exit", dist_monitor_exit},
    {"dist_call", dist_call},
    {"dist_call_conc", dist_call_conc},
    {"dist_spawn_monitor_exit", dist_spawn_monitor_exit},
    {"dist_mixed_ping_pong", dist_mixed_ping_pong},
    {"dist_mixed_send", dist_mixed_send},
    {"dist_mixed_monitor_exit", dist_mixed_monitor_exit},
    {"dist_mixed_call", dist_mixed_call},
    {"dist_mixed_call_conc", dist_mixed_call_conc},
    {"dist_nodedown", dist_nodedown},
};

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s WORKLOAD|all [--runs N] [--schedulers S]\nworkloads:", argv0);
  for (const auto& w : kWorkloads) std::fprintf(stderr, " %s", w.name);
  std::fprintf(stderr, "\n");
  std::exit(2);
}

unsigned parse_count(const char* argv0, const char* s) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, 10);
  if (end == s || *end != '\0' || v == 0 || v > 1000) usage(argv0);
  return static_cast<unsigned>(v);
}

// Runs `self WORKLOAD --runs N --schedulers S` as a child and waits for it.
bool run_child(const char* self, const char* name, unsigned runs, unsigned schedulers) {
  std::string r = std::to_string(runs), s = std::to_string(schedulers);
  std::vector<char*> args{const_cast<char*>(self),
                          const_cast<char*>(name),
                          const_cast<char*>("--runs"),
                          r.data(),
                          const_cast<char*>("--schedulers"),
                          s.data(),
                          nullptr};
  std::fflush(stdout);
  pid_t child = 0;
  if (posix_spawn(&child, "/proc/self/exe", nullptr, nullptr, args.data(), environ) != 0) {
    std::perror("posix_spawn");
    return false;
  }
  int status = 0;
  if (waitpid(child, &status, 0) < 0) return false;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "otp_bench: %s failed (status %d)\n", name, status);
    return false;
  }
  return true;
}

}  // namespace

std::size_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t peak_rss_bytes() { return status_kb_field("VmHWM"); }

void reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";  // resets VmHWM to the current RSS
}

}  // namespace otp_bench

int main(int argc, char** argv) {
  using namespace otp_bench;
  if (argc < 2) usage(argv[0]);
  const std::string_view what = argv[1];
  if (what == "--far-node" && argc == 3) return far_node_main(argv[2]);
  unsigned runs = 1;
  options opts;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--runs" && i + 1 < argc)
      runs = parse_count(argv[0], argv[++i]);
    else if (a == "--schedulers" && i + 1 < argc)
      opts.schedulers = parse_count(argv[0], argv[++i]);
    else
      usage(argv[0]);
  }

  if (what == "all") {
    bool ok = true;
    for (const auto& w : kWorkloads) ok = run_child(argv[0], w.name, runs, opts.schedulers) && ok;
    return ok ? 0 : 1;
  }
  for (const auto& w : kWorkloads) {
    if (what != w.name) continue;
    for (unsigned r = 1; r <= runs; ++r) {
      opts.run = r;
      w.run(opts);
      std::fflush(stdout);
    }
    return 0;
  }
  usage(argv[0]);
}

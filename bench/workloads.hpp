// The workloads of otp_bench (DESIGN.md section 7) and the helpers they share.
//
// Each workload runs once in a fresh otp::node and prints exactly one line:
//   RESULT system=otp workload=<name> key=value ...
// with plain numbers as values and the units in the key names.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "otp/runtime/node.hpp"

namespace otp_bench {

struct options {
  unsigned schedulers = 2;
  /// 1 for the first run in this OS process. Later runs reuse memory the
  /// runtime's pools kept from earlier ones (no first-touch page faults), so
  /// their figures are "warm"; RESULT lines carry it as run=N.
  unsigned run = 1;
  /// An otp::observer on the node, its API asked once a second (call_conc only).
  bool observed = false;
};

/// An otp::observer on `n`, and a thread asking its API what one open page
/// asks, once a second (tools_observer_bench.cpp).
class observer_load {
 public:
  explicit observer_load(otp::node& n);
  ~observer_load();
  observer_load(const observer_load&) = delete;
  observer_load& operator=(const observer_load&) = delete;

  /// CPU time (ns) the observer's own threads (otp-observer, otp-http-*) have
  /// used so far, from /proc/self/task/*/schedstat.
  static std::uint64_t observer_cpu_ns();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// --- workloads (runtime_bench.cpp) ---

/// 1M processes each parked in receive: µs per spawn, RSS bytes per process,
/// ms to stop them all.
void spawn_idle(const options& o);
/// 1M leaves, 10 children per level (1,111,111 processes): ms, peak RSS.
void skynet(const options& o);
/// Two processes, 1M round trips: ns per round trip.
void ping_pong(const options& o);
/// 1,000 processes in a ring, a token passed 1M hops: ns per hop.
void ring(const options& o);
/// 100 senders x 100,000 sends to one counting receiver: messages per second.
void fan_in_send(const options& o);

// --- gen_server workloads (behaviours_call_bench.cpp) ---

/// One client, 1M sequential gen_server calls (OTP_BENCH_CALLS overrides): ns per call.
void call_seq(const options& o);
/// 100 clients x 10,000 calls to one gen_server: calls per second.
void call_conc(const options& o);
/// call_conc with an observer whose page is open (observer_load), 50,000 calls
/// per client so that the run spans several samples and page refreshes: its
/// cost, as calls per second and as the observer threads' share of the CPU.
void call_conc_observed(const options& o);
/// 100 senders x 100,000 casts to one gen_server: messages per second.
void fan_in_cast(const options& o);

// --- supervisor workloads (supervisor_bench.cpp) ---

/// Kill a supervised, named gen_server 10,000 times: µs from the kill to the
/// restarted child's constructor (mean, p50, p99). Reports off.
void sup_restart(const options& o);
/// sup_restart with crash and supervisor reports on (a no-op on_report).
void sup_restart_reports(const options& o);
/// 10,000 calls that make a supervised gen_server throw (the caller catches
/// otp::exit_error), each followed by a call the restarted server answers:
/// µs per crash round. Reports off.
void call_crash(const options& o);
/// call_crash with reports on (a no-op on_report).
void call_crash_reports(const options& o);

// --- dynamic supervisor workload (dynsup_bench.cpp) ---

/// 100,000 start_child of an idle gen_server under one dynamic supervisor
/// (µs and RSS bytes per child), terminate_child of each (µs), and stopping
/// a supervisor with 10,000 and with 100,000 children (ms). Reports off.
void dynsup_start(const options& o);
void dynsup_hibernate(const options& o);

// --- table workloads (ets_bench.cpp; bench/peers/erlang/bench_ets.erl) ---

/// 1M inserts into a set: inserts per second.
void ets_insert(const options& o);
/// 1M lookups of present keys in a set: lookups per second.
void ets_lookup(const options& o);
/// 2 processes x 1M lookups in a read_concurrency set: lookups per second.
void ets_lookup_par(const options& o);
/// 2 processes x 1M ops, 90 % lookups / 10 % inserts: ops per second.
void ets_mixed_par(const options& o);
/// 2 processes x 1M update_counter on 16 shared keys: ops per second.
void ets_counter_par(const options& o);
/// ordered_set: 1M inserts and a first/next walk from one process; then 1M
/// inserts from 2 and from 4 writers (write_concurrency).
void ets_ordered(const options& o);
/// select of the 1 % key range of a 1M ordered_set: ms (mean of 5).
void ets_select(const options& o);
/// Bytes per (int64, int64) object in a 1M set (info().memory / N).
void ets_bytes(const options& o);

// --- telemetry (telemetry_bench.cpp; no peer) ---

/// ns per telemetry::execute with no handler, with handlers on other events
/// only, and with one handler on the event; ns per span with two handlers.
void telemetry(const options& o);

// --- metrics (tools_metrics_bench.cpp; no peer) ---

/// ns per telemetry::execute feeding a counter with one tag, and one
/// feeding a distribution, through otp::prometheus_exporter.
void metrics_counter(const options& o);

// --- stages (stage_bench.cpp; GenStage's figures in bench/compare) ---

/// producer -> producer_consumer (x + 1) -> consumer, 2M integer events at
/// max_demand 1000 (min 500): events per second, peak RSS.
void stage_pipeline(const options& o);
/// The same at max_demand 1 (min 0): the protocol's cost per event.
void stage_pipeline_1(const options& o);
/// A partition dispatcher (x % 4) to 4 consumers, 2M events: events per second.
void stage_partition(const options& o);
/// A broadcast to 4 consumers, 500k events each, demand held until all four
/// subscribed: deliveries (events x consumers) per second.
void stage_broadcast(const options& o);
/// A consumer 100 times slower (CPU per event) than its producer, 200k
/// 1 KiB events at max_demand 1000: peak RSS, and its growth after the
/// first tenth of the events (flat under back-pressure; unbounded_mb is
/// what the events would take if they piled up).
void stage_slow_consumer(const options& o);

// --- distribution (dist_bench.cpp): two nodes, one scheduler each ---

/// C++ to C++: round trips (µs each), one sender's sends (msgs/s), monitor
/// + exit + DOWN (µs), sequential gen_server calls (µs), 100 callers
/// (calls/s).
void dist_ping_pong(const options& o);
void dist_send(const options& o);
void dist_monitor_exit(const options& o);
void dist_call(const options& o);
void dist_call_conc(const options& o);
/// spawn_remote with a monitor + exit(kill) + DOWN, C++ to C++ (µs).
void dist_spawn_monitor_exit(const options& o);
/// The same as the first five, C++ to a BEAM node.
void dist_mixed_ping_pong(const options& o);
void dist_mixed_send(const options& o);
void dist_mixed_monitor_exit(const options& o);
void dist_mixed_call(const options& o);
void dist_mixed_call_conc(const options& o);
/// ms from `kill -9` of a C++ node's process to the nodedown message.
void dist_nodedown(const options& o);
/// The far node of dist_nodedown (`otp_bench --far-node NAME`): prints
/// "ready NODE", lives until its standard input closes.
int far_node_main(const char* name);

// --- helpers (otp_bench.cpp) ---

/// Prints "otp_bench WORKLOAD: WHAT" to stderr and exits with status 1.
[[noreturn]] void fail(const char* workload, const char* what);
/// A node with the run's scheduler count.
otp::node_options node_opts(const options& o);

// --- measurement helpers (otp_bench.cpp) ---

/// Resident set size now (VmRSS), bytes.
std::size_t rss_bytes();
/// Peak resident set size (VmHWM), bytes.
std::size_t peak_rss_bytes();
/// Resets VmHWM to the current RSS (Linux clear_refs), so a run's peak is its own.
void reset_peak_rss();

using clock = std::chrono::steady_clock;

inline double ms_since(clock::time_point t0, clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}
inline double ns_since(clock::time_point t0, clock::time_point t1) {
  return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

}  // namespace otp_bench

// Stage workloads (otp/services/gen_stage.hpp), the shapes of the GenStage
// figures in bench/compare: a producer -> producer_consumer (x + 1) ->
// consumer pipeline of 2M integer events at max_demand 1000 and at 1; a
// partition dispatcher to 4 consumers (2M events); a broadcast to 4
// consumers (500k events each, demand held until all four subscribed);
// and a consumer 100 times slower than its producer, whose memory stays flat.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "otp/otp.hpp"
#include "otp/services/gen_stage.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

constexpr std::int64_t kStageEvents = 2'000'000;

constexpr std::int64_t kBroadcastEvents = 500'000;
constexpr std::size_t kFanOut = 4;

/// Emits 0, 1, 2, ... up to `last` (exclusive) in all.
struct bench_numbers {
  using out = std::int64_t;
  std::int64_t next = 0;
  std::int64_t last;
  otp::stage_options options;
  explicit bench_numbers(std::int64_t n = kStageEvents, otp::stage_options o = {})
      : last(n), options(std::move(o)) {}
  otp::stage_options init() { return options; }
  std::vector<std::int64_t> handle_demand(std::size_t demand) {
    std::vector<std::int64_t> v;
    v.reserve(demand);
    for (std::size_t i = 0; i < demand && next < last; ++i) v.push_back(next++);
    return v;
  }
  std::optional<std::size_t> partition(const std::int64_t& e) const {
    return static_cast<std::size_t>(e) % kFanOut;
  }
};

struct bench_plus_one {
  using in = std::int64_t;
  using out = std::int64_t;
  std::vector<std::int64_t> handle_events(std::vector<std::int64_t> v, otp::stage_from) {
    for (std::int64_t& x : v) ++x;
    return v;
  }
};

/// Sums what it gets and reports the sum once it has seen `expect` events.
struct bench_sum {
  using in = std::int64_t;
  otp::pid report;
  std::int64_t expect;
  std::int64_t seen = 0;
  std::int64_t sum = 0;
  explicit bench_sum(otp::pid r, std::int64_t n = kStageEvents) : report(r), expect(n) {}
  void handle_events(std::vector<std::int64_t> v, otp::stage_from) {
    for (std::int64_t x : v) sum += x;
    seen += static_cast<std::int64_t>(v.size());
    if (seen == expect) otp::send(report, sum);
  }
};

void run_pipeline(const options& o, const char* name, std::size_t max_demand) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  reset_peak_rss();
  auto p = otp::gen_stage::start_link<bench_numbers>(kStageEvents).get();
  auto pc = otp::gen_stage::start_link<bench_plus_one>().get();
  auto c = otp::gen_stage::start_link<bench_sum>(me.self()).get();
  if (!p.is_ok() || !pc.is_ok() || !c.is_ok()) fail(name, "a stage did not start");
  const otp::subscription_options sub{.max_demand = max_demand, .min_demand = max_demand / 2};
  const auto t0 = clock::now();
  // Downstream first, so that events flow only once the whole pipeline is there.
  if (!otp::gen_stage::sync_subscribe(c.ref(), pc.ref(), sub).get().ok() ||
      !otp::gen_stage::sync_subscribe(pc.ref(), p.ref(), sub).get().ok())
    fail(name, "a subscription failed");
  const std::int64_t sum = me.receive<std::int64_t>();
  const auto t1 = clock::now();
  // sum of (x + 1) for x in [0, N): N (N + 1) / 2
  if (sum != kStageEvents * (kStageEvents + 1) / 2) fail(name, "wrong sum");
  std::printf(
      "RESULT system=otp workload=%s run=%u schedulers=%u events=%lld max_demand=%zu "
      "events_per_s=%.0f peak_rss_mb=%.1f\n",
      name, o.run, o.schedulers, static_cast<long long>(kStageEvents), max_demand,
      static_cast<double>(kStageEvents) / (ms_since(t0, t1) / 1000.0),
      static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0));
}

/// One producer, kFanOut consumers; `each` events for each consumer to see.
/// @returns the seconds from the start of the flow to the last consumer's sum.
double fan_out(const options& o, const char* name, otp::dispatcher_options d, std::int64_t events,
               std::int64_t each, std::int64_t sum_of_all) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  reset_peak_rss();
  auto p =
      otp::gen_stage::start_link<bench_numbers>(
          events, otp::stage_options{.demand = otp::producer_demand::accumulate, .dispatcher = d})
          .get();
  if (!p.is_ok()) fail(name, "the producer did not start");
  for (std::size_t i = 0; i < kFanOut; ++i) {
    auto c = otp::gen_stage::start_link<bench_sum>(me.self(), each).get();
    otp::subscription_options sub{};
    if (std::holds_alternative<otp::partition_dispatch>(d)) sub.partition = i;
    if (!c.is_ok() || !otp::gen_stage::sync_subscribe(c.ref(), p.ref(), sub).get().ok())
      fail(name, "a consumer did not subscribe");
  }
  const auto t0 = clock::now();
  otp::gen_stage::demand(p.ref(), otp::producer_demand::forward).get();
  std::int64_t total = 0;
  for (std::size_t i = 0; i < kFanOut; ++i) total += me.receive<std::int64_t>();
  const auto t1 = clock::now();
  if (total != sum_of_all) fail(name, "wrong sum");
  return ms_since(t0, t1) / 1000.0;
}

constexpr std::int64_t kSlowEvents = 200'000;
constexpr std::size_t kPayload = 1024;  // bytes per event

/// One event: a 1 KiB string, so that a pile-up would show in RSS.
std::string payload(std::int64_t i) {
  return std::string(kPayload, static_cast<char>('a' + i % 26));
}

struct bench_payloads {
  using out = std::string;
  std::int64_t next = 0;
  std::vector<std::string> handle_demand(std::size_t demand) {
    std::vector<std::string> v;
    v.reserve(demand);
    for (std::size_t i = 0; i < demand && next < kSlowEvents; ++i) v.push_back(payload(next++));
    return v;
  }
};

/// Spends `cost` of CPU on each event; tells `report` when a tenth of the
/// events have come (to sample RSS early) and when all have.
struct bench_slow {
  using in = std::string;
  otp::pid report;
  std::chrono::nanoseconds cost;
  std::int64_t seen = 0;
  bench_slow(otp::pid r, std::chrono::nanoseconds c) : report(r), cost(c) {}
  void handle_events(std::vector<std::string> v, otp::stage_from) {
    for (const std::string& e : v) {
      const auto until = clock::now() + cost;
      while (clock::now() < until) {
      }
      if (e.size() != kPayload) std::abort();
      if (++seen == kSlowEvents / 10 || seen == kSlowEvents) otp::send(report, seen);
    }
  }
};

/// The producer's own cost per event (making one payload), in ns.
double producer_ns_per_event() {
  constexpr int kSample = 200'000;
  std::size_t sink = 0;
  const auto t0 = clock::now();
  for (int i = 0; i < kSample; ++i) {
    const std::string s = payload(i);
    asm volatile("" : : "r"(s.data()) : "memory");  // keep the string made
    sink += static_cast<unsigned char>(s[static_cast<std::size_t>(i) % kPayload]);
  }
  const auto t1 = clock::now();
  if (sink == 0) std::abort();
  return ns_since(t0, t1) / kSample;
}

}  // namespace

void stage_slow_consumer(const options& o) {
  const double producer_ns = producer_ns_per_event();
  const auto cost = std::chrono::nanoseconds(static_cast<std::int64_t>(producer_ns * 100));
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  reset_peak_rss();
  auto p = otp::gen_stage::start_link<bench_payloads>().get();
  auto c = otp::gen_stage::start_link<bench_slow>(me.self(), cost).get();
  if (!p.is_ok() || !c.is_ok()) fail("stage_slow_consumer", "a stage did not start");
  const auto t0 = clock::now();
  if (!otp::gen_stage::sync_subscribe(c.ref(), p.ref(), {.max_demand = 1000}).get().ok())
    fail("stage_slow_consumer", "the subscription failed");
  (void)me.receive<std::int64_t>();  // a tenth
  const double early_mb = static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0);
  (void)me.receive<std::int64_t>();  // all
  const auto t1 = clock::now();
  const double peak_mb = static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0);
  std::printf(
      "RESULT system=otp workload=stage_slow_consumer run=%u schedulers=%u events=%lld "
      "event_bytes=%zu producer_ns_per_event=%.0f consumer_ns_per_event=%lld events_per_s=%.0f "
      "peak_rss_mb=%.1f rss_growth_mb=%.1f unbounded_mb=%.1f\n",
      o.run, o.schedulers, static_cast<long long>(kSlowEvents), kPayload, producer_ns,
      static_cast<long long>(cost.count()),
      static_cast<double>(kSlowEvents) / (ms_since(t0, t1) / 1000.0), peak_mb, peak_mb - early_mb,
      static_cast<double>(kSlowEvents * static_cast<std::int64_t>(kPayload)) / (1024.0 * 1024.0));
}

void stage_partition(const options& o) {
  // Events x % 4 == i go to consumer i: each sees a quarter.
  const double s = fan_out(o, "stage_partition", otp::partition_dispatch{kFanOut}, kStageEvents,
                           kStageEvents / static_cast<std::int64_t>(kFanOut),
                           kStageEvents * (kStageEvents - 1) / 2);
  std::printf(
      "RESULT system=otp workload=stage_partition run=%u schedulers=%u events=%lld consumers=%zu "
      "events_per_s=%.0f peak_rss_mb=%.1f\n",
      o.run, o.schedulers, static_cast<long long>(kStageEvents), kFanOut,
      static_cast<double>(kStageEvents) / s,
      static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0));
}

void stage_broadcast(const options& o) {
  const std::int64_t each_sum = kBroadcastEvents * (kBroadcastEvents - 1) / 2;
  const double s = fan_out(o, "stage_broadcast", otp::broadcast_dispatch{}, kBroadcastEvents,
                           kBroadcastEvents, each_sum * static_cast<std::int64_t>(kFanOut));
  std::printf(
      "RESULT system=otp workload=stage_broadcast run=%u schedulers=%u events=%lld consumers=%zu "
      "deliveries_per_s=%.0f peak_rss_mb=%.1f\n",
      o.run, o.schedulers, static_cast<long long>(kBroadcastEvents), kFanOut,
      static_cast<double>(kBroadcastEvents) * static_cast<double>(kFanOut) / s,
      static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0));
}

void stage_pipeline(const options& o) { run_pipeline(o, "stage_pipeline", 1000); }
void stage_pipeline_1(const options& o) { run_pipeline(o, "stage_pipeline_1", 1); }

}  // namespace otp_bench

// The cost of a metric (issue 17): ns per telemetry::execute that feeds a
// counter with one tag through otp::prometheus_exporter (the event's
// dispatch, reading the tag from the metadata, finding its series and
// adding to it), and ns per execute feeding a distribution (histogram with
// the default 11 buckets, a unit conversion, no tag). One thread, 5M events
// each; the node's own gauges cost nothing here (they are read at scrape).
// TelemetryMetricsPrometheus is not a Debian package: no peer.
#include <chrono>
#include <cstdio>
#include <string>

#include "otp/otp.hpp"
#include "otp/tools/prometheus.hpp"
#include "workloads.hpp"

namespace otp_bench {
namespace {

constexpr int kEvents = 5'000'000;

template <class F>
double metrics_ns_per_event(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kEvents; ++i) f(i);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / kEvents;
}

}  // namespace

void metrics_counter(const options& o) {
  namespace m = otp::metrics;
  namespace telem = otp::telemetry;
  otp::node n({.schedulers = o.schedulers});
  otp::prometheus_exporter ex(
      n,
      {m::counter("bench.order.count", {.tags = {"method"}}),
       m::distribution("bench.job.duration", {.unit = {m::unit::nanosecond, m::unit::second}})},
      {.vm_metrics = false});
  const double counter = metrics_ns_per_event([](int) {
    telem::execute({"bench", "order"}, {}, {{"method", std::string_view("card")}});
  });
  const double histogram = metrics_ns_per_event([](int i) {
    telem::execute({"bench", "job"}, {{"duration", 1000 * (i & 1023)}});
  });
  const std::string text = ex.scrape();
  if (text.find("bench_order_count_total{method=\"card\"} 5000000") == std::string::npos)
    fail("metrics_counter", "the counter missed events");
  std::printf(
      "RESULT system=otp workload=metrics_counter run=%u schedulers=%u events=%d "
      "counter_one_tag_ns=%.1f distribution_ns=%.1f\n",
      o.run, o.schedulers, kEvents, counter, histogram);
}

}  // namespace otp_bench

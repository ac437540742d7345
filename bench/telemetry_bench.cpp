// The cost of telemetry::execute (issue 17): ns per call with no handler
// attached anywhere, with handlers attached to other events only, and with
// one handler (which adds a measurement to a sum) attached to the event;
// and ns per telemetry::span around an empty function with handlers on its
// start and stop. One thread, 10M calls each (1M for span). Erlang's
// telemetry library is not a Debian package, so this workload has no peer.
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {
namespace {

constexpr int kCalls = 10'000'000;
constexpr int kSpans = 1'000'000;

template <class F>
double ns_per_call(int n, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f(i);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / n;
}

}  // namespace

void telemetry(const options& o) {
  namespace telem = otp::telemetry;
  volatile double sink = 0;
  const double none = ns_per_call(kCalls, [](int i) {
    telem::execute({"bench", "request", "done"}, {{"bytes", i}});
  });
  if (!telem::attach("bench-elsewhere", {"bench", "other"}, [](const telem::event&) {}))
    fail("telemetry", "attach failed");
  const double elsewhere = ns_per_call(kCalls, [](int i) {
    telem::execute({"bench", "request", "done"}, {{"bytes", i}});
  });
  double sum = 0;
  if (!telem::attach("bench-one", {"bench", "request", "done"},
                     [&sum](const telem::event& e) { sum += e.measurements[0].value; }))
    fail("telemetry", "attach failed");
  const double one = ns_per_call(kCalls, [](int i) {
    telem::execute({"bench", "request", "done"}, {{"bytes", i}}, {{"route", "/orders"}});
  });
  if (sum <= 0) fail("telemetry", "the handler saw nothing");
  int spans = 0;
  if (!telem::attach_many("bench-span", {{"bench", "job", "start"}, {"bench", "job", "stop"}},
                          [&spans](const telem::event&) { ++spans; }))
    fail("telemetry", "attach failed");
  const double span = ns_per_call(kSpans, [&sink](int i) {
    telem::span({"bench", "job"}, {}, [&sink, i] { sink = sink + i; });
  });
  if (spans != 2 * kSpans) fail("telemetry", "span events missing");
  for (const char* id : {"bench-elsewhere", "bench-one", "bench-span"}) telem::detach(id);
  std::printf(
      "RESULT system=otp workload=telemetry run=%u schedulers=%u calls=%d none_ns=%.2f "
      "elsewhere_ns=%.2f one_handler_ns=%.2f span_ns=%.1f\n",
      o.run, o.schedulers, kCalls, none, elsewhere, one, span);
}

}  // namespace otp_bench

// gen_server workloads: call_seq, call_conc, fan_in_cast.
//
// Each function makes a fresh node, starts one gen_server, runs the clients,
// checks the server's count and prints one RESULT line. Wall times are taken
// by main(), which waits for the final message in an otp::mailbox.
//
// OTP_BENCH_CALLS=N (environment) sets the calls of call_seq (default
// 1,000,000), e.g. to profile it under callgrind with a smaller N.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

struct done {};

/// The server: counts increments; answers the count.
struct tally {
  struct inc {  // call: count + 1, reply the new count
    using reply = std::uint64_t;
  };
  struct bump {};  // cast: count + 1; tells `report` at `expected`
  std::uint64_t count = 0;
  std::uint64_t expected;
  otp::pid report;
  tally(std::uint64_t e, otp::pid r) : expected(e), report(r) {}
  std::uint64_t handle_call(inc) { return ++count; }
  void handle_cast(bump) {
    if (++count == expected) otp::send(report, done{});
  }
};

otp::server_ref<tally> start_tally(const char* workload, std::uint64_t expected, otp::pid report) {
  auto s = otp::gen_server::start<tally>(expected, report).get();
  if (!s.is_ok()) fail(workload, "the server did not start");
  return s.ref();
}

std::uint64_t calls_from_env(std::uint64_t fallback) {
  const char* v = std::getenv("OTP_BENCH_CALLS");
  if (v == nullptr) return fallback;
  const std::uint64_t n = std::strtoull(v, nullptr, 10);
  return n == 0 ? fallback : n;
}

/// Makes `calls` sequential calls, then tells `report` (with the last reply).
otp::proc caller(otp::server_ref<tally> s, std::uint64_t calls, otp::pid report) {
  std::uint64_t last = 0;
  for (std::uint64_t i = 0; i < calls; ++i) last = co_await otp::call(s, tally::inc{});
  otp::send(report, last);
}

/// Sends `casts` casts.
otp::proc caster(otp::server_ref<tally> s, std::uint32_t casts) {
  for (std::uint32_t i = 0; i < casts; ++i) otp::cast(s, tally::bump{});
  co_return;
}

constexpr std::uint32_t kClients = 100;
constexpr std::uint32_t kCallsEach = 10'000;
constexpr std::uint32_t kCastsEach = 100'000;

}  // namespace

void call_seq(const options& o) {
  const std::uint64_t calls = calls_from_env(1'000'000);
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  const auto s = start_tally("call_seq", 0, me.self());

  const auto t0 = clock::now();
  node.spawn(caller, s, calls, me.self());
  const std::uint64_t last = me.receive<std::uint64_t>();
  const auto t1 = clock::now();
  if (last != calls) fail("call_seq", "wrong count");

  std::printf(
      "RESULT system=otp workload=call_seq run=%u schedulers=%u calls=%llu ns_per_call=%.1f\n",
      o.run, o.schedulers, static_cast<unsigned long long>(calls),
      ns_since(t0, t1) / static_cast<double>(calls));
}

void call_conc(const options& o) {
  const std::uint32_t calls_each = o.observed ? 5 * kCallsEach : kCallsEach;
  const std::uint64_t total = std::uint64_t{kClients} * calls_each;
  otp::node node(node_opts(o));
  std::optional<observer_load> observed;
  if (o.observed) observed.emplace(node);
  otp::mailbox me(node);
  const auto s = start_tally("call_conc", 0, me.self());

  const std::uint64_t cpu0 = o.observed ? observer_load::observer_cpu_ns() : 0;
  const auto t0 = clock::now();
  for (std::uint32_t i = 0; i < kClients; ++i)
    node.spawn(caller, s, std::uint64_t{calls_each}, me.self());
  std::uint64_t highest = 0;
  for (std::uint32_t i = 0; i < kClients; ++i) {
    const std::uint64_t last = me.receive<std::uint64_t>();
    if (last > highest) highest = last;
  }
  const auto t1 = clock::now();
  if (highest != total) fail("call_conc", "wrong count");
  const double seconds = ms_since(t0, t1) / 1000.0;

  std::printf(
      "RESULT system=otp workload=%s run=%u schedulers=%u clients=%u calls_each=%u "
      "calls_per_s=%.0f",
      o.observed ? "call_conc_observed" : "call_conc", o.run, o.schedulers, kClients, calls_each,
      static_cast<double>(total) / seconds);
  // The observer threads' CPU time over the run, as a share of what the
  // schedulers could have used in that time: the most the observer can have
  // taken from them.
  if (o.observed)
    std::printf(" observer_cpu_pct=%.2f",
                100.0 * static_cast<double>(observer_load::observer_cpu_ns() - cpu0) /
                    (seconds * 1e9 * o.schedulers));
  std::printf("\n");
}

void fan_in_cast(const options& o) {
  constexpr std::uint64_t kTotal = std::uint64_t{kClients} * kCastsEach;
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  const auto s = start_tally("fan_in_cast", kTotal, me.self());
  reset_peak_rss();

  const auto t0 = clock::now();
  for (std::uint32_t i = 0; i < kClients; ++i) node.spawn(caster, s, kCastsEach);
  me.receive<done>();
  const auto t1 = clock::now();

  std::printf(
      "RESULT system=otp workload=fan_in_cast run=%u schedulers=%u senders=%u casts_each=%u "
      "msgs_per_s=%.0f peak_rss_mb=%.1f\n",
      o.run, o.schedulers, kClients, kCastsEach,
      static_cast<double>(kTotal) / (ms_since(t0, t1) / 1000.0),
      static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0));
}

}  // namespace otp_bench

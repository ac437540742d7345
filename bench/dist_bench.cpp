// Distribution workloads: two C++ nodes of this process (one scheduler
// each) connected over loopback through the system's epmd (started with
// `epmd -daemon` when not running): dist_ping_pong (sequential round trips
// of a small term between a process of each node), dist_send (one sender's
// remote sends, counted by the receiver), dist_monitor_exit (monitor an
// existing remote process, kill it with exit/2, get the DOWN).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

using otp::term;
using clock = std::chrono::steady_clock;

constexpr int kDistRoundTrips = 20000;
constexpr int kDistSends = 200000;
constexpr int kDistVictims = 2000;

double us_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

/// A distributed node of this process, named NAME_<os pid>. epmd may have
/// just been started: registration is retried for up to 5 s (not timed).
struct dist_node {
  explicit dist_node(const char* name) : node(one_scheduler()) {
    otp::net_kernel_options o;
    o.name = std::string(name) + "_" + std::to_string(::getpid());
    o.cookie = "otp_bench";
    for (int i = 0; !kernel; ++i) {
      try {
        kernel.emplace(node, o);
      } catch (const otp::dist_error& e) {
        if (i == 50) fail(name, e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  static otp::node_options one_scheduler() {
    otp::node_options n;
    n.schedulers = 1;
    return n;
  }
  otp::node node;
  std::optional<otp::net_kernel> kernel;
};

void start_epmd() {
  if (std::system("epmd -daemon") != 0) fail("dist", "cannot start epmd");
}

/// Answers {From, X} with X, forever.
otp::proc dist_ponger() {
  for (;;) {
    term t = co_await otp::receive<term>();
    const auto& items = t.get_if<otp::tuple_value>()->items;
    otp::send(otp::from_term<otp::pid>(items[0]), items[1]);
  }
}

/// Counts `n` messages, then tells `report` (a local pid).
otp::proc dist_counter(int n, otp::pid report) {
  for (int i = 0; i < n; ++i) co_await otp::receive<term>();
  otp::send(report, term::atom("done"));
}

}  // namespace

void dist_ping_pong(const options& o) {
  start_epmd();
  dist_node a("otp_bench_a"), b("otp_bench_b");
  otp::mailbox me(a.node);
  const otp::pid remote = otp::from_term<otp::pid>(otp::to_term(b.node.spawn(dist_ponger)));
  // A process of node a pings; the first exchange makes the connection and
  // is not timed.
  a.node.spawn(
      [](otp::pid ponger, otp::pid report) -> otp::proc {
        const term self = otp::to_term(otp::self());
        otp::send(ponger, term::tuple({self, term(0)}));
        co_await otp::receive<term>();
        const auto t0 = clock::now();
        for (int i = 1; i <= kDistRoundTrips; ++i) {
          otp::send(ponger, term::tuple({self, term(i)}));
          co_await otp::receive<term>();
        }
        otp::send(report, us_between(t0, clock::now()));
      },
      remote, me.self());
  const double us = me.receive<double>();
  std::printf(
      "RESULT system=otp workload=dist_ping_pong run=%u schedulers=1+1 round_trips=%d "
      "us_per_round_trip=%.2f\n",
      o.run, kDistRoundTrips, us / kDistRoundTrips);
}

void dist_send(const options& o) {
  start_epmd();
  dist_node a("otp_bench_a"), b("otp_bench_b");
  otp::mailbox me(b.node);
  const otp::pid counter =
      otp::from_term<otp::pid>(otp::to_term(b.node.spawn(dist_counter, kDistSends + 1, me.self())));
  a.node.send(counter, term(0));  // connects: the rest is timed from here
  const auto t0 = clock::now();
  a.node.spawn(
      [](otp::pid to) -> otp::proc {
        const term msg = term::tuple({term::atom("event"), term(42), term::binary("payload")});
        for (int i = 0; i < kDistSends; ++i) otp::send(to, msg);
        co_return;
      },
      counter);
  me.receive<term>();
  const auto t1 = clock::now();
  std::printf(
      "RESULT system=otp workload=dist_send run=%u schedulers=1+1 msgs=%d msgs_per_s=%.0f\n", o.run,
      kDistSends, kDistSends / (us_between(t0, t1) / 1e6));
}

void dist_monitor_exit(const options& o) {
  start_epmd();
  dist_node a("otp_bench_a"), b("otp_bench_b");
  otp::mailbox me(a.node);
  std::vector<otp::pid> victims;
  for (int i = 0; i < kDistVictims; ++i) {
    const otp::pid v = b.node.spawn([]() -> otp::proc { co_await otp::receive<int>(); });
    victims.push_back(otp::from_term<otp::pid>(otp::to_term(v)));
  }
  otp::send(victims[0], term(0));  // connects (a term is not the int it waits for)
  const auto t0 = clock::now();
  for (const otp::pid v : victims) {
    otp::monitor(v);
    otp::exit(v, otp::exit_reason::kill());
    me.receive<otp::down_msg>();
  }
  const auto t1 = clock::now();
  std::printf(
      "RESULT system=otp workload=dist_monitor_exit run=%u schedulers=1+1 cycles=%d "
      "us_per_cycle=%.2f\n",
      o.run, kDistVictims, us_between(t0, t1) / kDistVictims);
}

}  // namespace otp_bench

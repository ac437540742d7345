// Supervisor workloads: sup_restart[_reports], call_crash[_reports].
//
// Each runs 10,000 crash/restart rounds of one gen_server under a one_for_one
// supervisor. A driver process (a coroutine on the scheduler, as the Erlang
// and CAF peers drive theirs from a process or actor) starts the tree, runs
// the rounds and sends its figures to main()'s otp::mailbox, which prints
// them. The `_reports` variants turn crash and supervisor reports on (built
// and handed to a no-op on_report); the others run with
// node_options::reports = false.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

constexpr int kRounds = 10'000;
constexpr const char* kChildName = "bench_child";

/// What a (re)started child sends to the bench from its constructor.
struct started_at {
  otp::pid child;
  clock::time_point t;
};

/// The supervised server: tells the bench when it starts; throws on crash_req.
struct bench_child {
  struct crash_req {
    using reply = int;
  };
  struct echo_req {
    using reply = int;
    int v = 0;
  };
  explicit bench_child(otp::pid bench) { otp::send(bench, started_at{otp::self(), clock::now()}); }
  int handle_call(crash_req) { throw std::runtime_error("bench crash"); }
  int handle_call(echo_req r) { return r.v; }
};

otp::node_options node_opts(const options& o, bool reports) {
  otp::node_options n;
  n.schedulers = o.schedulers;
  n.reports = reports;
  if (reports) n.on_report = [](const otp::report&) {};
  return n;
}

// Starts the supervisor with the named child (linked to the caller, which
// traps exits); returns the child's first pid.
otp::task<otp::pid> start_tree(std::string* error) {
  otp::trap_exit(true);
  otp::supervisor_flags f;
  f.intensity = 1'000'000;
  f.period = std::chrono::milliseconds(1000);
  auto sup = co_await otp::supervisor::start_link(
      f, {otp::named_worker<bench_child>("child", otp::server_name(kChildName), otp::self())});
  if (!sup.is_ok()) {
    *error = "supervisor start: " + sup.to_string();
    co_return otp::pid();
  }
  co_return (co_await otp::receive<started_at>()).child;
}

struct summary {
  double mean = 0, p50 = 0, p99 = 0;
};

summary summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  summary s;
  for (double v : us) s.mean += v;
  s.mean /= static_cast<double>(us.size());
  s.p50 = us[us.size() / 2];
  s.p99 = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  return s;
}

double us_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

/// What a driver measured; `error` is empty when every round went as expected.
struct figures {
  summary restart;          // sup_restart
  double us_per_crash = 0;  // call_crash
  std::string error;
};

// Kill the child; latency from the kill to the restarted child's constructor.
otp::proc restart_driver(otp::pid report) {
  figures f;
  otp::pid child = co_await start_tree(&f.error);
  std::vector<double> us;
  us.reserve(kRounds);
  for (int i = 0; i < kRounds && f.error.empty(); ++i) {
    const clock::time_point t0 = clock::now();
    otp::exit(child, otp::exit_reason::kill());
    const started_at s = co_await otp::receive<started_at>();
    if (s.child == child) f.error = "same pid after restart";
    us.push_back(us_between(t0, s.t));
    child = s.child;
  }
  if (f.error.empty() && otp::whereis(kChildName) != child) f.error = "name not on the last child";
  if (f.error.empty()) f.restart = summarize(us);
  otp::send(report, std::move(f));
}

// A call that crashes the server (the caller catches the exit), then a call
// to the restarted server: time per round.
otp::proc crash_driver(otp::pid report) {
  figures f;
  (void)co_await start_tree(&f.error);
  const auto ref = otp::server_ref<bench_child>(otp::server_name(kChildName));
  int caught = 0;
  const clock::time_point t0 = clock::now();
  for (int i = 0; i < kRounds && f.error.empty(); ++i) {
    try {
      (void)co_await otp::call(ref, bench_child::crash_req{});
    } catch (const otp::exit_error&) {
      ++caught;
    }
    (void)co_await otp::receive<started_at>();  // the restarted server is registered
    if (co_await otp::call(ref, bench_child::echo_req{i}) != i) f.error = "bad echo";
  }
  const clock::time_point t1 = clock::now();
  if (f.error.empty() && caught != kRounds) f.error = "a crashing call did not exit the caller";
  f.us_per_crash = us_between(t0, t1) / kRounds;
  otp::send(report, std::move(f));
}

/// Runs `driver` on a fresh node and returns its figures (exits on an error).
figures run_driver(const options& o, const char* workload, bool reports,
                   otp::proc (*driver)(otp::pid)) {
  otp::node node(node_opts(o, reports));
  otp::mailbox mb(node);
  node.spawn(driver, mb.self());
  figures f = mb.receive<figures>();
  if (!f.error.empty()) fail(workload, f.error.c_str());
  return f;
}

void sup_restart_run(const options& o, const char* workload, bool reports) {
  const summary s = run_driver(o, workload, reports, restart_driver).restart;
  std::printf(
      "RESULT system=otp workload=%s run=%u restarts=%d mean_us=%.2f p50_us=%.2f "
      "p99_us=%.2f\n",
      workload, o.run, kRounds, s.mean, s.p50, s.p99);
}

void call_crash_run(const options& o, const char* workload, bool reports) {
  const double us = run_driver(o, workload, reports, crash_driver).us_per_crash;
  std::printf("RESULT system=otp workload=%s run=%u crashes=%d us_per_crash=%.2f\n", workload,
              o.run, kRounds, us);
}

}  // namespace

void sup_restart(const options& o) { sup_restart_run(o, "sup_restart", false); }
void sup_restart_reports(const options& o) { sup_restart_run(o, "sup_restart_reports", true); }
void call_crash(const options& o) { call_crash_run(o, "call_crash", false); }
void call_crash_reports(const options& o) { call_crash_run(o, "call_crash_reports", true); }

}  // namespace otp_bench

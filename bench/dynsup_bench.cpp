// Dynamic supervisor workloads: dynsup_start, dynsup_hibernate.
//
// A driver process (a coroutine on the scheduler, as an Erlang caller would
// be) starts 100,000 idle gen_server children under one dynamic supervisor,
// terminates each by pid, then stops a supervisor holding 10,000 and one
// holding 100,000 children. main() waits for the driver's figures in an
// otp::mailbox and prints one RESULT line.
//
// dynsup_hibernate starts 100,000 children that hibernate as soon as they
// wait (the start option hibernate_after 0) and measures what each holds.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

namespace dsup = otp::dynamic_supervisor;

constexpr std::size_t kSmall = 10'000;

/// The large child count: 100,000, or OTP_BENCH_CHILDREN (for profiling runs).
std::size_t large_count() {
  const char* v = std::getenv("OTP_BENCH_CHILDREN");
  const std::size_t n = v == nullptr ? 0 : std::strtoull(v, nullptr, 10);
  return n == 0 ? 100'000 : n;
}

/// The child: a gen_server with no state and no callbacks, idle in receive.
struct idle_child {};

/// What the driver measured.
struct dynsup_figures {
  double us_per_start = 0;
  double bytes_per_child = 0;
  double us_per_terminate = 0;
  double stop_small_ms = 0;
  double stop_large_ms = 0;
  std::string error;  // empty when every step succeeded
};

/// An idle_child that hibernates as soon as it waits (hibernate_after 0).
otp::child_spec hibernating_child() {
  otp::child_spec c = otp::worker<idle_child>("");
  c.start = []() -> otp::task<otp::start_result> {
    co_return co_await otp::gen_server::start_link<idle_child>(
        otp::start_options{.hibernate_after = otp::timeout(0)});
  };
  return c;
}

/// Starts a dynamic supervisor and `n` children under it (of `spec`, or
/// plain idle_child ones); false on a failure.
otp::task<bool> fill(dsup::ref& sup, std::size_t n, std::vector<otp::pid>* pids,
                     const otp::child_spec* spec = nullptr) {
  auto s = co_await dsup::start_link();
  if (!s.is_ok()) co_return false;
  sup = s.ref();
  for (std::size_t i = 0; i < n; ++i) {
    auto r = spec != nullptr ? co_await dsup::start_child(sup, *spec)
                             : co_await dsup::start_child<idle_child>(sup);
    if (!r.is_ok()) co_return false;
    if (pids != nullptr) pids->push_back(r.child);
  }
  co_return true;
}

/// Stops `sup` (which stops its children) and returns the milliseconds taken.
otp::task<double> stop_ms(dsup::ref sup) {
  const auto t0 = clock::now();
  co_await otp::gen_server::stop(sup);
  co_return ms_since(t0, clock::now());
}

otp::proc driver(otp::pid report, std::size_t large) {
  otp::trap_exit(true);  // the supervisors are linked to the driver
  dynsup_figures f;
  std::vector<otp::pid> pids;
  pids.reserve(large);
  dsup::ref sup;

  const std::size_t rss0 = rss_bytes();
  const auto t0 = clock::now();
  if (!co_await fill(sup, large, &pids)) f.error = "start_child failed";
  const auto t1 = clock::now();
  f.us_per_start = ns_since(t0, t1) / 1000.0 / large;
  f.bytes_per_child = static_cast<double>(rss_bytes() - rss0) / large;

  const auto t2 = clock::now();
  for (otp::pid p : pids) {
    auto r = co_await dsup::terminate_child(sup, p);
    if (!r.ok()) f.error = "terminate_child failed";
  }
  f.us_per_terminate = ns_since(t2, clock::now()) / 1000.0 / large;
  co_await otp::gen_server::stop(sup);

  if (!co_await fill(sup, kSmall, nullptr)) f.error = "start_child failed (10k)";
  f.stop_small_ms = co_await stop_ms(sup);
  if (!co_await fill(sup, large, nullptr)) f.error = "start_child failed (large)";
  f.stop_large_ms = co_await stop_ms(sup);
  otp::send(report, std::move(f));
}

otp::proc hibernate_driver(otp::pid report, std::size_t large) {
  otp::trap_exit(true);
  dynsup_figures f;
  std::vector<otp::pid> pids;
  pids.reserve(large);
  dsup::ref sup;
  const otp::child_spec spec = hibernating_child();
  const std::size_t rss0 = rss_bytes();
  const auto t0 = clock::now();
  if (!co_await fill(sup, large, &pids, &spec)) f.error = "start_child failed";
  f.us_per_start = ns_since(t0, clock::now()) / 1000.0 / large;
  for (otp::pid p : pids) {  // wait until every child has hibernated
    for (;;) {
      auto info = co_await otp::get_process_info(p);
      if (!info) {
        f.error = "a hibernating child died";
        break;
      }
      if (info->hibernated) break;
      co_await otp::yield();
    }
  }
  f.bytes_per_child = static_cast<double>(rss_bytes() - rss0) / large;
  co_await otp::gen_server::stop(sup);
  otp::send(report, std::move(f));
}

/// Runs `driver` on a fresh node and returns its figures; exits on an error.
dynsup_figures run_driver(const options& o, otp::proc (*driver)(otp::pid, std::size_t),
                          const char* workload) {
  otp::node_options no;
  no.schedulers = o.schedulers;
  no.reports = false;
  otp::node node(no);
  otp::mailbox me(node);
  node.spawn(driver, me.self(), large_count());
  dynsup_figures f = me.receive<dynsup_figures>();
  if (!f.error.empty()) {
    std::fprintf(stderr, "otp_bench %s: %s\n", workload, f.error.c_str());
    std::exit(1);
  }
  return f;
}

}  // namespace

void dynsup_hibernate(const options& o) {
  const dynsup_figures f = run_driver(o, hibernate_driver, "dynsup_hibernate");
  std::printf(
      "RESULT system=otp workload=dynsup_hibernate run=%u schedulers=%u children=%zu "
      "us_per_start=%.3f bytes_per_child=%.0f\n",
      o.run, o.schedulers, large_count(), f.us_per_start, f.bytes_per_child);
}

void dynsup_start(const options& o) {
  const std::size_t large = large_count();
  const dynsup_figures f = run_driver(o, driver, "dynsup_start");
  std::printf(
      "RESULT system=otp workload=dynsup_start run=%u schedulers=%u children=%zu "
      "us_per_start=%.3f bytes_per_child=%.0f us_per_terminate=%.3f stop_10k_ms=%.1f "
      "stop_large_ms=%.1f\n",
      o.run, o.schedulers, large, f.us_per_start, f.bytes_per_child, f.us_per_terminate,
      f.stop_small_ms, f.stop_large_ms);
}

}  // namespace otp_bench

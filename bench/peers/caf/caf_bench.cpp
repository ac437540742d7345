// caf_bench: the workloads of bench/otp_bench written for CAF 0.17, the way
// a CAF programmer would write them: event-based actors (function-based,
// stateful where they keep state), request/then for calls, monitors and
// down handlers where OTP has a supervisor (CAF has none).
//
//   caf_bench WORKLOAD [--runs N] [--schedulers S]
//
// Prints one `RESULT system=caf workload=... key=value ...` line per run with
// the same workloads, sizes and keys as otp_bench. Each run uses a fresh
// actor_system with S scheduler threads (default 2). CAF has no crash or
// supervisor reports, so the *_reports workloads do not exist here.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

using namespace caf;

namespace {

using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;
using stop_atom = atom_constant<atom("stop")>;
using done_atom = atom_constant<atom("done")>;
using ready_atom = atom_constant<atom("ready")>;
using next_atom = atom_constant<atom("next")>;
using token_atom = atom_constant<atom("token")>;
using inc_atom = atom_constant<atom("inc")>;
using bump_atom = atom_constant<atom("bump")>;
using last_atom = atom_constant<atom("last")>;
using crash_atom = atom_constant<atom("crash")>;
using echo_atom = atom_constant<atom("echo")>;
using started_atom = atom_constant<atom("started")>;
using start_atom = atom_constant<atom("start")>;
using term_atom = atom_constant<atom("term")>;

using clock_type = std::chrono::steady_clock;

constexpr std::uint32_t kIdleProcs = 1'000'000;
constexpr std::int64_t kSkynetLeaves = 1'000'000;
constexpr std::uint32_t kRoundTrips = 1'000'000;
constexpr std::uint32_t kRingSize = 1'000;
constexpr std::int64_t kRingHops = 1'000'000;
constexpr std::uint32_t kSenders = 100;
constexpr std::uint32_t kSendsEach = 100'000;
constexpr std::uint64_t kCalls = 1'000'000;
constexpr std::uint32_t kClients = 100;
constexpr std::uint32_t kCallsEach = 10'000;
constexpr int kRounds = 10'000;
constexpr std::size_t kDynSmall = 10'000;
constexpr std::size_t kDynLarge = 100'000;
constexpr double kMiB = 1024.0 * 1024.0;

struct options {
  unsigned schedulers = 2;
  unsigned run = 1;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}
double ms_between(std::int64_t a, std::int64_t b) { return static_cast<double>(b - a) / 1e6; }

// A "Key:   1234 kB" line of /proc/self/status, in bytes (0 if missing).
std::size_t status_bytes(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':')
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  return 0;
}
double rss_bytes() { return static_cast<double>(status_bytes("VmRSS")); }
double peak_rss_mb() { return static_cast<double>(status_bytes("VmHWM")) / kMiB; }
void reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

[[noreturn]] void fail(const char* workload, const std::string& what) {
  std::fprintf(stderr, "caf_bench %s: %s\n", workload, what.c_str());
  std::exit(1);
}

/// The actor system of one run: S scheduler threads.
struct system_of_run {
  actor_system_config cfg;
  std::unique_ptr<actor_system> sys;
  explicit system_of_run(const options& o) {
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(o.schedulers));
    sys = std::make_unique<actor_system>(cfg);
    if (sys->scheduler().num_workers() != o.schedulers) fail("setup", "scheduler threads not set");
  }
};

void print_result(const char* workload, const options& o, const std::string& rest) {
  std::printf("RESULT system=caf workload=%s run=%u schedulers=%u %s\n", workload, o.run,
              o.schedulers, rest.c_str());
  std::fflush(stdout);
}

template <class... Ts>
std::string fmt(const char* f, Ts... xs) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, xs...);
  return buf;
}

// --- spawn_idle ----------------------------------------------------------------

struct idle_shared {
  actor main;
  std::atomic<std::uint32_t> ready{0};
  std::atomic<std::uint32_t> stopped{0};
};

behavior idle(event_based_actor* self, idle_shared* s) {
  if (s->ready.fetch_add(1, std::memory_order_relaxed) + 1 == kIdleProcs)
    self->send(s->main, ready_atom::value);
  return {[=](stop_atom) {
    if (s->stopped.fetch_add(1, std::memory_order_relaxed) + 1 == kIdleProcs)
      self->send(s->main, done_atom::value);
    self->quit();
  }};
}

void spawn_idle(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  idle_shared s;
  s.main = main;
  std::vector<actor> actors(kIdleProcs);  // touched now, not counted below
  const std::size_t base = r.sys->registry().running();
  const double rss0 = rss_bytes();
  const auto t0 = now_ns();
  for (auto& a : actors) a = r.sys->spawn(idle, &s);
  main->receive([](ready_atom) {});
  const auto t1 = now_ns();
  const double rss1 = rss_bytes();
  const auto t2 = now_ns();
  for (auto& a : actors) anon_send(a, stop_atom::value);
  main->receive([](done_atom) {});
  actors.clear();
  r.sys->registry().await_running_count_equal(base);
  const auto t3 = now_ns();
  print_result("spawn_idle", o,
               fmt("procs=%u spawn_us_per_proc=%.4f rss_bytes_per_proc=%.1f stop_ms=%.2f",
                   kIdleProcs, ms_between(t0, t1) * 1000.0 / kIdleProcs, (rss1 - rss0) / kIdleProcs,
                   ms_between(t2, t3)));
}

// --- skynet --------------------------------------------------------------------

struct skynet_state {
  std::int64_t sum = 0;
  int got = 0;
};

behavior skynet(stateful_actor<skynet_state>* self, actor parent, std::int64_t num,
                std::int64_t size) {
  if (size == 1) {
    self->send(parent, num);
    self->quit();
    return {};
  }
  const std::int64_t sub = size / 10;
  for (int i = 0; i < 10; ++i) self->spawn(skynet, actor_cast<actor>(self), num + i * sub, sub);
  return {[=](std::int64_t v) {
    self->state.sum += v;
    if (++self->state.got == 10) {
      self->send(parent, self->state.sum);
      self->quit();
    }
  }};
}

void skynet_run(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  reset_peak_rss();
  const auto t0 = now_ns();
  r.sys->spawn(skynet, actor{main}, std::int64_t{0}, kSkynetLeaves);
  std::int64_t sum = 0;
  main->receive([&](std::int64_t v) { sum = v; });
  const auto t1 = now_ns();
  if (sum != kSkynetLeaves * (kSkynetLeaves - 1) / 2) fail("skynet", "wrong sum");
  print_result("skynet", o,
               fmt("leaves=%lld total_ms=%.2f peak_rss_mb=%.1f",
                   static_cast<long long>(kSkynetLeaves), ms_between(t0, t1), peak_rss_mb()));
}

// --- ping_pong -----------------------------------------------------------------

behavior ponger(event_based_actor* self) {
  return {[](ping_atom) { return pong_atom::value; }, [=](stop_atom) { self->quit(); }};
}

struct count_state {
  std::uint64_t n = 0;
};

behavior pinger(stateful_actor<count_state>* self, actor peer, actor report) {
  self->send(peer, ping_atom::value);
  return {[=](pong_atom) {
    if (++self->state.n == kRoundTrips) {
      self->send(peer, stop_atom::value);
      self->send(report, done_atom::value);
      self->quit();
    } else {
      self->send(peer, ping_atom::value);
    }
  }};
}

void ping_pong(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const actor peer = r.sys->spawn(ponger);
  const auto t0 = now_ns();
  r.sys->spawn(pinger, peer, actor{main});
  main->receive([](done_atom) {});
  const auto t1 = now_ns();
  print_result("ping_pong", o,
               fmt("round_trips=%u ns_per_round_trip=%.1f", kRoundTrips,
                   static_cast<double>(t1 - t0) / kRoundTrips));
}

// --- ring ------------------------------------------------------------------------

behavior ring_member(event_based_actor* self, actor report) {
  return {[=](next_atom, const actor& next) {
    self->become(
        [=](token_atom, std::int64_t left) {
          if (left == 0)
            self->send(report, done_atom::value);
          else
            self->send(next, token_atom::value, left - 1);
        },
        [=](stop_atom) { self->quit(); });
  }};
}

void ring(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const std::size_t base = r.sys->registry().running();
  std::vector<actor> members;
  for (std::uint32_t i = 0; i < kRingSize; ++i)
    members.push_back(r.sys->spawn(ring_member, actor{main}));
  for (std::uint32_t i = 0; i < kRingSize; ++i)
    anon_send(members[i], next_atom::value, members[(i + 1) % kRingSize]);
  anon_send(members[0], token_atom::value, std::int64_t{kRingSize});  // one lap first
  main->receive([](done_atom) {});
  const auto t0 = now_ns();
  anon_send(members[0], token_atom::value, kRingHops);
  main->receive([](done_atom) {});
  const auto t1 = now_ns();
  for (const actor& m : members) anon_send(m, stop_atom::value);
  members.clear();
  r.sys->registry().await_running_count_equal(base);
  print_result("ring", o,
               fmt("procs=%u hops=%lld ns_per_hop=%.1f", kRingSize,
                   static_cast<long long>(kRingHops), static_cast<double>(t1 - t0) / kRingHops));
}

// --- fan_in_send -------------------------------------------------------------------

behavior counter(stateful_actor<count_state>* self, std::uint64_t expected, actor report) {
  return {[=](std::uint64_t) {
    if (++self->state.n == expected) {
      self->send(report, done_atom::value);
      self->quit();
    }
  }};
}

void sender(event_based_actor* self, actor to) {
  for (std::uint64_t i = 0; i < kSendsEach; ++i) self->send(to, i);
}

/// Resets the peak RSS, spawns kSenders actors running `send_all(sink)`,
/// and waits for `done` from the sink. @returns messages per second.
double fan_in(actor_system& sys, scoped_actor& main, const actor& sink,
              void (*send_all)(event_based_actor*, actor)) {
  reset_peak_rss();
  const auto t0 = now_ns();
  for (std::uint32_t i = 0; i < kSenders; ++i) sys.spawn(send_all, sink);
  main->receive([](done_atom) {});
  const auto t1 = now_ns();
  return static_cast<double>(std::uint64_t{kSenders} * kSendsEach) / (ms_between(t0, t1) / 1000.0);
}

void fan_in_send(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const actor sink = r.sys->spawn(counter, std::uint64_t{kSenders} * kSendsEach, actor{main});
  const double rate = fan_in(*r.sys, main, sink, sender);
  print_result("fan_in_send", o,
               fmt("senders=%u sends_each=%u msgs_per_s=%.0f peak_rss_mb=%.1f", kSenders,
                   kSendsEach, rate, peak_rss_mb()));
}

// --- the server of call_seq, call_conc and fan_in_cast ------------------------------

struct tally_state {
  std::uint64_t count = 0;
};

behavior tally(stateful_actor<tally_state>* self, std::uint64_t expected, actor report) {
  return {[=](inc_atom) { return ++self->state.count; },
          [=](bump_atom) {
            if (++self->state.count == expected) self->send(report, done_atom::value);
          },
          [=](stop_atom) { self->quit(); }};
}

/// An event-based client: `calls` sequential requests, each sent when the
/// previous one is answered; then {last, reply} to `report`.
struct caller_state {
  std::uint64_t left = 0;
};

void call_next(stateful_actor<caller_state>* self, const actor& server, const actor& report) {
  self->request(server, infinite, inc_atom::value).then([=](std::uint64_t n) {
    if (--self->state.left == 0) {
      self->send(report, last_atom::value, n);
      self->quit();
    } else {
      call_next(self, server, report);
    }
  });
}

behavior caller(stateful_actor<caller_state>* self, actor server, std::uint64_t calls,
                actor report) {
  self->state.left = calls;
  call_next(self, server, report);
  return {[=](stop_atom) { self->quit(); }};
}

void call_seq(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const actor server = r.sys->spawn(tally, std::uint64_t{0}, actor{main});
  const auto t0 = now_ns();
  r.sys->spawn(caller, server, kCalls, actor{main});
  std::uint64_t last = 0;
  main->receive([&](last_atom, std::uint64_t n) { last = n; });
  const auto t1 = now_ns();
  if (last != kCalls) fail("call_seq", "wrong count");
  anon_send(server, stop_atom::value);
  print_result("call_seq", o,
               fmt("calls=%llu ns_per_call=%.1f", static_cast<unsigned long long>(kCalls),
                   static_cast<double>(t1 - t0) / static_cast<double>(kCalls)));
}

void call_conc(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const actor server = r.sys->spawn(tally, std::uint64_t{0}, actor{main});
  const auto t0 = now_ns();
  for (std::uint32_t i = 0; i < kClients; ++i)
    r.sys->spawn(caller, server, std::uint64_t{kCallsEach}, actor{main});
  for (std::uint32_t i = 0; i < kClients; ++i) main->receive([](last_atom, std::uint64_t) {});
  const auto t1 = now_ns();
  constexpr std::uint64_t kTotal = std::uint64_t{kClients} * kCallsEach;
  std::uint64_t count = 0;
  main->request(server, infinite, inc_atom::value)
      .receive([&](std::uint64_t n) { count = n - 1; },
               [&](error&) { fail("call_conc", "final request failed"); });
  if (count != kTotal) fail("call_conc", "wrong count");
  anon_send(server, stop_atom::value);
  print_result("call_conc", o,
               fmt("clients=%u calls_each=%u calls_per_s=%.0f", kClients, kCallsEach,
                   static_cast<double>(kTotal) / (ms_between(t0, t1) / 1000.0)));
}

void caster(event_based_actor* self, actor server) {
  for (std::uint32_t i = 0; i < kSendsEach; ++i) self->send(server, bump_atom::value);
}

void fan_in_cast(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const actor server = r.sys->spawn(tally, std::uint64_t{kSenders} * kSendsEach, actor{main});
  const double rate = fan_in(*r.sys, main, server, caster);
  anon_send(server, stop_atom::value);
  print_result("fan_in_cast", o,
               fmt("senders=%u casts_each=%u msgs_per_s=%.0f peak_rss_mb=%.1f", kSenders,
                   kSendsEach, rate, peak_rss_mb()));
}

// --- sup_restart and call_crash: a monitoring actor restarts the child ---------------

/// The supervised server: tells the bench its handle and start time; throws
/// on crash, echoes echo.
behavior bench_child(event_based_actor* self, actor bench) {
  // Quietly, as the other systems run these workloads with reports off (the
  // default handler prints each exception to stderr).
  self->set_exception_handler(
      [](scheduled_actor*, std::exception_ptr&) -> error { return sec::runtime_error; });
  self->send(bench, started_atom::value, actor_cast<actor>(self), now_ns());
  return {[](crash_atom) -> int { throw std::runtime_error("bench crash"); },
          [](echo_atom, int v) { return v; }};
}

struct one_for_one_state {
  actor child;
};

/// CAF's stand-in for a one_for_one supervisor of one child: monitors it and
/// spawns a new one when it goes down.
behavior one_for_one(stateful_actor<one_for_one_state>* self, actor bench) {
  self->state.child = self->spawn<monitored>(bench_child, bench);
  self->set_down_handler([=](down_msg& dm) {
    if (dm.source == self->state.child.address())
      self->state.child = self->spawn<monitored>(bench_child, bench);
  });
  return {[=](stop_atom) {
    self->send_exit(self->state.child, exit_reason::user_shutdown);
    self->quit();
  }};
}

struct started {
  actor child;
  std::int64_t t = 0;
};

started await_started(scoped_actor& main) {
  started s;
  main->receive([&](started_atom, const actor& c, std::int64_t t) {
    s.child = c;
    s.t = t;
  });
  return s;
}

void sup_restart(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const actor sup = r.sys->spawn(one_for_one, actor{main});
  actor child = await_started(main).child;
  std::vector<double> us;
  us.reserve(kRounds);
  for (int i = 0; i < kRounds; ++i) {
    const auto t0 = now_ns();
    anon_send_exit(child, exit_reason::kill);
    const started s = await_started(main);
    if (s.child == child) fail("sup_restart", "same actor after restart");
    us.push_back(static_cast<double>(s.t - t0) / 1000.0);
    child = s.child;
  }
  anon_send(sup, stop_atom::value);
  std::sort(us.begin(), us.end());
  double mean = 0;
  for (double v : us) mean += v;
  mean /= static_cast<double>(us.size());
  print_result("sup_restart", o,
               fmt("restarts=%d mean_us=%.2f p50_us=%.2f p99_us=%.2f", kRounds, mean,
                   us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]));
}

void call_crash(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  const actor sup = r.sys->spawn(one_for_one, actor{main});
  actor child = await_started(main).child;
  int caught = 0;
  const auto t0 = now_ns();
  for (int i = 0; i < kRounds; ++i) {
    main->request(child, infinite, crash_atom::value)
        .receive([](int) {}, [&](error&) { ++caught; });
    child = await_started(main).child;
    int echoed = -1;
    main->request(child, infinite, echo_atom::value, i)
        .receive([&](int v) { echoed = v; }, [](error&) {});
    if (echoed != i) fail("call_crash", "bad echo");
  }
  const auto t1 = now_ns();
  if (caught != kRounds) fail("call_crash", "a crashing request did not fail");
  anon_send(sup, stop_atom::value);
  print_result("call_crash", o,
               fmt("crashes=%d us_per_crash=%.2f", kRounds,
                   static_cast<double>(t1 - t0) / 1000.0 / kRounds));
}

// --- dynsup_start: a monitoring actor that starts and stops children on request -------

behavior idle_child(event_based_actor*) {
  return {[](int v) { return v; }};
}

struct dynamic_state {
  std::unordered_map<actor_addr, actor> children;
  std::unordered_map<actor_addr, response_promise> terminating;
  response_promise stopping;
  bool stop_requested = false;
};

/// CAF's stand-in for a dynamic supervisor: start spawns a monitored child
/// and answers its handle; {term, child} stops it and answers once it is
/// down; stop stops every child and answers once all are down, then quits.
behavior dynamic_sup(stateful_actor<dynamic_state>* self) {
  self->set_down_handler([=](down_msg& dm) {
    auto& st = self->state;
    st.children.erase(dm.source);
    if (auto it = st.terminating.find(dm.source); it != st.terminating.end()) {
      it->second.deliver(done_atom::value);
      st.terminating.erase(it);
    }
    if (st.stop_requested && st.children.empty()) {
      st.stopping.deliver(done_atom::value);
      self->quit();
    }
  });
  return {
      [=](start_atom) {
        actor c = self->spawn<monitored>(idle_child);
        self->state.children.emplace(c.address(), c);
        return c;
      },
      [=](term_atom, const actor& c) {
        response_promise rp = self->make_response_promise();
        self->state.terminating.emplace(c.address(), rp);
        self->send_exit(c, exit_reason::user_shutdown);
        return rp;
      },
      [=](stop_atom) {
        auto& st = self->state;
        st.stopping = self->make_response_promise();
        st.stop_requested = true;
        if (st.children.empty()) {
          st.stopping.deliver(done_atom::value);
          self->quit();
        }
        for (auto& [addr, c] : st.children) self->send_exit(c, exit_reason::user_shutdown);
        return st.stopping;
      },
  };
}

struct dynsup_figures {
  double us_per_start = 0, bytes_per_child = 0, us_per_terminate = 0, stop_small_ms = 0,
         stop_large_ms = 0;
};

/// The event-based driver: each step is one request, sent when the previous
/// is answered, as otp_bench's driver process does with co_await.
struct driver_state {
  dynsup_figures f;
  actor sup;
  std::vector<actor> children;
  std::size_t i = 0;
  std::int64_t t0 = 0;
  double rss0 = 0;
};
using driver_actor = stateful_actor<driver_state>;

void start_n(driver_actor* self, std::size_t n, bool keep, std::function<void()> then) {
  if (self->state.i == n) {
    self->state.i = 0;
    then();
    return;
  }
  self->request(self->state.sup, infinite, start_atom::value).then([=](const actor& c) {
    if (keep) self->state.children.push_back(c);
    ++self->state.i;
    start_n(self, n, keep, then);
  });
}

void terminate_all(driver_actor* self, std::function<void()> then) {
  if (self->state.i == self->state.children.size()) {
    self->state.i = 0;
    self->state.children.clear();
    then();
    return;
  }
  self->request(self->state.sup, infinite, term_atom::value, self->state.children[self->state.i])
      .then([=](done_atom) {
        ++self->state.i;
        terminate_all(self, then);
      });
}

void stop_sup(driver_actor* self, std::function<void(double)> then) {
  const auto t0 = now_ns();
  self->request(self->state.sup, infinite, stop_atom::value).then([=](done_atom) {
    then(ms_between(t0, now_ns()));
  });
}

void new_sup(driver_actor* self) { self->state.sup = self->spawn(dynamic_sup); }

behavior driver(driver_actor* self, actor report) {
  auto& st = self->state;
  st.children.reserve(kDynLarge);
  new_sup(self);
  st.rss0 = rss_bytes();
  st.t0 = now_ns();
  start_n(self, kDynLarge, true, [=] {
    auto& s = self->state;
    s.f.us_per_start = static_cast<double>(now_ns() - s.t0) / 1000.0 / kDynLarge;
    s.f.bytes_per_child = (rss_bytes() - s.rss0) / kDynLarge;
    s.t0 = now_ns();
    terminate_all(self, [=] {
      auto& s2 = self->state;
      s2.f.us_per_terminate = static_cast<double>(now_ns() - s2.t0) / 1000.0 / kDynLarge;
      stop_sup(self, [=](double) {
        new_sup(self);
        start_n(self, kDynSmall, false, [=] {
          stop_sup(self, [=](double small_ms) {
            self->state.f.stop_small_ms = small_ms;
            new_sup(self);
            start_n(self, kDynLarge, false, [=] {
              stop_sup(self, [=](double large_ms) {
                self->state.f.stop_large_ms = large_ms;
                const dynsup_figures& f = self->state.f;
                self->send(report, done_atom::value, f.us_per_start, f.bytes_per_child,
                           f.us_per_terminate, f.stop_small_ms, f.stop_large_ms);
                self->quit();
              });
            });
          });
        });
      });
    });
  });
  return {[=](stop_atom) { self->quit(); }};
}

void dynsup_start(const options& o) {
  system_of_run r(o);
  scoped_actor main{*r.sys};
  r.sys->spawn(driver, actor{main});
  dynsup_figures f;
  main->receive([&](done_atom, double a, double b, double c, double d, double e) {
    f = {a, b, c, d, e};
  });
  print_result("dynsup_start", o,
               fmt("children=%zu us_per_start=%.3f bytes_per_child=%.0f us_per_terminate=%.3f "
                   "stop_10k_ms=%.1f stop_large_ms=%.1f",
                   kDynLarge, f.us_per_start, f.bytes_per_child, f.us_per_terminate,
                   f.stop_small_ms, f.stop_large_ms));
}

struct workload {
  const char* name;
  void (*run)(const options&);
};

constexpr workload kWorkloads[] = {
    {"spawn_idle", spawn_idle},     {"skynet", skynet_run},
    {"ping_pong", ping_pong},       {"ring", ring},
    {"fan_in_send", fan_in_send},   {"call_seq", call_seq},
    {"call_conc", call_conc},       {"fan_in_cast", fan_in_cast},
    {"sup_restart", sup_restart},   {"call_crash", call_crash},
    {"dynsup_start", dynsup_start},
};

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s WORKLOAD [--runs N] [--schedulers S]\nworkloads:", argv0);
  for (const auto& w : kWorkloads) std::fprintf(stderr, " %s", w.name);
  std::fprintf(stderr, "\n");
  std::exit(2);
}

unsigned parse_count(const char* argv0, const char* s) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(s, &end, 10);
  if (end == s || *end != '\0' || v == 0 || v > 1000) usage(argv0);
  return static_cast<unsigned>(v);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage(argv[0]);
  const std::string_view what = argv[1];
  unsigned runs = 1;
  options o;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--runs" && i + 1 < argc)
      runs = parse_count(argv[0], argv[++i]);
    else if (a == "--schedulers" && i + 1 < argc)
      o.schedulers = parse_count(argv[0], argv[++i]);
    else
      usage(argv[0]);
  }
  for (const auto& w : kWorkloads) {
    if (what != w.name) continue;
    for (unsigned r = 1; r <= runs; ++r) {
      o.run = r;
      w.run(o);
    }
    return 0;
  }
  usage(argv[0]);
}

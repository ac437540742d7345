// Runtime workloads: spawn_idle, skynet, ping_pong, ring, fan_in_send.
//
// Each function makes a fresh node, runs the workload once, checks its result
// and prints one RESULT line. Wall times are taken by main(), which waits for
// the final message in an otp::mailbox (so they include one wake-up of the
// main thread: tens of µs against runs of 50 ms and more).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

// Messages.
struct stop {};
struct done {};
struct all_ready {};
struct all_stopped {};
struct ping {
  otp::pid from;
};
struct pong {};
struct token {
  std::int64_t left;  // hops still to go
};

constexpr double kMiB = 1024.0 * 1024.0;

// Waits until only the main thread's mailbox is left.
void wait_until_only_main(otp::node& node) {
  while (node.process_count() > 1) std::this_thread::yield();
}

// ---------------------------------------------------------------------------
// spawn_idle
// ---------------------------------------------------------------------------

constexpr std::uint32_t kIdleProcs = 1'000'000;
// The spawner yields after this many spawns (or stop messages), so the
// children run on the spawner's own worker while they are hot in cache and
// the local run queue (256 entries) does not overflow to the global one.
constexpr std::uint32_t kSpawnBatch = 128;

struct idle_state {
  otp::pid main;
  std::vector<otp::pid> pids;
  std::atomic<std::uint32_t> ready{0};
  std::atomic<std::uint32_t> stopped{0};
};

otp::proc idle(idle_state* s) {
  if (s->ready.fetch_add(1, std::memory_order_relaxed) + 1 == kIdleProcs)
    otp::send(s->main, all_ready{});
  co_await otp::receive([](stop) {});
  if (s->stopped.fetch_add(1, std::memory_order_relaxed) + 1 == kIdleProcs)
    otp::send(s->main, all_stopped{});
}

otp::proc idle_spawner(idle_state* s) {
  for (std::uint32_t i = 0; i < kIdleProcs; ++i) {
    s->pids[i] = otp::spawn(idle, s);
    if (i % kSpawnBatch == kSpawnBatch - 1) co_await otp::yield();
  }
  co_await otp::receive([](stop) {});
  for (std::uint32_t i = 0; i < kIdleProcs; ++i) {
    otp::send(s->pids[i], stop{});
    if (i % kSpawnBatch == kSpawnBatch - 1) co_await otp::yield();
  }
}

// ---------------------------------------------------------------------------
// skynet
// ---------------------------------------------------------------------------

constexpr std::int64_t kSkynetLeaves = 1'000'000;
constexpr int kSkynetFanout = 10;

otp::proc skynet_node(otp::pid parent, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    otp::send(parent, num);
    co_return;
  }
  const otp::pid me = otp::self();
  const std::int64_t sub = size / kSkynetFanout;
  for (int i = 0; i < kSkynetFanout; ++i) otp::spawn(skynet_node, me, num + i * sub, sub);
  std::int64_t sum = 0;
  for (int i = 0; i < kSkynetFanout; ++i)
    sum += co_await otp::receive([](std::int64_t v) { return v; });
  otp::send(parent, sum);
}

// ---------------------------------------------------------------------------
// ping_pong
// ---------------------------------------------------------------------------

constexpr std::uint32_t kRoundTrips = 1'000'000;

otp::proc ponger() {
  for (bool more = true; more;) {
    more = co_await otp::receive(
        [](const ping& p) {
          otp::send(p.from, pong{});
          return true;
        },
        [](stop) { return false; });
  }
}

otp::proc pinger(otp::pid peer, otp::pid report) {
  const otp::pid me = otp::self();
  for (std::uint32_t i = 0; i < kRoundTrips; ++i) {
    otp::send(peer, ping{me});
    co_await otp::receive([](pong) {});
  }
  otp::send(peer, stop{});
  otp::send(report, done{});
}

// ---------------------------------------------------------------------------
// ring
// ---------------------------------------------------------------------------

constexpr std::uint32_t kRingSize = 1'000;
constexpr std::int64_t kRingHops = 1'000'000;

otp::proc ring_member(otp::pid report) {
  const otp::pid next = co_await otp::receive([](otp::pid p) { return p; });
  for (bool more = true; more;) {
    more = co_await otp::receive(
        [&](token t) {
          if (t.left == 0)
            otp::send(report, done{});
          else
            otp::send(next, token{t.left - 1});
          return true;
        },
        [](stop) { return false; });
  }
}

// ---------------------------------------------------------------------------
// fan_in_send
// ---------------------------------------------------------------------------

constexpr std::uint32_t kSenders = 100;
constexpr std::uint32_t kSendsEach = 100'000;

otp::proc counter(std::uint64_t expected, otp::pid report) {
  std::uint64_t got = 0;
  while (got < expected) co_await otp::receive([&](std::uint64_t) { ++got; });
  otp::send(report, done{});
}

otp::proc sender(otp::pid to) {
  for (std::uint32_t i = 0; i < kSendsEach; ++i) otp::send(to, std::uint64_t{i});
  co_return;
}

}  // namespace

void spawn_idle(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  idle_state s;
  s.main = me.self();
  s.pids.assign(kIdleProcs, otp::pid());  // touched now, not counted below
  const std::size_t rss0 = rss_bytes();

  const auto t0 = clock::now();
  const otp::pid spawner = node.spawn(idle_spawner, &s);
  me.receive<all_ready>();
  const auto t1 = clock::now();
  const std::size_t rss1 = rss_bytes();
  if (node.process_count() != kIdleProcs + 2) fail("spawn_idle", "wrong process count");

  const auto t2 = clock::now();
  node.send(spawner, stop{});
  me.receive<all_stopped>();
  wait_until_only_main(node);
  const auto t3 = clock::now();

  std::printf(
      "RESULT system=otp workload=spawn_idle run=%u schedulers=%u procs=%u spawn_us_per_proc=%.4f "
      "rss_bytes_per_proc=%.1f stop_ms=%.2f\n",
      o.run, o.schedulers, kIdleProcs, ms_since(t0, t1) * 1000.0 / kIdleProcs,
      (static_cast<double>(rss1) - static_cast<double>(rss0)) / kIdleProcs, ms_since(t2, t3));
}

void skynet(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  reset_peak_rss();

  const auto t0 = clock::now();
  node.spawn(skynet_node, me.self(), std::int64_t{0}, kSkynetLeaves);
  const std::int64_t sum = me.receive<std::int64_t>();
  const auto t1 = clock::now();
  if (sum != kSkynetLeaves * (kSkynetLeaves - 1) / 2) fail("skynet", "wrong sum");

  std::printf(
      "RESULT system=otp workload=skynet run=%u schedulers=%u leaves=%lld total_ms=%.2f "
      "peak_rss_mb=%.1f\n",
      o.run, o.schedulers, static_cast<long long>(kSkynetLeaves), ms_since(t0, t1),
      static_cast<double>(peak_rss_bytes()) / kMiB);
}

void ping_pong(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  const otp::pid peer = node.spawn(ponger);

  const auto t0 = clock::now();
  node.spawn(pinger, peer, me.self());
  me.receive<done>();
  const auto t1 = clock::now();

  std::printf(
      "RESULT system=otp workload=ping_pong run=%u schedulers=%u round_trips=%u "
      "ns_per_round_trip=%.1f\n",
      o.run, o.schedulers, kRoundTrips, ns_since(t0, t1) / kRoundTrips);
}

void ring(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  std::vector<otp::pid> members;
  for (std::uint32_t i = 0; i < kRingSize; ++i)
    members.push_back(node.spawn(ring_member, me.self()));
  for (std::uint32_t i = 0; i < kRingSize; ++i) node.send(members[i], members[(i + 1) % kRingSize]);
  // One lap first: every member has its neighbour and waits in receive.
  node.send(members[0], token{kRingSize});
  me.receive<done>();

  const auto t0 = clock::now();
  node.send(members[0], token{kRingHops});
  me.receive<done>();
  const auto t1 = clock::now();

  for (otp::pid p : members) node.send(p, stop{});
  wait_until_only_main(node);
  std::printf(
      "RESULT system=otp workload=ring run=%u schedulers=%u procs=%u hops=%lld ns_per_hop=%.1f\n",
      o.run, o.schedulers, kRingSize, static_cast<long long>(kRingHops),
      ns_since(t0, t1) / static_cast<double>(kRingHops));
}

void fan_in_send(const options& o) {
  otp::node node(node_opts(o));
  otp::mailbox me(node);
  constexpr std::uint64_t kTotal = std::uint64_t{kSenders} * kSendsEach;
  const otp::pid sink = node.spawn(counter, kTotal, me.self());
  reset_peak_rss();

  const auto t0 = clock::now();
  for (std::uint32_t i = 0; i < kSenders; ++i) node.spawn(sender, sink);
  me.receive<done>();
  const auto t1 = clock::now();

  std::printf(
      "RESULT system=otp workload=fan_in_send run=%u schedulers=%u senders=%u sends_each=%u "
      "msgs_per_s=%.0f peak_rss_mb=%.1f\n",
      o.run, o.schedulers, kSenders, kSendsEach,
      static_cast<double>(kTotal) / (ms_since(t0, t1) / 1000.0),
      static_cast<double>(peak_rss_bytes()) / kMiB);
}

}  // namespace otp_bench

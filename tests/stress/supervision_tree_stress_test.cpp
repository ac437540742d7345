// Randomized stress of a three-level supervision tree on a threaded node: a
// killer process kills random workers and middle supervisors (found through
// which_children) thousands of times, then the tree must be whole again.
//
// Invariants checked: every supervisor has its full set of running children,
// every listed pid is alive, the process count returns to the tree's size (no
// leaked processes), and each of the killer's monitors fired exactly once.
// Set OTP_STRESS_SEED to replay the random choices of a failing run. No
// sleeps: the killer waits on DOWNs, every wait is bounded by an otp::after.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/stress_seed.hpp"

namespace {

using namespace std::chrono_literals;

using otp_test::kWait;
using otp_test::pick_seed;

#if OTP_SANITIZED
constexpr int kKills = 3'000;
#else
constexpr int kKills = 20'000;
#endif

/// A worker that only waits to be killed.
struct idle_worker {
  explicit idle_worker(int) {}
};

/// What the killer reports when it is done.
struct killer_done {
  int kills = 0;
  int supervisor_kills = 0;
  int monitors = 0;   ///< monitors set up
  int downs = 0;      ///< DOWNs received for them (each waited for by its ref)
  int stray = 0;      ///< DOWNs left over afterwards (must be none)
  int timeouts = 0;   ///< waits that ran into kWait
  int null_pids = 0;  ///< listed children without a pid (none expected)
};

// Waits for the DOWN of monitor `m`; false after kWait.
otp::task<bool> await_down(otp::ref m) {
  co_return co_await otp::receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                            [](const otp::down_msg&) { return true; }),
                                  otp::after(kWait, [] { return false; }));
}

// Kills a random worker (7 in 8) or middle supervisor (1 in 8), `kills`
// times. Before killing a supervisor it monitors that supervisor's workers
// too, which die with it, so every kill is finished before the next one.
otp::proc killer(otp::supervisor::ref root, int kills, std::uint32_t seed, otp::pid report) {
  std::mt19937 rng(seed);
  killer_done r;
  for (int i = 0; i < kills; ++i) {
    const std::vector<otp::child_info> mids = co_await otp::supervisor::which_children(root);
    const otp::child_info& mid = mids[rng() % mids.size()];
    if (mid.child.is_null()) {
      ++r.null_pids;
      continue;
    }
    const otp::supervisor::ref mid_ref(mid.child);
    const std::vector<otp::child_info> workers = co_await otp::supervisor::which_children(mid_ref);
    std::vector<otp::ref> mons;
    otp::pid victim;
    if (rng() % 8 == 0) {
      victim = mid.child;
      ++r.supervisor_kills;
      for (const otp::child_info& w : workers) mons.push_back(otp::monitor(w.child));
    } else {
      victim = workers[rng() % workers.size()].child;
    }
    if (victim.is_null()) {
      ++r.null_pids;
      continue;
    }
    mons.push_back(otp::monitor(victim));
    otp::exit(victim, otp::exit_reason::kill());
    ++r.kills;
    for (const otp::ref m : mons) {
      ++r.monitors;
      if (co_await await_down(m))
        ++r.downs;
      else
        ++r.timeouts;
    }
  }
  // A round trip through every supervisor, then no DOWN may be left.
  const std::vector<otp::child_info> mids = co_await otp::supervisor::which_children(root);
  for (const otp::child_info& mid : mids) {
    const otp::supervisor::ref mid_ref(mid.child);
    (void)co_await otp::supervisor::count_children(mid_ref);
  }
  while (co_await otp::receive([](const otp::down_msg&) { return true; },
                               otp::after(0, [] { return false; })))
    ++r.stray;
  otp::send(report, r);
}

struct middle {
  const char* id;
  otp::restart_strategy strategy;
  int workers;
};
constexpr middle kMiddles[] = {
    {"one_for_one", otp::one_for_one, 4},
    {"one_for_all", otp::one_for_all, 5},
    {"rest_for_one", otp::rest_for_one, 6},
};

std::vector<otp::child_spec> tree() {
  std::vector<otp::child_spec> mids;
  for (const middle& m : kMiddles) {
    std::vector<otp::child_spec> ws;
    for (int w = 0; w < m.workers; ++w)
      ws.push_back(otp::worker<idle_worker>(std::string(m.id) + "." + std::to_string(w), w));
    mids.push_back(otp::supervisor_child(
        m.id, {.strategy = m.strategy, .intensity = 1'000'000, .period = 1000ms}, std::move(ws)));
  }
  return mids;
}

// Rule: whatever is killed and however often, a supervision tree with room
// in its intensities comes back whole: full child lists of live pids, no
// leaked process, one DOWN per monitor.
TEST(SupervisionTreeStress, RandomKillsLeaveTheTreeWhole) {
  const std::uint32_t seed = pick_seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with OTP_STRESS_SEED)");
  otp::node_options opts;
  opts.schedulers = 2;
  opts.on_report = [](const otp::report&) {};  // reports built, not printed
  otp::node n(opts);
  otp::mailbox mb(n);
  otp::trap_exit(true);

  auto root = otp::supervisor::start_link({.intensity = 1'000'000, .period = 1000ms}, tree()).get();
  ASSERT_TRUE(root.is_ok()) << root.to_string();
  std::size_t tree_size = 1 + std::size(kMiddles);
  for (const middle& m : kMiddles) tree_size += static_cast<std::size_t>(m.workers);
  ASSERT_EQ(n.process_count(), 1 + tree_size);  // + this thread's mailbox

  otp::spawned k = n.spawn_opt({.monitor = true}, killer, root.ref(), kKills, seed, mb.self());
  auto done = mb.receive<killer_done>(kWait);
  ASSERT_TRUE(done.has_value()) << "the killer did not finish";
  auto killer_down = mb.receive(
      otp::when([m = k.monitor](const otp::down_msg& d) { return d.monitor == m; },
                [](const otp::down_msg& d) { return std::optional<otp::exit_reason>(d.reason); }),
      otp::after(kWait, [] { return std::optional<otp::exit_reason>(); }));
  ASSERT_TRUE(killer_down.has_value());
  EXPECT_TRUE(killer_down->is_normal()) << *killer_down;

  EXPECT_EQ(done->kills, kKills);
  EXPECT_GT(done->supervisor_kills, 0);
  EXPECT_EQ(done->null_pids, 0);
  EXPECT_EQ(done->timeouts, 0);
  EXPECT_EQ(done->downs, done->monitors);
  EXPECT_EQ(done->stray, 0);

  // The tree is whole again.
  const auto root_counts = otp::supervisor::count_children(root.ref()).get();
  EXPECT_EQ(root_counts.specs, std::size(kMiddles));
  EXPECT_EQ(root_counts.active, std::size(kMiddles));
  EXPECT_EQ(root_counts.supervisors, std::size(kMiddles));
  for (const otp::child_info& mid : otp::supervisor::which_children(root.ref()).get()) {
    ASSERT_TRUE(n.is_alive(mid.child)) << mid.id;
    const otp::supervisor::ref mid_ref(mid.child);
    const auto c = otp::supervisor::count_children(mid_ref).get();
    std::size_t want = 0;
    for (const middle& m : kMiddles)
      if (mid.id == m.id) want = static_cast<std::size_t>(m.workers);
    EXPECT_EQ(c.specs, want) << mid.id;
    EXPECT_EQ(c.active, want) << mid.id;
    EXPECT_EQ(c.workers, want) << mid.id;
    for (const otp::child_info& w : otp::supervisor::which_children(mid_ref).get())
      EXPECT_TRUE(n.is_alive(w.child)) << mid.id << "/" << w.id;
  }
  EXPECT_EQ(n.process_count(), 1 + tree_size);  // nothing leaked

  otp::gen_server::stop(root.ref(), otp::exit_reason::shutdown()).get();
  EXPECT_EQ(n.process_count(), 1u);
}

}  // namespace

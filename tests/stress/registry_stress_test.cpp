// Randomized stress tests of otp::registry on a threaded node: processes on two
// schedulers register, unregister, update, read and die at once, while
// (second test) the registry itself is stopped and started again. Afterwards
// the registries must be empty, and every check made along the way must have
// held.
//
// Every test prints its seed on failure; set OTP_STRESS_SEED to replay one.
// No sleeps: the test waits on DOWNs and messages, each wait bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/stress_seed.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;
using otp::registry_keys;
using int_registry = otp::registry<int, int>;

using otp_test::kWait;
constexpr int kKeys = 24;

#if OTP_SANITIZED
constexpr int kWorkers = 60;
constexpr int kOps = 300;
#else
constexpr int kWorkers = 200;
constexpr int kOps = 1500;
#endif

/// What the workers found wrong: a count, and the first finding.
class findings {
 public:
  void add(std::string what) {
    std::lock_guard lk(mu_);
    if (count_++ == 0) first_ = std::move(what);
  }
  long count() const {
    std::lock_guard lk(mu_);
    return count_;
  }
  std::string first() const {
    std::lock_guard lk(mu_);
    return first_;
  }

 private:
  mutable std::mutex mu_;
  long count_ = 0;
  std::string first_;
};

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// Ends the calling process in one of three ways.
[[noreturn]] void die(std::mt19937& rng) {
  switch (rng() % 3) {
    case 0:
      throw std::runtime_error("worker crash");
    case 1:
      otp::exit(exit_reason::other("worker_exit"));
    default:
      otp::exit(exit_reason::normal());
  }
}

// =============================================================================
// 1. Churn on running registries, checked from inside the workers
// =============================================================================

/// Random operations on a unique (`u`) and a duplicate (`d`) registry, each
/// checked against the worker's own record of its entries.
otp::proc churn_worker(int_registry u, int_registry d, findings* found, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const otp::pid me = otp::self();
  std::map<int, int> held;  // unique keys held -> value
  std::vector<int> subs;    // keys of my duplicate entries, one per entry
  for (int op = 0; op < kOps; ++op) {
    const int k = static_cast<int>(rng() % kKeys);
    switch (rng() % 10) {
      case 0:
      case 1: {
        const int v = static_cast<int>(rng() % 1000);
        otp::register_result r = u.register_key(k, v);
        if (r.is_ok()) {
          if (held.count(k) != 0) found->add("took a unique key it already held");
          held[k] = v;
          if (u.lookup(k) != std::vector<int_registry::entry>{{me, v}})
            found->add("lookup right after register_key does not give the caller's entry");
        } else if ((r.holder() == me) != (held.count(k) != 0) || r.holder().is_null()) {
          found->add("already_registered names the wrong holder: " + r.to_string());
        }
        break;
      }
      case 2:
        u.unregister(k);
        held.erase(k);
        if (!u.values(k, me).empty()) found->add("an entry survived unregister");
        break;
      case 3: {
        auto r = u.update_value(k, [](int v) { return v + 1; });
        auto it = held.find(k);
        if (it == held.end()) {
          if (r) found->add("update_value changed a key the caller does not hold");
        } else if (!r || r->second != it->second || r->first != it->second + 1) {
          found->add("update_value did not return {new, old}");
        } else {
          it->second = r->first;
        }
        break;
      }
      case 4:
      case 5:
        if (!d.register_key(k, k).is_ok()) found->add("a duplicate registration was refused");
        subs.push_back(k);
        break;
      case 6:
        d.unregister(k);
        subs.erase(std::remove(subs.begin(), subs.end(), k), subs.end());
        break;
      case 7: {
        std::size_t mine = 0;
        d.dispatch(k, [&](const std::vector<int_registry::entry>& es) {
          for (const auto& e : es) mine += e.first == me ? 1 : 0;
        });
        if (mine != static_cast<std::size_t>(std::count(subs.begin(), subs.end(), k)))
          found->add("dispatch does not see exactly the caller's duplicate entries");
        if (u.lookup(k).size() > 1) found->add("a unique key has two live holders");
        break;
      }
      case 8: {
        std::vector<int> mine_u;
        for (const auto& [key, v] : held) mine_u.push_back(key);
        if (sorted(u.keys(me)) != mine_u) found->add("keys(self) differs (unique)");
        if (sorted(d.keys(me)) != sorted(subs)) found->add("keys(self) differs (duplicate)");
        break;
      }
      default:
        if (rng() % 8 == 0) co_await otp::yield();
        if (rng() % 64 == 0) co_await u.sync();
        if (rng() % 200 == 0) die(rng);
        break;
    }
  }
}

// Rule: whatever mix of registrations, unregistrations, updates, crashes and
// kills runs concurrently, each process sees exactly its own entries, a
// unique key has at most one live holder, and once every process is dead
// (and sync() returned) both registries are empty.
TEST(RegistryStress, RandomChurnAndDeathsLeaveTheRegistriesConsistentAndEmpty) {
  const std::uint32_t seed = otp_test::pick_seed();
  SCOPED_TRACE(otp_test::seed_note(seed));
  std::mt19937 rng(seed);
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  int_registry u(n, {.keys = registry_keys::unique, .partitions = 4});
  int_registry d(n, {.keys = registry_keys::duplicate, .partitions = 3});
  ASSERT_TRUE(u.start_link().is_ok());
  ASSERT_TRUE(d.start_link().is_ok());
  findings found;
  std::vector<otp::pid> ps;
  for (int i = 0; i < kWorkers; ++i) {
    ps.push_back(otp::spawn_monitor(churn_worker, u, d, &found, rng()).first);
    if (rng() % 10 == 0) otp::exit(ps[rng() % ps.size()], exit_reason::kill());
  }
  for (int i = 0; i < kWorkers; ++i) ASSERT_TRUE(mb.receive<otp::down_msg>(kWait).has_value());
  u.sync().get();
  d.sync().get();
  EXPECT_EQ(found.count(), 0) << found.first();
  EXPECT_EQ(u.count(), 0u);
  EXPECT_EQ(d.count(), 0u);
  for (otp::pid p : ps) {
    ASSERT_TRUE(u.keys(p).empty());
    ASSERT_TRUE(d.keys(p).empty());
  }
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(u.lookup(k).empty());
    ASSERT_TRUE(d.lookup(k).empty());
  }
  EXPECT_TRUE(u.start_link().is_already_started());  // the registries lived through it
  EXPECT_TRUE(d.start_link().is_already_started());
}

// =============================================================================
// 2. Stopping and restarting the registry under load
// =============================================================================

#if OTP_SANITIZED
constexpr int kRestarts = 4;
#else
constexpr int kRestarts = 12;
#endif

/// Registers and unregisters at random while the registry comes and goes;
/// reports progress to `report` every 50 operations. Half the workers trap
/// exits and survive the registry's stops; the others die with it.
otp::proc restart_worker(int_registry u, otp::pid report, std::uint32_t seed) {
  std::mt19937 rng(seed);
  otp::trap_exit(rng() % 2 == 0);
  for (int op = 0; op < kOps; ++op) {
    const int k = static_cast<int>(rng() % kKeys);
    try {
      switch (rng() % 4) {
        case 0:
        case 1:
          (void)u.register_key(k, op);
          break;
        case 2:
          u.unregister(k);
          break;
        default:
          co_await otp::yield();
          break;
      }
    } catch (const otp::badarg&) {
      // the registry is stopped right now
    }
    if (op % 50 == 0) otp::send(report, op);
    if (rng() % 500 == 0) die(rng);
  }
}

// Rule: entries made while the registry stops and restarts never outlive the
// restart that followed them or the process that made them; the registry
// ends empty once every registering process is dead.
TEST(RegistryStress, StopsAndRestartsUnderLoadLeaveNoStaleEntry) {
  const std::uint32_t seed = otp_test::pick_seed();
  SCOPED_TRACE(otp_test::seed_note(seed));
  std::mt19937 rng(seed);
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  otp::trap_exit(true);  // the registry's stops reach us as messages
  int_registry u(n, {.keys = registry_keys::unique, .partitions = 3});
  otp::start_result started = u.start_link();
  ASSERT_TRUE(started.is_ok());
  std::vector<otp::pid> ps;
  for (int i = 0; i < kWorkers; ++i)
    ps.push_back(otp::spawn_monitor(restart_worker, u, mb.self(), rng()).first);
  for (int r = 0; r < kRestarts; ++r) {
    for (int i = 0; i < kWorkers / 8; ++i)  // let the workers make progress
      if (!mb.receive<int>(kWait).has_value()) break;
    otp::ref m = otp::monitor(started.child);
    otp::exit(started.child, r % 2 == 0 ? exit_reason::shutdown() : exit_reason::kill());
    auto down = mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                     [](const otp::down_msg&) { return true; }),
                           otp::after(kWait, [] { return false; }));
    ASSERT_TRUE(down);
    started = u.start_link();
    ASSERT_TRUE(started.is_ok()) << started.to_string();
  }
  // Wait for the DOWNs of the monitors made at spawn: a monitor made now of a
  // process that is exiting could give DOWN noproc before the process has
  // told its links, i.e. the partition owners.
  for (otp::pid p : ps) otp::exit(p, exit_reason::kill());
  for (int i = 0; i < kWorkers; ++i) ASSERT_TRUE(mb.receive<otp::down_msg>(kWait).has_value());
  u.sync().get();
  EXPECT_EQ(u.count(), 0u);
  for (otp::pid p : ps) ASSERT_TRUE(u.keys(p).empty());
  for (int k = 0; k < kKeys; ++k) ASSERT_TRUE(u.lookup(k).empty());
}

}  // namespace

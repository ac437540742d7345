// Tables under concurrent writers and walkers: random inserts, erases,
// counters and takes from several threads on each table type while others
// walk with first/next and select. Checks that nothing crashes or tears,
// that every key present throughout a walk is seen exactly once, and that
// the counts add up at the end. Run under TSan and ASan by `make test`.
//
// Nothing waits on a clock: the writers stop when the walkers have done their rounds.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "otp/otp.hpp"
#include "support/stress_seed.hpp"

namespace {

#if OTP_SANITIZED
constexpr int kStableKeys = 2'000;
constexpr int kWalks = 3;
#else
constexpr int kStableKeys = 20'000;
constexpr int kWalks = 10;
#endif
constexpr int kWriters = 3;
constexpr std::int64_t kChurnBase = 1'000'000;  // writer w churns keys from (w + 1) * base

/// A value whose two halves must always agree: a torn read shows.
struct twin {
  std::int64_t a = 0;
  std::string b;
  bool operator==(const twin&) const = default;
  bool whole() const { return b == std::to_string(a); }
};
twin twin_of(std::int64_t v) { return {v, std::to_string(v)}; }

template <otp::table_type Type>
void churn_and_walk(std::uint32_t seed) {
  SCOPED_TRACE(otp_test::seed_note(seed));
  otp::node n;
  otp::mailbox mb(n);
  using tab = otp::table<std::int64_t, twin, Type>;
  auto t = tab::create(
      {.access = otp::table_access::public_, .read_concurrency = true, .write_concurrency = true});
  for (std::int64_t k = 0; k < kStableKeys; ++k) t.insert(k, twin_of(k));
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> torn{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      std::mt19937 rng(seed + static_cast<std::uint32_t>(w));
      const std::int64_t base = (w + 1) * kChurnBase;
      while (!stop.load()) {
        const std::int64_t k = base + static_cast<std::int64_t>(rng() % 4096);
        switch (rng() % 4) {
          case 0:
            t.insert(k, twin_of(k));
            break;
          case 1:
            t.erase(k);
            break;
          case 2:
            (void)t.take(k);
            break;
          default:
            for (const twin& v : [&] {
                   if constexpr (Type == otp::table_type::bag ||
                                 Type == otp::table_type::duplicate_bag)
                     return t.lookup(k);
                   else {
                     auto one = t.lookup(k);
                     return one ? std::vector<twin>{*one} : std::vector<twin>{};
                   }
                 }())
              if (!v.whole()) ++torn;
        }
      }
    });
  for (int round = 0; round < kWalks; ++round) {
    std::multiset<std::int64_t> walked;
    for (auto k = t.first(); k; k = t.next(*k))
      if (*k < kStableKeys) walked.insert(*k);
    std::size_t selected = 0;
    for (const auto& o :
         t.select([](const std::int64_t&k, const twin&) { return k < kStableKeys; })) {
      ++selected;
      if (!o.second.whole() || o.second.a != o.first) ++torn;
    }
    ASSERT_EQ(walked.size(), static_cast<std::size_t>(kStableKeys)) << "round " << round;
    ASSERT_EQ(std::set<std::int64_t>(walked.begin(), walked.end()).size(),
              static_cast<std::size_t>(kStableKeys));
    ASSERT_EQ(selected, static_cast<std::size_t>(kStableKeys));
    if constexpr (Type == otp::table_type::ordered_set) {  // back across the bases too
      std::multiset<std::int64_t> back;
      for (auto k = t.last(); k; k = t.prev(*k))
        if (*k < kStableKeys) back.insert(*k);
      ASSERT_EQ(back, walked) << "round " << round;
    }
  }
  stop = true;
  for (auto& w : writers) w.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(t.select_count([](const std::int64_t& k, const twin&) { return k < kStableKeys; }),
            static_cast<std::size_t>(kStableKeys));
}

TEST(TableStress, SetUnderWritersAndWalkers) {
  churn_and_walk<otp::table_type::set>(otp_test::pick_seed());
}
TEST(TableStress, OrderedSetUnderWritersAndWalkers) {
  churn_and_walk<otp::table_type::ordered_set>(otp_test::pick_seed());
}
TEST(TableStress, BagUnderWritersAndWalkers) {
  churn_and_walk<otp::table_type::bag>(otp_test::pick_seed());
}
TEST(TableStress, DuplicateBagUnderWritersAndWalkers) {
  churn_and_walk<otp::table_type::duplicate_bag>(otp_test::pick_seed());
}

// Counters from many threads: update_counter is atomic, so the sum is exact.
TEST(TableStress, CountersFromManyThreadsAddUp) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, std::int64_t>::create(
      {.access = otp::table_access::public_, .write_concurrency = true});
  constexpr int kThreads = 4;
  constexpr int kEach = OTP_SANITIZED ? 5'000 : 100'000;
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) t.update_counter(j % 16, {.incr = 1}, std::int64_t{0});
    });
  for (auto& th : ts) th.join();
  EXPECT_EQ(t.foldl([](std::int64_t acc, const int&, const std::int64_t& v) { return acc + v; },
                    std::int64_t{0}),
            std::int64_t{kThreads} * kEach);
}

}  // namespace

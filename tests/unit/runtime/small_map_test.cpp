// detail::small_map, the table behind a process's links, monitors and
// aliases: inline while small, open-addressed when large, inline again when
// emptied. Checked against std::unordered_map on scripted and seeded
// random operation sequences.
#include "otp/runtime/detail/small_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <unordered_map>

#include "otp/runtime/pid.hpp"

namespace {

using otp::pid;
using otp::detail::small_map;

template <class M, class K, class V>
void expect_same(const M& m, const std::unordered_map<K, V>& want) {
  ASSERT_EQ(m.size(), want.size());
  for (const auto& [k, v] : want) {
    const V* got = m.find(k);
    ASSERT_NE(got, nullptr) << "missing key";
    EXPECT_EQ(*got, v);
  }
  std::size_t seen = 0;
  m.for_each([&](const K& k, const V& v) {
    ++seen;
    auto it = want.find(k);
    ASSERT_NE(it, want.end()) << "an entry that was never added or was erased";
    EXPECT_EQ(it->second, v);
  });
  EXPECT_EQ(seen, want.size());
}

TEST(SmallMap, KeepsFewEntriesInlineAndTheirValues) {
  small_map<std::uint64_t, std::uint64_t, 2> m;
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.try_emplace(7, 70).second);
  EXPECT_TRUE(m.try_emplace(9, 90).second);
  EXPECT_EQ(m.heap_bytes(), 0u);
  auto again = m.try_emplace(7, 71);
  EXPECT_FALSE(again.second);
  EXPECT_EQ(*again.first, 70u);  // try_emplace keeps the existing value
  m.assign(7, 72);
  EXPECT_EQ(*m.find(7), 72u);
  EXPECT_TRUE(m.erase(7));
  EXPECT_FALSE(m.erase(7));
  EXPECT_EQ(m.find(7), nullptr);
  EXPECT_EQ(*m.find(9), 90u);
  EXPECT_EQ(m.size(), 1u);
}

TEST(SmallMap, GrowsIntoATableAndReturnsInlineWhenEmptied) {
  small_map<pid, std::uint64_t, 2> m;
  std::unordered_map<pid, std::uint64_t> want;
  for (std::uint32_t i = 1; i <= 1000; ++i) {
    m.try_emplace(pid(0, i, 1), i);
    want[pid(0, i, 1)] = i;
  }
  EXPECT_GT(m.heap_bytes(), 0u);
  expect_same(m, want);
  for (std::uint32_t i = 1; i <= 1000; ++i) ASSERT_TRUE(m.erase(pid(0, i, 1)));
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.heap_bytes(), 0u);
  EXPECT_TRUE(m.try_emplace(pid(0, 5, 2), 5).second);
  EXPECT_EQ(*m.find(pid(0, 5, 2)), 5u);
}

TEST(SmallMap, MatchesAStandardMapUnderRandomInsertsAndErases) {
  // Keys from a small range, so erases hit, probe chains collide and wrap,
  // and the map crosses the inline/table boundary many times.
  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937 rng(seed);
    small_map<std::uint64_t, std::uint64_t, 2> m;
    std::unordered_map<std::uint64_t, std::uint64_t> want;
    const std::uint64_t range = seed * 40;
    for (int step = 0; step < 20000; ++step) {
      const std::uint64_t k = 1 + rng() % range;
      switch (rng() % 3) {
        case 0:
        case 1: {
          const std::uint64_t v = rng();
          const bool added = m.try_emplace(k, v).second;
          EXPECT_EQ(added, want.emplace(k, v).second);
          break;
        }
        default:
          EXPECT_EQ(m.erase(k), want.erase(k) == 1);
          break;
      }
      if (step % 997 == 0) {
        expect_same(m, want);
        if (::testing::Test::HasFailure()) return;
      }
    }
    expect_same(m, want);
  }
}

TEST(SmallMap, ErasingInsideAWrappedProbeChainKeepsEveryOtherKeyReachable) {
  // Dense keys in a small table: chains wrap past the end of the array, and
  // each erase must shift later entries back without stranding any.
  small_map<std::uint64_t, std::uint64_t, 1> m;
  std::unordered_map<std::uint64_t, std::uint64_t> want;
  for (std::uint64_t k = 1; k <= 24; ++k) {
    m.try_emplace(k, k * 10);
    want[k] = k * 10;
  }
  for (std::uint64_t k = 1; k <= 24; k += 3) {
    ASSERT_TRUE(m.erase(k));
    want.erase(k);
    expect_same(m, want);
  }
}

}  // namespace

// The ordered_set's contention-adapting tree (detail/ca_tree.hpp): writers
// that keep meeting on one base split it, and the tree still reads as one
// ordered set across its bases.
#include "otp/services/detail/ca_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace {

// A base lock whose try_lock always fails: every write counts as one that
// waited, so a tree with write_concurrency splits after a few writes.
struct contended_lock : otp::detail::store_lock {
  using store_lock::store_lock;
  bool try_lock() { return false; }
};
using contended_tree = otp::detail::ca_tree<int, int, contended_lock>;

template <class Tree>
void put(Tree& t, int k) {
  t.with_key(k, true, [&](typename Tree::map_type& m) { m.insert_or_assign(k, -k); });
}

// The keys of `t` walked forwards (chunk by chunk, at most 100 at a time).
template <class Tree>
std::vector<int> walk_forward(const Tree& t) {
  std::vector<int> keys;
  std::optional<int> after;
  for (;;) {
    std::vector<std::pair<int, int>> out;
    const bool end = t.chunk(after ? &*after : nullptr, 100, out, nullptr);
    for (const auto& o : out) {
      EXPECT_EQ(o.second, -o.first);
      keys.push_back(o.first);
    }
    if (end || out.empty()) return keys;
    after = out.back().first;
  }
}
// The keys of `t` walked backwards, from the last.
template <class Tree>
std::vector<int> walk_backward(const Tree& t) {
  std::vector<int> keys;
  for (auto k = t.key_below(nullptr); k; k = t.key_below(&*k)) keys.push_back(*k);
  return keys;
}

// Rule (CA tree, write_concurrency): a base whose writers keep waiting on
// its lock is split, up to kMaxBases, and the bases still read as one
// ordered set, forwards, backwards and by range.
TEST(CaTree, ContendedBasesSplitAndTheTreeStillReadsInOrder) {
  contended_tree t(/*write_concurrency=*/true, /*read_concurrency=*/false);
  constexpr int kKeys = 10'000;
  for (int k = 0; k < kKeys; ++k) put(t, (k * 7919) % kKeys);  // scattered
  EXPECT_EQ(t.base_count(), contended_tree::kMaxBases);
  EXPECT_EQ(t.size(), static_cast<std::size_t>(kKeys));
  const std::vector<int> forward = walk_forward(t);
  ASSERT_EQ(forward.size(), static_cast<std::size_t>(kKeys));
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(forward[static_cast<std::size_t>(k)], k);
  std::vector<int> backward = walk_backward(t);
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(backward, forward);
  for (int k = 0; k < kKeys; ++k)
    EXPECT_TRUE(t.with_key(k, false, [&](const auto& m) { return m.contains(k); })) << k;
  // A range read across bases stops at its bound.
  std::vector<std::pair<int, int>> range;
  const int from = 1000;
  const int below = 9000;
  EXPECT_TRUE(t.chunk(&from, kKeys, range, &below));
  ASSERT_EQ(range.size(), 7999U);
  EXPECT_EQ(range.front().first, 1001);
  EXPECT_EQ(range.back().first, 8999);
}

// Rule (CA tree): with_all holds every base, and what it writes goes to the
// base of each key.
TEST(CaTree, WithAllReachesEveryBaseAndRoutesEachKey) {
  contended_tree t(true, false);
  for (int k = 0; k < 1000; ++k) put(t, k);
  ASSERT_GT(t.base_count(), 2U);
  t.with_all(true, [](const contended_tree::all_maps& all) {
    EXPECT_EQ(all.maps.size(), contended_tree::kMaxBases);
    for (int k = -10; k < 0; ++k) all.of(k).emplace(k, -k);
    for (int k = 1000; k < 1010; ++k) all.of(k).emplace(k, -k);
  });
  EXPECT_EQ(t.size(), 1020U);
  const std::vector<int> forward = walk_forward(t);
  ASSERT_EQ(forward.size(), 1020U);
  EXPECT_TRUE(std::is_sorted(forward.begin(), forward.end()));
  EXPECT_EQ(forward.front(), -10);
  EXPECT_EQ(forward.back(), 1009);
}

// Rule (CA tree): without write_concurrency the tree stays one base, and a
// writer that never waits never splits one.
TEST(CaTree, NoSplitWithoutWriteConcurrencyOrWithoutContention) {
  contended_tree single(/*write_concurrency=*/false, false);
  otp::detail::ca_tree<int, int> calm(/*write_concurrency=*/true, false);
  for (int k = 0; k < 10'000; ++k) {
    put(single, k);
    put(calm, k);
  }
  EXPECT_EQ(single.base_count(), 1U);
  EXPECT_EQ(calm.base_count(), 1U);
}

// Rule (CA tree): bases split while a walk is half done and other threads
// write; a key present for the whole walk is seen exactly once, in order,
// forwards and backwards.
TEST(CaTree, WalksStayExactWhileBasesSplit) {
  contended_tree t(true, false);
  constexpr int kStable = 2'000;                              // even keys, never written again
  t.with_all(true, [](const contended_tree::all_maps& all) {  // not counted: one base
    for (int k = 0; k < 2 * kStable; k += 2) all.of(k).emplace(k, -k);
  });
  ASSERT_EQ(t.base_count(), 1U);
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w)
    writers.emplace_back([&, w] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; !stop.load(); ++i) put(t, 2 * ((i * 2 + w) % kStable) + 1);  // odd keys
    });
  auto stable_only = [](std::vector<int> keys) {
    std::erase_if(keys, [](int k) { return k % 2 != 0; });
    return keys;
  };
  std::vector<int> expected;
  for (int k = 0; k < 2 * kStable; k += 2) expected.push_back(k);
  // The first walk: one chunk, then every split, then the rest.
  std::vector<std::pair<int, int>> first;
  ASSERT_FALSE(t.chunk(nullptr, 100, first, nullptr));
  go = true;
  while (t.base_count() < contended_tree::kMaxBases) std::this_thread::yield();
  std::vector<int> walked;
  for (const auto& o : first) walked.push_back(o.first);
  std::vector<std::pair<int, int>> rest;
  EXPECT_TRUE(t.chunk(&first.back().first, 1'000'000, rest, nullptr));
  for (const auto& o : rest) walked.push_back(o.first);
  EXPECT_EQ(stable_only(walked), expected);
  for (int round = 0; round < 5; ++round) {  // and while the writers go on
    EXPECT_EQ(stable_only(walk_forward(t)), expected) << round;
    std::vector<int> backward = stable_only(walk_backward(t));
    std::reverse(backward.begin(), backward.end());
    EXPECT_EQ(backward, expected) << round;
  }
  stop = true;
  for (auto& th : writers) th.join();
}

}  // namespace

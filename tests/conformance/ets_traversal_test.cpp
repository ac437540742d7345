// Walking a table: the rules of ets:first/1, next/2, last/1, prev/2,
// select/1,2,3, select_count/2, select_delete/2, foldl/3, tab2list/1 and
// delete_all_objects/1, and the safe traversal guarantee under writers.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "otp/otp.hpp"

namespace {

using otp::table_type;

// Rule (ordered_set first/next/prev/last): keys in order; next of a key
// that is not in the table is the next key after it.
TEST(EtsFirstNext, OrderedSetInKeyOrder) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int, table_type::ordered_set>::create();
  EXPECT_FALSE(t.first().has_value());
  for (int k : {30, 10, 20}) t.insert(k, k);
  EXPECT_EQ(t.first(), 10);
  EXPECT_EQ(t.next(10), 20);
  EXPECT_EQ(t.next(15), 20);
  EXPECT_FALSE(t.next(30).has_value());
  EXPECT_EQ(t.last(), 30);
  EXPECT_EQ(t.prev(30), 20);
  EXPECT_FALSE(t.prev(10).has_value());
}

// Rule (set first/next; prev and last as next and first): every key once.
TEST(EtsFirstNext, SetVisitsEveryKeyOnce) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int>::create({.write_concurrency = true});
  for (int k = 0; k < 5000; ++k) t.insert(k, k);
  std::multiset<int> seen;
  for (auto k = t.first(); k; k = t.next(*k)) seen.insert(*k);
  EXPECT_EQ(seen.size(), 5000u);
  EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), 5000u);
  EXPECT_EQ(t.last(), t.first());
  EXPECT_EQ(t.prev(*t.first()), t.next(*t.first()));
}

// Rule (select/2, select_count/2, select_delete/2, foldl/3, tab2list/1).
TEST(EtsSelect, PredicateFoldAndDelete) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int, table_type::bag>::create();
  for (int k = 0; k < 100; ++k) {
    t.insert(k, k);
    t.insert(k, -k);
  }
  auto neg = t.select([](const int&, const int& v) { return v < 0; });
  EXPECT_EQ(neg.size(), 99u);
  EXPECT_EQ(t.select_count([](const int& k, const int&) { return k >= 50; }), 100u);
  EXPECT_EQ(t.foldl([](long acc, const int&, const int& v) { return acc + (v > 0 ? v : 0); }, 0L),
            4950L);
  EXPECT_EQ(t.select_delete([](const int&, const int& v) { return v < 0; }), 99u);
  EXPECT_EQ(t.tab2list().size(), 100u);
  t.delete_all_objects();
  EXPECT_EQ(t.info()->size, 0u);
}

// Rule (select/3 and select/1): pages of at most `limit`, every matching
// object exactly once across the pages; ordered_set ranges visit only the
// range.
TEST(EtsSelect, PagesWithAContinuationAndARange) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int, table_type::ordered_set>::create();
  for (int k = 0; k < 1000; ++k) t.insert(k, k);
  auto even = [](const int& k, const int&) { return k % 2 == 0; };
  std::size_t total = 0;
  auto page = t.select(even, 100);
  for (;;) {
    EXPECT_LE(page.objects.size(), 100u);
    total += page.objects.size();
    if (!page.rest) break;
    page = t.select(*page.rest);
  }
  EXPECT_EQ(total, 500u);
  auto range = t.select_range(
      200, 300, [](const int&, const int&) { return true; }, 1000);
  ASSERT_EQ(range.objects.size(), 100u);
  EXPECT_EQ(range.objects.front().first, 200);
  EXPECT_EQ(range.objects.back().first, 299);
  EXPECT_FALSE(range.rest.has_value());
  try {
    (void)t.select(even, 0);
    FAIL() << "a limit of 0 was taken";
  } catch (const otp::table_error& e) {
    EXPECT_EQ(e.why(), otp::table_error::kind::bad_limit);
  }
}

// Rule (safe traversal): while other threads insert and delete keys of
// their own, a walk with first/next and a select each see every key that
// was present for the whole walk exactly once.
TEST(EtsSafeTraversal, StableKeysSeenExactlyOnceUnderWriters) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int>::create(
      {.access = otp::table_access::public_, .write_concurrency = true});
  constexpr int kStable = 20000;
  for (int k = 0; k < kStable; ++k) t.insert(k, k);
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w)
    writers.emplace_back([&, w] {
      otp::mailbox wm(n);
      int base = 1'000'000 * (w + 1);
      for (int i = 0; !done.load(); ++i) {
        t.insert(base + i % 50000, i);
        t.erase(base + (i + 25000) % 50000);
      }
    });
  for (int round = 0; round < 3; ++round) {
    std::vector<int> walked;
    for (auto k = t.first(); k; k = t.next(*k))
      if (*k < kStable) walked.push_back(*k);
    std::vector<int> selected;
    for (const auto& o : t.select([](const int&k, const int&) { return k < kStable; }))
      selected.push_back(o.first);
    for (auto* seen : {&walked, &selected}) {
      ASSERT_EQ(seen->size(), static_cast<std::size_t>(kStable));
      ASSERT_EQ(std::set<int>(seen->begin(), seen->end()).size(),
                static_cast<std::size_t>(kStable));
    }
  }
  done = true;
  for (auto& w : writers) w.join();
}

}  // namespace

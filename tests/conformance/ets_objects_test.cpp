// Tables, one object at a time and many at once: the rules of ets:insert/2,
// insert_new/2, lookup/2, member/2, take/2, delete/2, delete_object/2,
// update_counter/3,4 and update_element/3 for each table type.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"

namespace {

using otp::table_type;

// Rule (ets:insert/2, lookup/2 on a set): one object per key, a second
// insert replaces it; lookup of a missing key is empty.
TEST(EtsInsert, SetReplacesTheObjectOfAKey) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, std::string>::create();
  t.insert(1, "a");
  t.insert(1, "b");
  EXPECT_EQ(t.lookup(1), "b");
  EXPECT_FALSE(t.lookup(2).has_value());
  EXPECT_TRUE(t.member(1));
  EXPECT_FALSE(t.member(2));
  EXPECT_EQ(t.info()->size, 1u);
}

// Rule (ets:insert/2 on a bag): objects of a key kept in insertion order, an
// equal object not added twice; a duplicate_bag keeps duplicates.
TEST(EtsInsert, BagKeepsInsertionOrderAndDuplicateBagKeepsCopies) {
  otp::node n;
  otp::mailbox mb(n);
  auto b = otp::table<int, std::string, table_type::bag>::create();
  b.insert(7, "x");
  b.insert(7, "y");
  b.insert(7, "x");
  EXPECT_EQ(b.lookup(7), (std::vector<std::string>{"x", "y"}));
  auto d = otp::table<int, std::string, table_type::duplicate_bag>::create();
  d.insert(7, "x");
  d.insert(7, "y");
  d.insert(7, "x");
  EXPECT_EQ(d.lookup(7), (std::vector<std::string>{"x", "y", "x"}));
  d.erase_object(7, "x");  // ets:delete_object/2: every copy in a duplicate_bag
  EXPECT_EQ(d.lookup(7), (std::vector<std::string>{"y"}));
  EXPECT_EQ(b.take(7), (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(b.member(7));
}

// Rule (ets:insert/2 with a list, insert_new/2): many objects go in
// together; insert_new inserts none when any key is present.
TEST(EtsInsertNew, AllOrNothing) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int>::create({.write_concurrency = true});
  t.insert({{1, 10}, {2, 20}, {300, 3}});
  EXPECT_EQ(t.info()->size, 3u);
  EXPECT_FALSE(t.insert_new({{4, 40}, {2, 99}}));
  EXPECT_FALSE(t.member(4));
  EXPECT_EQ(t.lookup(2), 20);
  EXPECT_TRUE(t.insert_new({{4, 40}, {5, 50}}));
  EXPECT_TRUE(t.insert_new(6, 60));
  EXPECT_FALSE(t.insert_new(6, 61));
  EXPECT_EQ(t.lookup(6), 60);
}

// Rule (ets:take/2, delete/2): take removes and returns; delete of a
// missing key is no error.
TEST(EtsTake, RemovesAndReturns) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<std::string, int, table_type::ordered_set>::create();
  t.insert("a", 1);
  EXPECT_EQ(t.take("a"), 1);
  EXPECT_FALSE(t.take("a").has_value());
  t.erase("nothing");
  EXPECT_EQ(t.info()->size, 0u);
}

// Rule (ets:update_counter/3,4): adds and returns the new value; with a
// threshold the value wraps to SetValue; a default object is inserted for
// a missing key; without one a missing key is an error and nothing changes.
TEST(EtsUpdateCounter, IncrThresholdAndDefault) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<std::string, long>::create();
  EXPECT_THROW(t.update_counter("hits", 1), otp::table_error);
  EXPECT_FALSE(t.member("hits"));
  EXPECT_EQ(t.update_counter("hits", {.incr = 5}, 10L), 15);
  EXPECT_EQ(t.update_counter("hits", 1), 16);
  // {Pos, Incr, Threshold, SetValue}: past 17 it becomes 0.
  EXPECT_EQ(t.update_counter("hits", {.incr = 1, .threshold = 17, .set_value = 0}), 17);
  EXPECT_EQ(t.update_counter("hits", {.incr = 1, .threshold = 17, .set_value = 0}), 0);
  // A negative increment wraps below the threshold.
  EXPECT_EQ(t.update_counter("hits", {.incr = -1, .threshold = 0, .set_value = 9}), 9);
  try {
    t.update_counter("nope", 1);
    FAIL();
  } catch (const otp::table_error& e) {
    EXPECT_EQ(e.why(), otp::table_error::kind::no_key);
  }
}

struct web_session {
  std::string user;
  int requests = 0;
  bool operator==(const web_session&) const = default;
};

// Rule (ets:update_counter and update_element on a field): the member is
// the position; update_element on a missing key returns false.
TEST(EtsUpdateElement, FieldsOfAStruct) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, web_session, table_type::ordered_set>::create();
  t.insert(1, web_session{"ann", 0});
  EXPECT_EQ(t.update_counter(1, &web_session::requests, {.incr = 3}), 3);
  EXPECT_TRUE(t.update_element(1, &web_session::user, std::string("bob")));
  EXPECT_EQ(t.lookup(1), (web_session{"bob", 3}));
  EXPECT_FALSE(t.update_element(2, &web_session::user, std::string("x")));
  EXPECT_EQ(t.update_counter(2, &web_session::requests, {.incr = 1}, web_session{"new", 41}), 42);
}

// Rule (update_counter on a full counter): overflow of the C++ type is an
// error and the counter keeps its value (ETS would grow a bignum).
TEST(EtsUpdateCounter, OverflowIsAnErrorAndChangesNothing) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int>::create();
  t.insert(1, 2147483647);
  EXPECT_THROW(t.update_counter(1, 1), otp::table_error);
  EXPECT_EQ(t.lookup(1), 2147483647);
}

// Rule: many keys in a write_concurrency set survive growth; every key is
// found and erasing half leaves the other half.
TEST(EtsInsert, ManyKeysThroughGrowthAndErase) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<long, long>::create({.write_concurrency = true});
  constexpr long kN = 100000;
  for (long i = 0; i < kN; ++i) t.insert(i * 7919, i);
  EXPECT_EQ(t.info()->size, static_cast<std::size_t>(kN));
  for (long i = 0; i < kN; i += 2) t.erase(i * 7919);
  for (long i = 0; i < kN; ++i) ASSERT_EQ(t.member(i * 7919), i % 2 == 1) << i;
  EXPECT_EQ(t.info()->size, static_cast<std::size_t>(kN / 2));
}

// Rule (table::update, a C++ addition): fn changes a copy that replaces the
// value atomically; a missing key starts from the default; when fn throws
// nothing changes.
TEST(EtsUpdate, ReadModifyWriteIsAtomicAndAllOrNothing) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, web_session>::create();
  EXPECT_THROW(t.update(1, [](web_session& s) { ++s.requests; }), otp::table_error);
  EXPECT_EQ(t.update(
                1, [](web_session& s) { return ++s.requests; }, web_session{"ann", 0}),
            1);
  EXPECT_THROW(t.update(1,
                        [](web_session& s) {
                          s.user = "half-done";
                          throw std::runtime_error("no");
                        }),
               std::runtime_error);
  EXPECT_EQ(t.lookup(1), (web_session{"ann", 1}));
}

}  // namespace

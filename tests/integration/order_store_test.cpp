// The order system's SQLite store on a real database file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store.hpp"

namespace {

using order_system::order_state;

// A fresh database file in a temporary directory, removed afterwards.
struct temp_db {
  std::filesystem::path dir;
  temp_db() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otp_store_XXXXXX").string();
    dir = mkdtemp(tmpl.data());
  }
  ~temp_db() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "orders.db").string(); }
};

order_system::order_row widget_order(const std::string& id, std::int64_t widgets) {
  return {id, "alice", {{"widget", widgets}}, 1999, "tok_visa", order_state::pending, {}, {}, 0};
}

// Rule: an order is stored once, as pending; a second insert of the id is refused.
TEST(OrderStore, OrdersAreInsertedOncePending) {
  temp_db t;
  order_system::store s(t.path());
  EXPECT_TRUE(s.insert_order(widget_order("o1", 2)));
  EXPECT_FALSE(s.insert_order(widget_order("o1", 5)));
  auto o = s.get_order("o1");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->state, order_state::pending);
  EXPECT_EQ(o->items.at(0).quantity, 2);
  EXPECT_FALSE(s.get_order("o2"));
}

// Rule: states move pending -> reserved -> paid (or to failed) and never
// leave paid or failed.
TEST(OrderStore, StateMovesFollowTheLifecycle) {
  temp_db t;
  order_system::store s(t.path());
  ASSERT_TRUE(s.insert_order(widget_order("o1", 1)));
  EXPECT_FALSE(s.set_state("o1", order_state::paid));  // not reserved yet
  EXPECT_TRUE(s.set_state("o1", order_state::reserved));
  EXPECT_TRUE(s.set_state("o1", order_state::paid, {}, "ch_1"));
  EXPECT_FALSE(s.set_state("o1", order_state::failed, "late"));
  EXPECT_EQ(s.get_order("o1")->charge_id, "ch_1");
  EXPECT_FALSE(s.set_state("nope", order_state::reserved));
}

// Rule: a reservation takes all items or none, is idempotent, and release
// gives the stock back once.
TEST(OrderStore, ReservationsAreAllOrNothingAndIdempotent) {
  temp_db t;
  order_system::store s(t.path());
  s.seed_inventory({{"widget", 5}, {"gadget", 1}});
  ASSERT_TRUE(s.insert_order(widget_order("o1", 3)));
  EXPECT_EQ(s.reserve("o1", {{"widget", 3}}), order_system::reserve_result::reserved);
  EXPECT_EQ(s.reserve("o1", {{"widget", 3}}), order_system::reserve_result::reserved);
  EXPECT_EQ(*s.stock("widget"), 2);
  EXPECT_EQ(s.reserve("o2", {{"widget", 1}, {"gadget", 2}}),
            order_system::reserve_result::out_of_stock);
  EXPECT_EQ(*s.stock("widget"), 2);  // nothing taken
  EXPECT_EQ(s.reserve("o3", {{"sprocket", 1}}), order_system::reserve_result::unknown_item);
  s.release("o1");
  s.release("o1");
  EXPECT_EQ(*s.stock("widget"), 5);
}

// Rule: what is committed survives the connection (a crash of its owner):
// a new connection sees the unfinished orders in arrival order.
TEST(OrderStore, CommittedStateSurvivesTheConnection) {
  temp_db t;
  {
    order_system::store s(t.path());
    for (const char* id : {"b", "a", "c"}) ASSERT_TRUE(s.insert_order(widget_order(id, 1)));
    ASSERT_TRUE(s.set_state("a", order_state::reserved));
    ASSERT_TRUE(s.set_state("c", order_state::failed, "card_declined"));
    EXPECT_EQ(s.add_attempt("b"), 1);
    EXPECT_EQ(s.add_attempt("b"), 2);
  }
  order_system::store again(t.path());
  EXPECT_EQ(again.unfinished_orders(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(again.get_order("b")->attempts, 2);
  auto counts = again.count_by_state();
  EXPECT_EQ(counts[order_state::pending], 1);
  EXPECT_EQ(counts[order_state::reserved], 1);
  EXPECT_EQ(counts[order_state::failed], 1);
  EXPECT_EQ(again.failures_by_reason()["card_declined"], 1);
}

// Rule: a file that cannot be opened is a store_error naming it.
TEST(OrderStore, UnopenableFileIsAStoreError) {
  try {
    order_system::store s("/nonexistent-dir/orders.db");
    FAIL() << "opened";
  } catch (const order_system::store_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/orders.db"), std::string::npos);
  }
}

}  // namespace

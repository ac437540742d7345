// Who owns a table and who may use it: the rules of ets:new/2 (access,
// named_table, heir), give_away/3, setopts/2 (heir), delete/1 and info/1,
// and what the owner's exit does.
#include <gtest/gtest.h>

#include <any>
#include <chrono>
#include <string>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/supervision.hpp"

namespace {

using namespace std::chrono_literals;
using table_error_kind = otp::table_error::kind;
using int_table = otp::table<int, int>;

template <class F>
table_error_kind table_error_of(F&& f) {
  try {
    f();
  } catch (const otp::table_error& e) {
    return e.why();
  }
  ADD_FAILURE() << "no table_error";
  return table_error_kind::deleted;
}

struct table_made {
  int_table t;
};
struct table_go_on {};

/// Creates a table with `o`, reports it to `parent`, then waits for table_go_on
/// (or gives it to `to` first when set).
otp::proc table_owner_body(otp::pid parent, otp::table_options o) {
  auto t = int_table::create(std::move(o));
  t.insert(1, 100);
  otp::send(parent, table_made{t});
  co_await otp::receive([](table_go_on) {});
}

// Rule (ets:new/2 protected, the default): others read, only the owner
// writes; a refused write says why and changes nothing.
TEST(EtsAccess, ProtectedLetsOthersReadButNotWrite) {
  otp::node n;
  otp::mailbox mb(n);
  otp::pid o = otp::spawn(table_owner_body, otp::self(), otp::table_options{});
  int_table t = mb.receive<table_made>().t;
  EXPECT_EQ(t.lookup(1), 100);
  EXPECT_EQ(table_error_of([&] { t.insert(2, 2); }), table_error_kind::access);
  EXPECT_FALSE(t.member(2));
  otp::send(o, table_go_on{});
}

// Rule (private): only the owner reads; (public): anyone writes.
TEST(EtsAccess, PrivateRefusesReadsAndPublicAllowsWrites) {
  otp::node n;
  otp::mailbox mb(n);
  otp::pid p = otp::spawn(table_owner_body, otp::self(),
                          otp::table_options{.access = otp::table_access::private_});
  int_table priv = mb.receive<table_made>().t;
  EXPECT_EQ(table_error_of([&] { (void)priv.lookup(1); }), table_error_kind::access);
  otp::pid q = otp::spawn(table_owner_body, otp::self(),
                          otp::table_options{.access = otp::table_access::public_});
  int_table pub = mb.receive<table_made>().t;
  pub.insert(2, 2);
  EXPECT_EQ(pub.lookup(2), 2);
  otp::send(p, table_go_on{});
  otp::send(q, table_go_on{});
}

// Rule (owner exit, no heir): the table is deleted before the owner's
// monitors fire; every operation then says the table was deleted.
TEST(EtsOwnership, OwnerExitDeletesTheTableBeforeItsDown) {
  otp::node n;
  otp::mailbox mb(n);
  otp::pid o = otp::spawn(table_owner_body, otp::self(), otp::table_options{.name = "sessions"});
  int_table t = mb.receive<table_made>().t;
  otp::ref m = otp::monitor(o);
  otp::send(o, table_go_on{});
  (void)otp_test::wait_down(mb, m);
  EXPECT_FALSE(t.info().has_value());
  EXPECT_EQ(table_error_of([&] { (void)t.lookup(1); }), table_error_kind::deleted);
  EXPECT_EQ(table_error_of([&] { (void)int_table::named("sessions"); }),
            table_error_kind::no_such_table);
}

// Rule (heir): when the owner exits the heir becomes the owner, with the
// objects, and receives ets_transfer{table, from, heir_data} before the DOWN.
TEST(EtsOwnership, HeirInheritsTheTableWithItsObjects) {
  otp::node n;
  otp::mailbox mb(n);
  otp::pid o =
      otp::spawn(table_owner_body, otp::self(),
                 otp::table_options{.heir = otp::self(), .heir_data = std::string("keep")});
  int_table t = mb.receive<table_made>().t;
  otp::ref m = otp::monitor(o);
  otp::send(o, table_go_on{});
  auto tr = mb.receive<otp::ets_transfer<int_table>>();
  EXPECT_EQ(tr.table, t);
  EXPECT_EQ(tr.from, o);
  EXPECT_EQ(std::any_cast<std::string>(tr.heir_data), "keep");
  EXPECT_EQ(t.owner(), otp::self());
  EXPECT_EQ(t.lookup(1), 100);
  t.insert(2, 2);  // the new owner writes
  (void)otp_test::wait_down(mb, m);
}

// Rule (heir not alive at the owner's exit): the table is deleted.
TEST(EtsOwnership, ADeadHeirMeansDeletion) {
  otp::node n;
  otp::mailbox mb(n);
  auto [heir, hm] = otp::spawn_monitor(otp_test::wait_for_stop);
  otp::send(heir, otp_test::stop{});
  (void)otp_test::wait_down(mb, hm);
  otp::pid o = otp::spawn(table_owner_body, otp::self(), otp::table_options{.heir = heir});
  int_table t = mb.receive<table_made>().t;
  otp::ref m = otp::monitor(o);
  otp::send(o, table_go_on{});
  (void)otp_test::wait_down(mb, m);
  EXPECT_FALSE(t.info().has_value());
}

// Rule (ets:give_away/3): only the owner gives; the recipient must be a
// live local process other than the owner; it gets ets_transfer.
TEST(EtsGiveAway, ToALiveProcessAndItsErrors) {
  otp::node n;
  otp::mailbox mb(n);
  int_table t = int_table::create();
  EXPECT_EQ(table_error_of([&] { t.give_away(otp::self()); }), table_error_kind::bad_recipient);
  EXPECT_EQ(table_error_of([&] { t.give_away(otp::pid()); }), table_error_kind::bad_recipient);
  EXPECT_EQ(table_error_of([&] { t.give_away(otp::pid(99, 1, 1)); }),
            table_error_kind::bad_recipient);
  auto [dead, dm] = otp::spawn_monitor(otp_test::wait_for_stop);
  otp::send(dead, otp_test::stop{});
  (void)otp_test::wait_down(mb, dm);
  const otp::pid gone = dead;  // a structured binding: Clang 14 cannot capture it
  EXPECT_EQ(table_error_of([&] { t.give_away(gone); }), table_error_kind::bad_recipient);
  otp::pid o = otp::spawn(table_owner_body, otp::self(), otp::table_options{});
  int_table other = mb.receive<table_made>().t;
  EXPECT_EQ(table_error_of([&] { other.give_away(otp::self()); }), table_error_kind::not_owner);
  otp::send(o, table_go_on{});
  EXPECT_EQ(t.owner(), otp::self());
}

// Rule (named_table): found by name from anywhere, with its types checked;
// a second table of the same name is refused.
TEST(EtsNamed, FoundByNameAndUnique) {
  otp::node n;
  otp::mailbox mb(n);
  int_table t = int_table::create({.name = "cache"});
  EXPECT_EQ(int_table::named("cache"), t);
  EXPECT_EQ(table_error_of([] { (void)int_table::create({.name = "cache"}); }),
            table_error_kind::name_taken);
  EXPECT_EQ(table_error_of([] { (void)otp::table<int, long>::named("cache"); }),
            table_error_kind::type_mismatch);
  t.erase_table();
  EXPECT_EQ(table_error_of([&] { t.insert(1, 1); }), table_error_kind::deleted);
  (void)int_table::create({.name = "cache"});  // the name is free again
}

// Rule (ets:info/1): size, owner, heir, type, access, name; memory grows
// with the objects.
TEST(EtsInfo, ReportsTheTable) {
  otp::node n;
  otp::mailbox mb(n);
  auto t = otp::table<int, int, otp::table_type::ordered_set>::create(
      {.access = otp::table_access::public_, .name = "i"});
  const std::size_t empty = t.info()->memory;
  for (int i = 0; i < 1000; ++i) t.insert(i, i);
  auto i = t.info();
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(i->size, 1000u);
  EXPECT_GT(i->memory, empty + 1000 * sizeof(std::pair<int, int>));
  EXPECT_EQ(i->owner, otp::self());
  EXPECT_TRUE(i->heir.is_null());
  EXPECT_EQ(i->type, otp::table_type::ordered_set);
  EXPECT_EQ(i->access, otp::table_access::public_);
  EXPECT_EQ(i->name, "i");
  t.set_heir(otp::self());
  EXPECT_EQ(t.info()->heir, otp::self());
}

// Rule: a table is table_made by a process (or a mailbox thread).
TEST(EtsNew, OutsideAProcessIsAnError) {
  otp::node n;
  EXPECT_EQ(table_error_of([] { (void)int_table::create(); }), table_error_kind::not_a_process);
}

// Rule (ets:all/0 + ets:info/1): all_tables describes every live table of
// the node, in creation order; a deleted table, or one whose owner died with
// no heir, is gone from the list.
TEST(EtsAll, ListsTheLiveTablesOfTheNode) {
  otp::node n;
  otp::mailbox mb(n);
  EXPECT_TRUE(otp::all_tables(n).empty());
  auto mine = int_table::create({.name = "ets_all_mine"});
  mine.insert(1, 1);
  otp::pid o = otp::spawn(table_owner_body, otp::self(), otp::table_options{});
  (void)mb.receive<table_made>();
  auto listed = otp::all_tables(n);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "ets_all_mine");
  EXPECT_EQ(listed[0].owner, otp::self());
  EXPECT_EQ(listed[0].size, 1u);
  EXPECT_EQ(listed[1].name, "");
  EXPECT_EQ(listed[1].owner, o);
  const otp::ref m = otp::monitor(o);
  otp::exit(o, otp::exit_reason::kill());
  (void)otp_test::wait_down(mb, m);
  mine.erase_table();
  EXPECT_TRUE(otp::all_tables(n).empty());
}

}  // namespace

// The repo: a pool of SQLite connections, used from processes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "repo.hpp"
#include "support/temp_dir.hpp"

namespace {

using order_system::db_conn;
using order_system::order_state;
using order_system::repo;

using otp_test::temp_dir;

order_system::order_row one_widget_order(const std::string& id) {
  return {id, "bob", {{"widget", 1}}, 500, "tok_visa", order_state::pending, {}, {}, 0};
}

// Stores `n` orders through the pool, one transaction each, then reports.
otp::proc writer(repo r, std::string prefix, int n, otp::pid report) {
  int stored = 0;
  for (int i = 0; i < n; ++i) {
    const order_system::order_row o = one_widget_order(prefix + std::to_string(i));
    const bool ok = co_await r.transaction([&](repo::worker c) {
      db_conn::insert_order req{o};
      return otp::call(c, std::move(req));
    });
    if (ok) ++stored;
  }
  otp::send(report, stored);
}

// Rule: processes share the database through the pool; every write is
// committed and visible to any other connection.
TEST(OrderRepo, ProcessesWriteThroughThePoolAndEveryConnectionSeesIt) {
  temp_dir t;
  otp::node n({.on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  const std::string path = (t.path / "orders.db").string();
  auto started = repo::start_link({.size = 2, .max_overflow = 0}, path).get();
  ASSERT_TRUE(started.is_ok()) << started.to_string();
  const repo r = started.ref();
  n.spawn(writer, r, std::string("a"), 50, mb.self());
  n.spawn(writer, r, std::string("b"), 50, mb.self());
  EXPECT_EQ(mb.receive<int>() + mb.receive<int>(), 100);
  const auto counts =
      r.transaction([](repo::worker c) { return otp::call(c, db_conn::count_by_state{}); }).get();
  EXPECT_EQ(counts.at(order_state::pending), 100);
  order_system::store direct(path);  // another connection, outside the pool
  EXPECT_EQ(direct.unfinished_orders().size(), 100u);
}

// Rule: a database that cannot be opened fails the repo's start with the
// store's error.
TEST(OrderRepo, AnUnopenableDatabaseFailsTheStart) {
  otp::node n({.on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto started = repo::start_link({.size = 1}, std::string("/nonexistent-dir/orders.db")).get();
  ASSERT_TRUE(started.is_error());
  EXPECT_NE(started.reason.to_string().find("nonexistent-dir"), std::string::npos)
      << started.reason;
}

}  // namespace

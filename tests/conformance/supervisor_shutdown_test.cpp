// supervisor_SUITE, groups stop and shutdown: children stop in reverse start
// order, each by its shutdown spec (brutal_kill, a timeout, or infinity).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
using namespace otp_test;

namespace {

struct terminate_done {
  otp::child_result r;
};

// Calls terminate_child from a process, so the test thread stays free to
// move virtual time, and reports the result.
otp::proc terminate_from_process(otp::supervisor::ref s, std::string id, otp::pid to) {
  otp::child_result r = co_await otp::supervisor::terminate_child(s, id);
  otp::send(to, terminate_done{r});
}

class SupervisorShutdown : public ::testing::Test {
 protected:
  report_log reports;
  otp::node n{reports.options()};
  otp::mailbox mb{n};
  void SetUp() override { otp::trap_exit(true); }
};

// Rule: stopping the supervisor stops its children in reverse start order.
TEST_F(SupervisorShutdown, SupervisorStopStopsChildrenInReverseOrder) {
  auto sup =
      otp::supervisor::start_link({}, {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b"),
                                       logged_spec(mb.self(), "c"), logged_spec(mb.self(), "d")})
          .get();
  ASSERT_TRUE(sup.is_ok());
  EXPECT_EQ(drain(mb), "ia ib ic id ");
  otp::gen_server::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  EXPECT_EQ(drain(mb), "td tc tb ta ");
}

// Rule: the parent's exit signal shutdown stops the children in reverse too.
TEST_F(SupervisorShutdown, ParentExitStopsChildrenInReverseOrder) {
  auto sup =
      otp::supervisor::start_link({}, {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b")})
          .get();
  ASSERT_TRUE(sup.is_ok());
  drain(mb);
  otp::ref m = otp::monitor(sup.child);
  otp::exit(sup.child, otp::exit_reason::shutdown());
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
  EXPECT_EQ(drain(mb), "tb ta ");
}

// Rule: brutal_kill kills the child: terminate never runs, reason killed.
TEST_F(SupervisorShutdown, BrutalKillKillsWithoutTerminate) {
  otp::child_spec c = logged_spec(mb.self(), "a");
  c.shutdown = otp::brutal_kill;
  auto sup = otp::supervisor::start_link({}, {c}).get();
  ASSERT_TRUE(sup.is_ok());
  drain(mb);
  otp::pid a = child_pid(sup.ref(), "a");
  otp::ref m = otp::monitor(a);
  ASSERT_TRUE(otp::supervisor::terminate_child(sup.ref(), "a").get().ok());
  EXPECT_TRUE(wait_down(mb, m).is(otp::exit_reason::kind::killed));
  EXPECT_EQ(drain(mb), "");  // no terminate
  EXPECT_TRUE(reports.supervisor_reports("shutdown_error").empty());
}

// Rule: a timeout shutdown sends `shutdown`, waits that long, then kills a
// child that traps exits and does not end (and reports shutdown_error).
TEST_F(SupervisorShutdown, TimeoutShutdownKillsAStubbornChildAfterTheTimeout) {
  otp::child_spec c = otp::worker<stubborn>("s", mb.self(), std::string("s"));
  c.shutdown = 2000ms;
  auto sup = otp::supervisor::start_link({}, {c}).get();
  ASSERT_TRUE(sup.is_ok());
  otp::pid s = child_pid(sup.ref(), "s");
  otp::ref m = otp::monitor(s);
  const auto t0 = n.now();
  ASSERT_TRUE(otp::supervisor::terminate_child(sup.ref(), "s").get().ok());
  EXPECT_EQ(n.now() - t0, 2000ms);  // virtual time: exactly the timeout
  EXPECT_EQ(drain(mb), "ts ");      // it got shutdown first (terminate ran)
  EXPECT_TRUE(wait_down(mb, m).is(otp::exit_reason::kind::killed));
  auto errs = reports.supervisor_reports("shutdown_error");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_TRUE(errs[0].reason.is(otp::exit_reason::kind::killed));
  EXPECT_EQ(errs[0].field("id"), "s");
}

// Rule: a child that ends within its timeout is not killed.
TEST_F(SupervisorShutdown, TimeoutShutdownLetsAPromptChildEndWithShutdown) {
  otp::child_spec c = logged_spec(mb.self(), "a");
  c.shutdown = 2000ms;
  auto sup = otp::supervisor::start_link({}, {c}).get();
  ASSERT_TRUE(sup.is_ok());
  drain(mb);
  otp::ref m = otp::monitor(child_pid(sup.ref(), "a"));
  const auto t0 = n.now();
  ASSERT_TRUE(otp::supervisor::terminate_child(sup.ref(), "a").get().ok());
  EXPECT_EQ(n.now(), t0);
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
  EXPECT_EQ(drain(mb), "ta ");
}

// Rule: shutdown infinity waits as long as the child takes.
TEST_F(SupervisorShutdown, InfinityShutdownWaitsForTheChild) {
  otp::child_spec c = otp::worker<held>("h", mb.self(), std::string("h"));
  c.shutdown = otp::timeout(otp::infinity);
  auto sup = otp::supervisor::start_link({}, {c}).get();
  ASSERT_TRUE(sup.is_ok());
  otp::pid h = child_pid(sup.ref(), "h");
  otp::ref m = otp::monitor(h);
  n.spawn(terminate_from_process, sup.ref(), std::string("h"), mb.self());
  EXPECT_FALSE(mb.receive<terminate_done>(1h));  // an hour of virtual time: still waiting
  EXPECT_TRUE(n.is_alive(h));
  EXPECT_EQ(drain(mb), "th ");
  otp::send(h, release{});
  auto r = mb.receive<terminate_done>();
  EXPECT_TRUE(r.r.ok()) << r.r.to_string();
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
}

// Rule: a supervisor child's shutdown defaults to infinity; workers' to 5000 ms.
TEST_F(SupervisorShutdown, ShutdownDefaultsDependOnTheChildType) {
  otp::child_spec w = logged_spec(mb.self(), "w");
  otp::child_spec s = otp::supervisor_child("s", {}, {});
  EXPECT_EQ(w.effective_shutdown().to_string(), "5000");
  EXPECT_TRUE(s.effective_shutdown().grace().is_infinite());
  EXPECT_EQ(s.type, otp::child_type::supervisor);
}

}  // namespace

// supervisor_SUITE, groups restart intensity and (an extension) restart
// back-off: intensity/period is a sliding window over virtual time.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
using namespace otp_test;

namespace {

class SupervisorIntensity : public ::testing::Test {
 protected:
  report_log reports;
  otp::node n{reports.options()};
  otp::mailbox mb{n};
  otp::supervisor::ref sup;
  otp::ref sup_mon;
  void SetUp() override { otp::trap_exit(true); }

  void start(otp::supervisor_flags f) {
    auto s = otp::supervisor::start_link(f, {logged_spec(mb.self(), "a")}).get();
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    sup = s.ref();
    sup_mon = otp::monitor(s.child);
    drain(mb);
  }
  void kill_a() { kill_and_wait(mb, child_pid(sup, "a")); }
  bool sup_alive() { return n.is_alive(sup.get_pid()); }
};

// Rule: intensity N allows N restarts within the period.
TEST_F(SupervisorIntensity, IntensityRestartsWithinThePeriodAreAllowed) {
  start({.intensity = 3, .period = 1000ms});
  for (int i = 0; i < 3; ++i) kill_a();
  EXPECT_TRUE(sup_alive());
  EXPECT_EQ(drain(mb), "ia ia ia ");
}

// Rule: the (N+1)th restart within the period shuts the supervisor down with
// reason shutdown, after stopping the children.
TEST_F(SupervisorIntensity, OneRestartMoreThanIntensityShutsDown) {
  start({.intensity = 2, .period = 1000ms});
  kill_a();
  n.advance(600ms);
  kill_a();
  n.advance(399ms);  // t = 999 ms: all three within 1000 ms
  kill_a();
  EXPECT_TRUE(wait_down(mb, sup_mon).is_shutdown());
  auto r = reports.supervisor_reports("shutdown");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].reason.to_string(), "reached_max_restart_intensity");
}

// Rule: intensity 0 means the first exit shuts the supervisor down.
TEST_F(SupervisorIntensity, ZeroIntensityGivesUpAtTheFirstExit) {
  start({.intensity = 0, .period = 1000ms});
  kill_a();
  EXPECT_TRUE(wait_down(mb, sup_mon).is_shutdown());
  EXPECT_EQ(drain(mb), "");
}

// Rule: restarts older than the period no longer count.
TEST_F(SupervisorIntensity, RestartsOlderThanThePeriodDoNotCount) {
  start({.intensity = 2, .period = 1000ms});
  kill_a();
  kill_a();
  n.advance(1000ms);
  kill_a();
  kill_a();
  EXPECT_TRUE(sup_alive());
  kill_a();
  EXPECT_TRUE(wait_down(mb, sup_mon).is_shutdown());
}

// Rule: the window slides with each restart (it is not a fixed bucket).
TEST_F(SupervisorIntensity, TheWindowSlides) {
  start({.intensity = 2, .period = 1000ms});
  kill_a();          // t = 0
  n.advance(600ms);  //
  kill_a();          // t = 600
  n.advance(500ms);  //
  kill_a();          // t = 1100: the one at 0 expired -> {600, 1100}
  EXPECT_TRUE(sup_alive());
  n.advance(200ms);  //
  kill_a();          // t = 1300: {600, 1100, 1300} -> 3 > 2
  EXPECT_TRUE(wait_down(mb, sup_mon).is_shutdown());
}

// Rule (back-off): with a back-off, the n-th restart within the period waits
// initial * factor^(n-1), capped at max.
TEST_F(SupervisorIntensity, BackoffDelayGrowsBetweenRestarts) {
  start({.intensity = 10,
         .period = 60000ms,
         .backoff = {.initial = 100ms, .max = 400ms, .factor = 2.0}});
  const std::chrono::milliseconds expected[] = {100ms, 200ms, 400ms, 400ms};
  for (auto want : expected) {
    kill_a();
    const auto t0 = n.now();
    auto e = mb.receive<child_event>(10s);
    ASSERT_TRUE(e.has_value()) << "not restarted";
    EXPECT_EQ(e->what + e->id, "inita");
    EXPECT_EQ(n.now() - t0, want);
  }
  EXPECT_TRUE(sup_alive());
}

// Rule (back-off): while a restart is pending the child is listed as
// restarting, and restart_child and delete_child answer restarting.
TEST_F(SupervisorIntensity, BackoffPendingChildIsRestarting) {
  start({.intensity = 10, .period = 60000ms, .backoff = {.initial = 1000ms}});
  kill_a();
  auto kids = otp::supervisor::which_children(sup).get();
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_TRUE(kids[0].restarting);
  EXPECT_TRUE(kids[0].child.is_null());
  using status = otp::child_result::status;
  EXPECT_EQ(otp::supervisor::restart_child(sup, "a").get().state, status::restarting);
  EXPECT_EQ(otp::supervisor::delete_child(sup, "a").get().state, status::restarting);
}

// Rule: terminate_child on a child waiting to restart cancels the restart:
// the child stays stopped (OTP ignores a try_again for a stopped child).
TEST_F(SupervisorIntensity, TerminateChildCancelsAPendingRestart) {
  start({.intensity = 10, .period = 60000ms, .backoff = {.initial = 1000ms}});
  kill_a();
  EXPECT_TRUE(otp::supervisor::terminate_child(sup, "a").get().ok());
  EXPECT_FALSE(mb.receive<child_event>(5s).has_value());
  auto kids = otp::supervisor::which_children(sup).get();
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_FALSE(kids[0].restarting);
  EXPECT_TRUE(kids[0].child.is_null());
  auto r = otp::supervisor::restart_child(sup, "a").get();
  EXPECT_TRUE(r.ok()) << r.to_string();
}

}  // namespace

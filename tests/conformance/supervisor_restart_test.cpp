// supervisor_SUITE, groups restart_one_for_one, restart_one_for_all,
// restart_rest_for_one and restart types (permanent, transient, temporary).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
using namespace otp_test;

namespace {

class SupervisorRestart : public ::testing::Test {
 protected:
  report_log reports;
  otp::node n{reports.options()};
  otp::mailbox mb{n};
  void SetUp() override { otp::trap_exit(true); }

  otp::supervisor::ref start(otp::supervisor_flags f, std::vector<otp::child_spec> specs) {
    auto s = otp::supervisor::start_link(f, std::move(specs)).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    drain(mb);
    return s.ref();
  }
  std::vector<otp::child_spec> abc(otp::restart_type b_restart = otp::permanent) {
    return {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b", b_restart),
            logged_spec(mb.self(), "c")};
  }
  // Makes a stops_with child stop with `r` and waits until it is gone.
  void stop_child_with(otp::supervisor::ref s, const std::string& id, otp::exit_reason r) {
    otp::pid p = child_pid(s, id);
    otp::ref m = otp::monitor(p);
    otp::cast(otp::server_ref<stops_with>(p), stops_with::stop_req{std::move(r)});
    (void)wait_down(mb, m);
  }
  otp::child_spec stopper(const std::string& id, otp::restart_type r) {
    otp::child_spec c = otp::worker<stops_with>(id, mb.self(), id);
    c.restart = r;
    return c;
  }
};

// Rule (one_for_one): only the terminated child is restarted.
TEST_F(SupervisorRestart, OneForOneRestartsOnlyTheTerminatedChild) {
  auto sup = start({.intensity = 5}, abc());
  const otp::pid a = child_pid(sup, "a"), b = child_pid(sup, "b"), c = child_pid(sup, "c");
  kill_and_wait(mb, b);
  EXPECT_EQ(child_pid(sup, "a"), a);
  EXPECT_EQ(child_pid(sup, "c"), c);
  EXPECT_NE(child_pid(sup, "b"), b);
  EXPECT_TRUE(n.is_alive(child_pid(sup, "b")));
  EXPECT_EQ(drain(mb), "ib ");
}

// Rule (one_for_all): the others are stopped in reverse order, then all are
// started again in start order.
TEST_F(SupervisorRestart, OneForAllStopsOthersInReverseAndRestartsAllInOrder) {
  auto sup = start({.strategy = otp::one_for_all, .intensity = 5},
                   {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b"),
                    logged_spec(mb.self(), "c"), logged_spec(mb.self(), "d")});
  const otp::pid a = child_pid(sup, "a");
  kill_and_wait(mb, child_pid(sup, "b"));
  (void)otp::supervisor::count_children(sup).get();
  EXPECT_EQ(drain(mb), "td tc ta ia ib ic id ");
  EXPECT_NE(child_pid(sup, "a"), a);
  EXPECT_EQ(otp::supervisor::count_children(sup).get().active, 4u);
}

// Rule (rest_for_one): the later siblings are stopped in reverse and the
// terminated child and those after it started in order; earlier ones stay.
TEST_F(SupervisorRestart, RestForOneRestartsTheChildAndLaterSiblings) {
  auto sup = start({.strategy = otp::rest_for_one, .intensity = 5},
                   {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b"),
                    logged_spec(mb.self(), "c"), logged_spec(mb.self(), "d")});
  const otp::pid a = child_pid(sup, "a");
  kill_and_wait(mb, child_pid(sup, "b"));
  (void)otp::supervisor::count_children(sup).get();
  EXPECT_EQ(drain(mb), "td tc ib ic id ");
  EXPECT_EQ(child_pid(sup, "a"), a);
}

// Rule (permanent): restarted after any exit, normal included.
TEST_F(SupervisorRestart, PermanentChildIsRestartedEvenAfterNormalExit) {
  auto sup = start({.intensity = 5}, {stopper("p", otp::permanent)});
  stop_child_with(sup, "p", otp::exit_reason::normal());
  EXPECT_EQ(drain(mb), "ip ");
  EXPECT_FALSE(child_pid(sup, "p").is_null());
  EXPECT_EQ(reports.supervisor_reports("child_terminated").size(), 1u);
}

// Rule (transient): not restarted after normal, shutdown or {shutdown, _};
// the spec stays with no pid.
TEST_F(SupervisorRestart, TransientChildIsNotRestartedAfterNormalTerminations) {
  auto sup = start({.intensity = 5}, {stopper("n", otp::transient), stopper("s", otp::transient),
                                      stopper("x", otp::transient)});
  stop_child_with(sup, "n", otp::exit_reason::normal());
  stop_child_with(sup, "s", otp::exit_reason::shutdown());
  stop_child_with(sup, "x", otp::exit_reason::shutdown("because"));
  auto c = otp::supervisor::count_children(sup).get();
  EXPECT_EQ(c.specs, 3u);
  EXPECT_EQ(c.active, 0u);
  EXPECT_EQ(drain(mb), "");
  EXPECT_TRUE(reports.supervisor_reports("child_terminated").empty());
}

// Rule (transient): restarted after an abnormal exit.
TEST_F(SupervisorRestart, TransientChildIsRestartedAfterAbnormalExit) {
  auto sup = start({.intensity = 5}, {stopper("t", otp::transient)});
  stop_child_with(sup, "t", otp::exit_reason::other("boom"));
  EXPECT_EQ(drain(mb), "it ");
  EXPECT_FALSE(child_pid(sup, "t").is_null());
  kill_and_wait(mb, child_pid(sup, "t"));
  EXPECT_EQ(drain(mb), "it ");
}

// Rule (temporary): never restarted, even after an abnormal exit, and its
// spec leaves the child list.
TEST_F(SupervisorRestart, TemporaryChildIsNeverRestartedAndLeavesTheList) {
  auto sup = start({.intensity = 5}, abc(otp::temporary));
  kill_and_wait(mb, child_pid(sup, "b"));
  auto kids = otp::supervisor::which_children(sup).get();
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].id, "c");
  EXPECT_EQ(kids[1].id, "a");
  EXPECT_EQ(drain(mb), "");
}

// Rule (one_for_all): a temporary bystander is stopped but not restarted,
// and leaves the list.
TEST_F(SupervisorRestart, OneForAllDoesNotRestartTemporaryBystanders) {
  auto sup = start({.strategy = otp::one_for_all, .intensity = 5}, abc(otp::temporary));
  kill_and_wait(mb, child_pid(sup, "c"));
  auto kids = otp::supervisor::which_children(sup).get();
  EXPECT_EQ(drain(mb), "tb ta ia ic ");
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].id, "c");
  EXPECT_EQ(kids[1].id, "a");
}

// Rule (one_for_all): the death of a temporary child restarts nobody.
TEST_F(SupervisorRestart, OneForAllTemporaryChildDeathRestartsNobody) {
  auto sup = start({.strategy = otp::one_for_all, .intensity = 5}, abc(otp::temporary));
  const otp::pid a = child_pid(sup, "a");
  kill_and_wait(mb, child_pid(sup, "b"));
  EXPECT_EQ(child_pid(sup, "a"), a);
  EXPECT_EQ(drain(mb), "");
}

// Rule (intensity): the restarts of one_for_all count once per event, and
// temporary bystanders stopped on the way do not count.
TEST_F(SupervisorRestart, OneForAllCountsOneRestartPerEvent) {
  auto sup =
      start({.strategy = otp::one_for_all, .intensity = 2, .period = 10000ms}, abc(otp::temporary));
  otp::ref m = otp::monitor(sup.get_pid());
  kill_and_wait(mb, child_pid(sup, "a"));  // 1 restart; b (temporary) stopped
  kill_and_wait(mb, child_pid(sup, "c"));  // 2 restarts
  EXPECT_TRUE(n.is_alive(sup.get_pid()));
  EXPECT_EQ(otp::supervisor::count_children(sup).get().active, 2u);
  kill_and_wait(mb, child_pid(sup, "a"));  // 3: too many
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
}

}  // namespace

// supervisor_SUITE, groups auto_shutdown, supervision trees and supervisor
// reports: significant children, nested supervisors, escalation.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
using namespace otp_test;

namespace {

class SupervisorTree : public ::testing::Test {
 protected:
  report_log reports;
  otp::node n{reports.options()};
  otp::mailbox mb{n};
  void SetUp() override { otp::trap_exit(true); }

  otp::child_spec significant(const std::string& id) {
    otp::child_spec c = otp::worker<stops_with>(id, mb.self(), id);
    c.restart = otp::transient;
    c.significant = true;
    return c;
  }
  void stop_normally(otp::pid p) {
    otp::ref m = otp::monitor(p);
    otp::cast(otp::server_ref<stops_with>(p), stops_with::stop_req{otp::exit_reason::normal()});
    (void)wait_down(mb, m);
  }
};

// Rule (auto_shutdown any_significant): a significant child ending normally
// shuts the supervisor down (reason shutdown), stopping the others.
TEST_F(SupervisorTree, AnySignificantEndsTheSupervisor) {
  auto sup = otp::supervisor::start_link({.auto_shutdown = otp::auto_shutdown::any_significant},
                                         {logged_spec(mb.self(), "a"), significant("s")})
                 .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  otp::ref m = otp::monitor(sup.child);
  drain(mb);
  stop_normally(child_pid(sup.ref(), "s"));
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
  EXPECT_EQ(drain(mb), "ta ");
}

// Rule (auto_shutdown all_significant): only when the last significant child
// has ended.
TEST_F(SupervisorTree, AllSignificantWaitsForTheLast) {
  auto sup = otp::supervisor::start_link(
                 {.auto_shutdown = otp::auto_shutdown::all_significant},
                 {significant("s1"), significant("s2"), logged_spec(mb.self(), "a")})
                 .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  otp::ref m = otp::monitor(sup.child);
  drain(mb);
  stop_normally(child_pid(sup.ref(), "s1"));
  EXPECT_EQ(otp::supervisor::count_children(sup.ref()).get().active, 2u);
  stop_normally(child_pid(sup.ref(), "s2"));
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
  EXPECT_EQ(drain(mb), "ta ");
}

// Rule (auto_shutdown): a significant transient child that crashes is
// restarted, and terminate_child of a significant child does not trigger it.
TEST_F(SupervisorTree, SignificantCrashOrTerminateChildDoesNotShutDown) {
  auto sup = otp::supervisor::start_link(
                 {.intensity = 5, .auto_shutdown = otp::auto_shutdown::any_significant},
                 {significant("s")})
                 .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  drain(mb);
  kill_and_wait(mb, child_pid(sup.ref(), "s"));
  EXPECT_EQ(drain(mb), "is ");
  EXPECT_TRUE(otp::supervisor::terminate_child(sup.ref(), "s").get().ok());
  EXPECT_TRUE(n.is_alive(sup.child));
}

// Rule (trees): restarting a child supervisor restarts its static children
// only; children added to it with start_child are gone.
TEST_F(SupervisorTree, RestartedChildSupervisorHasOnlyItsStaticChildren) {
  auto outer =
      otp::supervisor::start_link(
          {.intensity = 5},
          {otp::supervisor_child("inner", {.intensity = 5},
                                 {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b")})})
          .get();
  ASSERT_TRUE(outer.is_ok()) << outer.to_string();
  const otp::supervisor::ref inner(child_pid(outer.ref(), "inner"));
  ASSERT_TRUE(otp::supervisor::start_child(inner, logged_spec(mb.self(), "dyn")).get().ok());
  EXPECT_EQ(drain(mb), "ia ib idyn ");
  kill_and_wait(mb, inner.get_pid());
  const otp::supervisor::ref inner2(child_pid(outer.ref(), "inner"));
  ASSERT_FALSE(inner2.get_pid().is_null());
  EXPECT_NE(inner2.get_pid(), inner.get_pid());
  auto kids = otp::supervisor::which_children(inner2).get();
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].id, "b");
  EXPECT_EQ(kids[1].id, "a");
  // The old children (trapping exits) ran terminate on their parent's exit;
  // only the static ones started again.
  const std::string events = " " + drain(mb);
  EXPECT_NE(events.find(" ia "), std::string::npos) << events;
  EXPECT_NE(events.find(" ib "), std::string::npos) << events;
  EXPECT_EQ(events.find(" idyn "), std::string::npos) << events;
}

// Rule (trees): a supervisor exceeding its intensity exits with shutdown, and
// its parent restarts it like any permanent child.
TEST_F(SupervisorTree, ExceededIntensityEscalatesToTheParent) {
  auto outer =
      otp::supervisor::start_link(
          {.intensity = 5},
          {otp::supervisor_child("inner", {.intensity = 0},
                                 {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b")})})
          .get();
  ASSERT_TRUE(outer.is_ok()) << outer.to_string();
  drain(mb);
  const otp::pid inner = child_pid(outer.ref(), "inner");
  otp::ref m = otp::monitor(inner);
  kill_and_wait(mb, child_pid(otp::supervisor::ref(inner), "a"));
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
  const otp::pid inner2 = child_pid(outer.ref(), "inner");
  EXPECT_NE(inner2, inner);
  EXPECT_TRUE(n.is_alive(inner2));
  EXPECT_EQ(drain(mb), "tb ia ib ");
  auto gave_up = reports.supervisor_reports("shutdown");
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_EQ(gave_up[0].from, inner);
  auto terminated = reports.supervisor_reports("child_terminated");
  ASSERT_EQ(terminated.size(), 2u);  // a in inner, then inner in outer
  EXPECT_EQ(terminated[1].field("id"), "inner");
  EXPECT_TRUE(terminated[1].reason.is_shutdown());
}

// Rule (reports): a child's exit gives child_terminated with its id and reason.
TEST_F(SupervisorTree, ChildTerminatedReportNamesTheChildAndReason) {
  auto sup = otp::supervisor::start_link({.intensity = 5}, {logged_spec(mb.self(), "a")}).get();
  ASSERT_TRUE(sup.is_ok());
  const otp::pid a = child_pid(sup.ref(), "a");
  kill_and_wait(mb, a);
  (void)otp::supervisor::count_children(sup.ref()).get();
  auto r = reports.supervisor_reports("child_terminated");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].from, sup.child);
  EXPECT_EQ(r[0].field("id"), "a");
  EXPECT_EQ(r[0].field("pid"), a.to_string());
  EXPECT_EQ(r[0].field("restart_type"), "permanent");
  EXPECT_TRUE(r[0].reason.is(otp::exit_reason::kind::killed));
}

// A start function that starts a logged worker the first time and fails after.
otp::child_spec starts_once(otp::pid log, const std::string& id) {
  otp::child_spec c = logged_spec(log, id);
  auto first = std::make_shared<bool>(true);
  c.start = [log, id, first]() -> otp::task<otp::start_result> {
    if (!*first) co_return otp::start_result::error(otp::exit_reason::other("no restart"));
    *first = false;
    const otp::start_options o;
    co_return co_await otp::gen_server::start_link<logged>(o, log, id);
  };
  return c;
}

// Rule (reports): a failing restart gives start_error, is retried (each try
// counting as a restart), and exceeding the intensity gives a shutdown report
// with reached_max_restart_intensity.
TEST_F(SupervisorTree, FailingRestartsReportStartErrorThenShutdown) {
  auto sup = otp::supervisor::start_link({.intensity = 3}, {starts_once(mb.self(), "a")}).get();
  ASSERT_TRUE(sup.is_ok());
  otp::ref m = otp::monitor(sup.child);
  kill_and_wait(mb, child_pid(sup.ref(), "a"));
  EXPECT_TRUE(wait_down(mb, m).is_shutdown());
  EXPECT_EQ(reports.supervisor_reports("child_terminated").size(), 1u);
  auto errs = reports.supervisor_reports("start_error");
  ASSERT_EQ(errs.size(), 3u);
  EXPECT_EQ(errs[0].reason.to_string(), "no restart");
  auto gave_up = reports.supervisor_reports("shutdown");
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_EQ(gave_up[0].reason.to_string(), "reached_max_restart_intensity");
}

// Rule (reports): node_options.reports = false emits no supervisor report.
TEST(SupervisorReportsOff, NoReportsWhenTurnedOff) {
  report_log log;
  otp::node_options o = log.options();
  o.reports = false;
  otp::node n(o);
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = otp::supervisor::start_link({.intensity = 5}, {logged_spec(mb.self(), "a")}).get();
  ASSERT_TRUE(sup.is_ok());
  kill_and_wait(mb, child_pid(sup.ref(), "a"));
  (void)otp::supervisor::count_children(sup.ref()).get();
  EXPECT_TRUE(log.supervisor_reports("child_terminated").empty());
}

}  // namespace

namespace {

// A `held` worker registered as `name`.
otp::child_spec named_held(otp::pid log, const std::string& name) {
  otp::child_spec c;
  c.id = name;
  c.start = [log, name]() -> otp::task<otp::start_result> {
    otp::start_options o;
    o.name = name;
    co_return co_await otp::gen_server::start_link<held>(o, log, name);
  };
  return c;
}

// Rule: a supervisor killed while its child is still shutting down is
// restarted by its parent, and the new incarnation's child waits for the old
// one (whose parent is gone, so it is exiting) to release its registered name
// instead of failing with already_started and exhausting the parent's
// intensity (the chaos process kills supervisors mid-restart this way).
TEST_F(SupervisorTree, ARestartedSupervisorsChildWaitsForItsOrphanedPredecessorsName) {
  auto root =
      otp::supervisor::start_link({.intensity = 1, .period = 5000ms},
                                  {otp::supervisor_child("s", {}, {named_held(mb.self(), "w")})})
          .get();
  ASSERT_TRUE(root.is_ok()) << root.to_string();
  const otp::pid s = child_pid(root.ref(), "s");
  const otp::pid w = otp::whereis("w");
  ASSERT_FALSE(w.is_null());

  otp::exit(s, otp::exit_reason::kill());
  n.run_until_idle();  // w runs terminate (held), the root restarts s, the new w waits
  EXPECT_EQ(drain(mb), "tw ");
  EXPECT_FALSE(mb.receive<otp::exit_msg>(0ms).has_value()) << "the root gave up";
  EXPECT_EQ(otp::whereis("w"), w) << "the old w still holds the name while it terminates";

  otp::send(w, release{});
  n.run_until_idle();
  const otp::pid s2 = child_pid(root.ref(), "s");
  EXPECT_NE(s2, s);
  const otp::pid w2 = otp::whereis("w");
  EXPECT_FALSE(w2.is_null());
  EXPECT_NE(w2, w);
  EXPECT_EQ(child_pid(otp::supervisor::ref(s2), "w"), w2);
  EXPECT_FALSE(mb.receive<otp::exit_msg>(0ms).has_value());
}

}  // namespace

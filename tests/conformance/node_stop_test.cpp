// What a program sees when its node stops with supervision trees running
// (main returns, or node::stop): each tree is shut down from its top, in
// reverse start order with every shutdown spec honoured, as an Erlang node
// stopping its applications (init:stop/0); nothing is restarted and the stop
// itself causes no report. And stopping a supervisor from main:
// supervisor::stop, and the public otp::mailbox_exit a non-trapping main
// gets when a linked supervisor ends abnormally.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "otp/otp.hpp"

namespace {

/// What happened, in order, written from any thread.
struct journal {
  std::mutex mu;
  std::vector<std::string> lines;
  void add(std::string s) {
    std::lock_guard lk(mu);
    lines.push_back(std::move(s));
  }
  std::string joined() {
    std::lock_guard lk(mu);
    std::string out;
    for (const auto& l : lines) out += l + " ";
    return out;
  }
};

/// A worker that traps exits and writes "+id" at init, "-id" at terminate.
struct noted {
  std::shared_ptr<journal> j;
  std::string id;
  noted(std::shared_ptr<journal> jj, std::string i) : j(std::move(jj)), id(std::move(i)) {
    otp::trap_exit(true);
    j->add("+" + id);
  }
  void terminate(const otp::exit_reason&) { j->add("-" + id); }
};

otp::child_spec noted_child(const std::shared_ptr<journal>& j, const std::string& id) {
  return otp::worker<noted>(id, j, id);
}

// Rule: a node stopping with a tree running (a supervisor linked to main's
// mailbox, two nested supervisors below it) stops it top-down in reverse
// start order, and emits no report: no child_terminated, no start_error, no
// crash report.
TEST(NodeStop, ATreeRunningWhenMainReturnsStopsInReverseStartOrderWithoutReports) {
  auto j = std::make_shared<journal>();
  auto reports = std::make_shared<journal>();
  {
    otp::node n({.schedulers = 2,
                 .on_report = [reports](const otp::report& r) { reports->add(r.headline); }});
    otp::mailbox mb(n);
    auto root =
        otp::supervisor::start_link(
            {},
            {noted_child(j, "a"),
             otp::supervisor_child(
                 "mid", {},
                 {noted_child(j, "b"),
                  otp::supervisor_child("leaf", {}, {noted_child(j, "c"), noted_child(j, "d")})}),
             noted_child(j, "e")})
            .get();
    ASSERT_TRUE(root.is_ok()) << root.to_string();
  }  // the mailbox goes, then the node stops
  EXPECT_EQ(j->joined(), "+a +b +c +d +e -e -d -c -b -a ");
  EXPECT_EQ(reports->joined(), "");
}

// Rule: node::stop called by hand (main keeps its mailbox) does the same.
TEST(NodeStop, NodeStopShutsATreeDownInOrderWithoutReports) {
  auto j = std::make_shared<journal>();
  auto reports = std::make_shared<journal>();
  otp::node n({.schedulers = 2,
               .on_report = [reports](const otp::report& r) { reports->add(r.headline); }});
  {
    otp::mailbox mb(n);
    otp::trap_exit(true);
    auto root =
        otp::supervisor::start_link(
            {}, {noted_child(j, "a"),
                 otp::supervisor_child("mid", {}, {noted_child(j, "b"), noted_child(j, "c")})})
            .get();
    ASSERT_TRUE(root.is_ok()) << root.to_string();
    n.stop();
  }
  EXPECT_EQ(j->joined(), "+a +b +c -c -b -a ");
  EXPECT_EQ(reports->joined(), "");
}

// Rule: a child its parent spawned linked and then unlinked is not left to
// the parent: once the parent has ended it is a top of its own and gets
// shutdown too (not killed after the grace time).
TEST(NodeStop, AChildItsParentUnlinkedGetsShutdownOnceTheParentHasEnded) {
  auto j = std::make_shared<journal>();
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  {
    otp::mailbox mb(n);
    n.spawn(
        [](std::shared_ptr<journal> j, otp::pid ready) -> otp::proc {
          const otp::pid child = otp::spawn_link(
              [](std::shared_ptr<journal> j) -> otp::proc {
                otp::trap_exit(true);
                const otp::exit_msg e = co_await otp::receive<otp::exit_msg>();
                j->add("child got " + e.reason.to_string());
              },
              j);
          otp::unlink(child);
          otp::send(ready, child);
          co_await otp::receive([](int) {});  // until the node stops
        },
        j, mb.self());
    (void)mb.receive<otp::pid>();
  }
  n.stop();
  EXPECT_EQ(j->joined(), "child got shutdown ");
}

// Rule: supervisor::stop and dynamic_supervisor::stop stop the tree in
// reverse start order; a main that traps exits goes on (the idiom the guide
// shows).
TEST(NodeStop, SupervisorStopFromATrappingMainStopsTheTreeAndMainGoesOn) {
  auto j = std::make_shared<journal>();
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = otp::supervisor::start_link({}, {noted_child(j, "a"), noted_child(j, "b")}).get();
  auto dyn = otp::dynamic_supervisor::start_link().get();
  ASSERT_TRUE(sup.is_ok() && dyn.is_ok());
  ASSERT_TRUE(otp::dynamic_supervisor::start_child(dyn.ref(), noted_child(j, "c")).get().is_ok());
  otp::supervisor::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  otp::dynamic_supervisor::stop(dyn.ref()).get();
  EXPECT_EQ(j->joined(), "+a +b +c -b -a -c ");
  EXPECT_FALSE(n.is_alive(sup.child));
  EXPECT_FALSE(n.is_alive(dyn.child));
  // The exits of the two linked supervisors arrive as messages.
  EXPECT_TRUE(mb.receive<otp::exit_msg>().reason.is_shutdown());
  EXPECT_TRUE(mb.receive<otp::exit_msg>().reason.is_normal());
}

// Rule: a main that does not trap exits and stops its linked supervisor
// with an abnormal reason dies with it, as in OTP: the call throws the public
// otp::mailbox_exit, whose what() names the reason and the remedy.
TEST(NodeStop, AMainThatDoesNotTrapExitsGetsMailboxExitNamingTheReason) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  auto sup = otp::supervisor::start_link({}, {}).get();
  ASSERT_TRUE(sup.is_ok());
  try {
    otp::supervisor::stop(sup.ref(), otp::exit_reason::shutdown()).get();
    (void)mb.receive<int>(std::chrono::milliseconds(0));  // a stop that returned: look again
    FAIL() << "main survived its linked supervisor's shutdown";
  } catch (const otp::mailbox_exit& e) {
    EXPECT_TRUE(e.reason().is_shutdown());
    const std::string what = e.what();
    EXPECT_NE(what.find("shutdown"), std::string::npos) << what;
    EXPECT_NE(what.find("trap_exit(true)"), std::string::npos) << what;
  }
  // Every later receive says the same.
  EXPECT_THROW((void)mb.receive<int>(std::chrono::milliseconds(0)), otp::mailbox_exit);
}

}  // namespace

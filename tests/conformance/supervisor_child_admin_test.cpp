// supervisor_SUITE, group sup_start_child / child administration:
// start_child, terminate_child, restart_child, delete_child, which_children,
// count_children and get_childspec, with every return shape.
#include <gtest/gtest.h>

#include <any>
#include <chrono>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
using namespace otp_test;
using child_status = otp::child_result::status;

namespace {

class SupervisorAdmin : public ::testing::Test {
 protected:
  otp::node n{quiet_manual()};
  otp::mailbox mb{n};
  otp::supervisor::ref sup;
  void SetUp() override {
    otp::trap_exit(true);
    auto s = otp::supervisor::start_link({.intensity = 10}, {logged_spec(mb.self(), "a")}).get();
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    sup = s.ref();
    drain(mb);
  }
};

// Rule: start_child starts the child and returns {ok, Pid}.
TEST_F(SupervisorAdmin, StartChildReturnsThePid) {
  auto r = otp::supervisor::start_child(sup, logged_spec(mb.self(), "b")).get();
  ASSERT_TRUE(r.ok()) << r.to_string();
  EXPECT_TRUE(n.is_alive(r.child));
  EXPECT_EQ(drain(mb), "ib ");
  EXPECT_EQ(child_pid(sup, "b"), r.child);
}

/// A spec whose start returns {ok, Pid, Info} with Info = "info of <id>".
otp::child_spec spec_with_info(otp::pid log, const std::string& id) {
  otp::child_spec c = logged_spec(log, id, otp::transient);
  c.start = [log, id]() -> otp::task<otp::start_result> {
    otp::start_result r = co_await otp::gen_server::start_link<logged>(log, id);
    if (!r.is_ok()) co_return r;
    co_return otp::start_result::ok(r.child, std::string("info of " + id));
  };
  return c;
}

// Rule (supervisor_SUITE sup_start_ok_ok, start function returning
// {ok, Pid, Info}): start_child returns {ok, Pid, Info}, and so does
// restart_child of that child once stopped.
TEST_F(SupervisorAdmin, StartChildAndRestartChildReturnTheStartFunctionsInfo) {
  auto r = otp::supervisor::start_child(sup, spec_with_info(mb.self(), "b")).get();
  ASSERT_TRUE(r.ok()) << r.to_string();
  ASSERT_TRUE(r.info.has_value());
  EXPECT_EQ(std::any_cast<std::string>(r.info), "info of b");
  EXPECT_EQ(r.to_string(), "{ok," + r.child.to_string() + ",\"info of b\"}");
  ASSERT_TRUE(otp::supervisor::terminate_child(sup, "b").get().ok());
  auto again = otp::supervisor::restart_child(sup, "b").get();
  ASSERT_TRUE(again.ok()) << again.to_string();
  EXPECT_EQ(std::any_cast<std::string>(again.info), "info of b");
  // A plain start carries none.
  auto plain = otp::supervisor::start_child(sup, logged_spec(mb.self(), "c")).get();
  EXPECT_FALSE(plain.info.has_value());
  EXPECT_EQ(plain.to_string(), "{ok," + plain.child.to_string() + "}");
}

// Rule (dynamic_supervisor start_child returning {ok, Pid, Info}): the Info
// reaches the caller.
TEST_F(SupervisorAdmin, DynamicSupervisorStartChildReturnsTheInfo) {
  auto d = otp::dynamic_supervisor::start_link({}).get();
  ASSERT_TRUE(d.is_ok()) << d.to_string();
  auto r = otp::dynamic_supervisor::start_child(d.ref(), spec_with_info(mb.self(), "d")).get();
  ASSERT_TRUE(r.is_ok()) << r.to_string();
  EXPECT_EQ(std::any_cast<std::string>(r.info), "info of d");
}

// Rule: start_child with the id of a running child gives already_started
// with that child's pid.
TEST_F(SupervisorAdmin, StartChildWithARunningIdIsAlreadyStarted) {
  const otp::pid a = child_pid(sup, "a");
  auto r = otp::supervisor::start_child(sup, logged_spec(mb.self(), "a")).get();
  EXPECT_EQ(r.state, child_status::already_started) << r.to_string();
  EXPECT_EQ(r.child, a);
  EXPECT_EQ(drain(mb), "");
}

// Rule (supervisor_SUITE sup_start_child, a start returning
// {error, {already_started, Pid}}): a child whose registered name another
// process holds gives {error, {already_started, Holder}} with the holder's
// pid, and no spec is kept.
TEST_F(SupervisorAdmin, StartChildWhoseNameIsHeldIsAlreadyStartedWithTheHolder) {
  auto holder = otp::gen_server::start_link<logged>({.name = "taken"}, mb.self(), "h").get();
  ASSERT_TRUE(holder.is_ok());
  drain(mb);
  auto r =
      otp::supervisor::start_child(sup, otp::named_worker<logged>("b", "taken", mb.self(), "b"))
          .get();
  EXPECT_EQ(r.state, child_status::already_started) << r.to_string();
  EXPECT_EQ(r.child, holder.child);
  EXPECT_EQ(r.to_string(), "{error,{already_started," + holder.child.to_string() + "}}");
  EXPECT_FALSE(otp::supervisor::get_childspec(sup, "b").get().has_value());
}

// Rule: start_child with the id of a stopped child gives already_present.
TEST_F(SupervisorAdmin, StartChildWithAStoppedIdIsAlreadyPresent) {
  ASSERT_TRUE(otp::supervisor::terminate_child(sup, "a").get().ok());
  auto r = otp::supervisor::start_child(sup, logged_spec(mb.self(), "a")).get();
  EXPECT_EQ(r.state, child_status::already_present) << r.to_string();
}

// Rule: a start_child whose start fails gives {error, Reason} and keeps no spec.
TEST_F(SupervisorAdmin, StartChildWhoseStartFailsIsAnErrorAndNotKept) {
  auto r = otp::supervisor::start_child(sup, otp::worker<fails_to_start>("bad", 1)).get();
  EXPECT_EQ(r.state, child_status::error);
  EXPECT_NE(r.reason.to_string().find("no start"), std::string::npos) << r.reason;
  EXPECT_FALSE(otp::supervisor::get_childspec(sup, "bad").get().has_value());
}

// Rule: start_child with an invalid spec gives {error, invalid_child_spec}.
TEST_F(SupervisorAdmin, StartChildWithAnInvalidSpecIsAnError) {
  auto r = otp::supervisor::start_child(sup, logged_spec(mb.self(), "")).get();
  EXPECT_EQ(r.state, child_status::error);
  EXPECT_NE(r.reason.to_string().find("invalid_child_spec"), std::string::npos) << r.reason;
}

// Rule: terminate_child stops the child; the spec stays; unknown id: not_found.
TEST_F(SupervisorAdmin, TerminateChildKeepsTheSpec) {
  const otp::pid a = child_pid(sup, "a");
  EXPECT_TRUE(otp::supervisor::terminate_child(sup, "a").get().ok());
  EXPECT_FALSE(n.is_alive(a));
  EXPECT_EQ(drain(mb), "ta ");
  auto kids = otp::supervisor::which_children(sup).get();
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_TRUE(kids[0].child.is_null());
  EXPECT_EQ(otp::supervisor::terminate_child(sup, "zz").get().state, child_status::not_found);
}

// Rule: terminate_child of a temporary child removes its spec.
TEST_F(SupervisorAdmin, TerminateChildRemovesATemporarySpec) {
  ASSERT_TRUE(
      otp::supervisor::start_child(sup, logged_spec(mb.self(), "t", otp::temporary)).get().ok());
  EXPECT_TRUE(otp::supervisor::terminate_child(sup, "t").get().ok());
  EXPECT_FALSE(otp::supervisor::get_childspec(sup, "t").get().has_value());
}

// Rule: restart_child: running when running, not_found when unknown, else
// starts it again from its spec.
TEST_F(SupervisorAdmin, RestartChildRunningNotFoundAndOk) {
  EXPECT_EQ(otp::supervisor::restart_child(sup, "a").get().state, child_status::running);
  EXPECT_EQ(otp::supervisor::restart_child(sup, "zz").get().state, child_status::not_found);
  const otp::pid old = child_pid(sup, "a");
  ASSERT_TRUE(otp::supervisor::terminate_child(sup, "a").get().ok());
  drain(mb);
  auto r = otp::supervisor::restart_child(sup, "a").get();
  ASSERT_TRUE(r.ok()) << r.to_string();
  EXPECT_NE(r.child, old);
  EXPECT_TRUE(n.is_alive(r.child));
  EXPECT_EQ(child_pid(sup, "a"), r.child);
  EXPECT_EQ(drain(mb), "ia ");
}

// Rule: delete_child: running when running, not_found when unknown, else
// removes the spec.
TEST_F(SupervisorAdmin, DeleteChildRunningNotFoundAndOk) {
  EXPECT_EQ(otp::supervisor::delete_child(sup, "a").get().state, child_status::running);
  EXPECT_EQ(otp::supervisor::delete_child(sup, "zz").get().state, child_status::not_found);
  ASSERT_TRUE(otp::supervisor::terminate_child(sup, "a").get().ok());
  EXPECT_TRUE(otp::supervisor::delete_child(sup, "a").get().ok());
  EXPECT_TRUE(otp::supervisor::which_children(sup).get().empty());
  EXPECT_EQ(otp::supervisor::restart_child(sup, "a").get().state, child_status::not_found);
  // The id is free again.
  EXPECT_TRUE(otp::supervisor::start_child(sup, logged_spec(mb.self(), "a")).get().ok());
}

// Rule: which_children lists the newest child first, with its type.
TEST_F(SupervisorAdmin, WhichChildrenListsNewestFirst) {
  ASSERT_TRUE(otp::supervisor::start_child(sup, logged_spec(mb.self(), "b")).get().ok());
  ASSERT_TRUE(otp::supervisor::start_child(sup, otp::supervisor_child("s", {}, {})).get().ok());
  auto kids = otp::supervisor::which_children(sup).get();
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_EQ(kids[0].id, "s");
  EXPECT_EQ(kids[0].type, otp::child_type::supervisor);
  EXPECT_EQ(kids[1].id, "b");
  EXPECT_EQ(kids[2].id, "a");
  EXPECT_EQ(kids[2].type, otp::child_type::worker);
}

// Rule: count_children counts specs, running children, supervisors, workers.
TEST_F(SupervisorAdmin, CountChildrenCountsSpecsActiveAndTypes) {
  ASSERT_TRUE(otp::supervisor::start_child(sup, logged_spec(mb.self(), "b")).get().ok());
  ASSERT_TRUE(otp::supervisor::start_child(sup, otp::supervisor_child("s", {}, {})).get().ok());
  ASSERT_TRUE(otp::supervisor::terminate_child(sup, "b").get().ok());
  auto c = otp::supervisor::count_children(sup).get();
  EXPECT_EQ(c.specs, 3u);
  EXPECT_EQ(c.active, 2u);
  EXPECT_EQ(c.supervisors, 1u);
  EXPECT_EQ(c.workers, 2u);
}

// Rule: get_childspec returns the spec as given, or not_found.
TEST_F(SupervisorAdmin, GetChildspecReturnsTheSpec) {
  otp::child_spec b = logged_spec(mb.self(), "b", otp::transient);
  b.shutdown = otp::brutal_kill;
  ASSERT_TRUE(otp::supervisor::start_child(sup, b).get().ok());
  auto got = otp::supervisor::get_childspec(sup, "b").get();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, "b");
  EXPECT_EQ(got->restart, otp::transient);
  EXPECT_TRUE(got->effective_shutdown().is_brutal_kill());
  EXPECT_FALSE(otp::supervisor::get_childspec(sup, "zz").get().has_value());
}

// Rule: start_child whose start returns ignore gives ok with no pid and keeps
// the spec (not for temporary children).
TEST_F(SupervisorAdmin, StartChildIgnoredKeepsTheSpecUnlessTemporary) {
  auto r = otp::supervisor::start_child(sup, otp::worker<ignores>("i", 1)).get();
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.child.is_null());
  EXPECT_TRUE(otp::supervisor::get_childspec(sup, "i").get().has_value());
  otp::child_spec t = otp::worker<ignores>("t", 1);
  t.restart = otp::temporary;
  EXPECT_TRUE(otp::supervisor::start_child(sup, t).get().ok());
  EXPECT_FALSE(otp::supervisor::get_childspec(sup, "t").get().has_value());
}

}  // namespace

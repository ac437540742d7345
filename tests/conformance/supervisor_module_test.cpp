// Module-style supervisors (a callback type whose init() returns the flags
// and child specs, ignore, or an error), mirroring supervisor:start_link/2,3
// with Module:init/1 and supervisor_SUITE's sup_start_ignore_init,
// sup_start_error_return and restart of a supervisor child.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace otp_test;

namespace {

enum class sup_init_outcome { ok, ignore, error, raise };

/// Logs "init <sup>" each time init runs, then does what it is told; with
/// ok, starts workers "a" and "b" one_for_all.
struct shop_sup {
  otp::pid log;
  sup_init_outcome what;
  shop_sup(otp::pid l, sup_init_outcome w) : log(l), what(w) {}
  otp::supervisor::init_result init() {
    otp::send(log, child_event{"init", "sup"});
    switch (what) {
      case sup_init_outcome::ok:
        break;
      case sup_init_outcome::ignore:
        return otp::supervisor::init_result::ignore();
      case sup_init_outcome::error:
        return otp::supervisor::init_result::error(otp::exit_reason::other("no_config"));
      case sup_init_outcome::raise:
        throw std::runtime_error("init failed");
    }
    return otp::supervisor::init_result::ok({.strategy = otp::one_for_all, .intensity = 5},
                                            {logged_spec(log, "a"), logged_spec(log, "b")});
  }
};

/// Its init returns invalid flags.
struct bad_flags_sup {
  otp::supervisor::init_result init() {
    return otp::supervisor::init_result::ok({.intensity = -1}, {});
  }
};

class SupervisorModule : public ::testing::Test {
 protected:
  otp::node n{quiet_manual()};
  otp::mailbox mb{n};
  void SetUp() override { otp::trap_exit(true); }
};

// Rule: init's flags and children are used: the children start in order,
// and the strategy (one_for_all here) decides restarts.
TEST_F(SupervisorModule, InitGivesTheFlagsAndChildren) {
  auto s = otp::supervisor::start_link<shop_sup>(mb.self(), sup_init_outcome::ok).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(drain(mb), "isup ia ib ");
  kill_and_wait(mb, child_pid(s.ref(), "a"));
  EXPECT_EQ(drain(mb), "tb ia ib ");  // one_for_all: b stopped, both started again
}

// Rule (sup_start_ignore_init): init returning ignore makes start_link
// return ignore; the supervisor process is gone.
TEST_F(SupervisorModule, InitIgnoreReturnsIgnore) {
  auto s = otp::supervisor::start_link<shop_sup>(mb.self(), sup_init_outcome::ignore).get();
  EXPECT_TRUE(s.is_ignore()) << s.to_string();
  EXPECT_EQ(drain(mb), "isup ");
}

// Rule (sup_start_error_return): init's error is start_link's {error, R},
// and no child starts.
TEST_F(SupervisorModule, InitErrorIsStartLinksError) {
  auto s = otp::supervisor::start_link<shop_sup>(mb.self(), sup_init_outcome::error).get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  EXPECT_EQ(s.reason, otp::exit_reason::other("no_config"));
  EXPECT_EQ(drain(mb), "isup ");
}

// Rule: an exception from init is {error, Exception}.
TEST_F(SupervisorModule, InitThrowingIsAnError) {
  auto s = otp::supervisor::start_link<shop_sup>(mb.self(), sup_init_outcome::raise).get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  EXPECT_EQ(s.reason.detail(), "init failed");
}

// Rule: flags from init are checked as start_link(flags, specs) checks them.
TEST_F(SupervisorModule, InvalidFlagsFromInitAreABadFlagsError) {
  auto s = otp::supervisor::start_link<bad_flags_sup>().get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  EXPECT_NE(s.reason.to_string().find("bad_flags"), std::string::npos) << s.to_string();
}

// Rule: a module-style supervisor under another runs init again each time
// it is restarted, and its children come back with it.
TEST_F(SupervisorModule, ARestartedModuleSupervisorRunsInitAgain) {
  auto top = otp::supervisor::start_link(
                 {.intensity = 5},
                 {otp::supervisor_child<shop_sup>("shop", mb.self(), sup_init_outcome::ok)})
                 .get();
  ASSERT_TRUE(top.is_ok()) << top.to_string();
  EXPECT_EQ(drain(mb), "isup ia ib ");
  const auto specs = otp::supervisor::which_children(top.ref()).get();
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].type, otp::child_type::supervisor);
  kill_and_wait(mb, specs[0].child);
  // a and b end with their killed parent (each logs its terminate) while
  // the top starts the supervisor again: init, then a and b.
  const std::string after = drain(mb);
  EXPECT_NE(after.find("isup ia ib "), std::string::npos) << after;
  const otp::pid again = child_pid(top.ref(), "shop");
  EXPECT_TRUE(n.is_alive(again));
  EXPECT_NE(again, specs[0].child);
}

}  // namespace

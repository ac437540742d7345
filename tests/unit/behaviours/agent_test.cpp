#include "otp/behaviours/agent.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::quiet_manual;

// Rule (Agent.start_link/get): the agent starts with the given value, and get
// with no function returns a copy of it.
TEST(Agent, StartsWithAValueAndGetReturnsACopy) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto a = otp::agent<std::vector<int>>::start_link(std::vector<int>{1, 2}).get();
  ASSERT_TRUE(a.is_ok()) << a.to_string();
  EXPECT_EQ(a.ref().get().get(), (std::vector<int>{1, 2}));
  EXPECT_EQ(a.ref().get([](const std::vector<int>& v) { return v.size(); }).get(), 2u);
}

// Rule (Agent.start_link with a fun): the initial state is computed in the
// agent's process; a throwing fun fails the start with its exception.
TEST(Agent, InitFunctionRunsInTheAgentAndItsExceptionFailsTheStart) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto a = otp::agent<otp::pid>::start_link(otp::init_with([] { return otp::self(); })).get();
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a.ref().get().get(), a.child);
  auto bad = otp::agent<int>::start_link(otp::init_with([]() -> int {
               throw std::runtime_error("no state");
             })).get();
  ASSERT_TRUE(bad.is_error());
  EXPECT_NE(bad.reason.to_string().find("no state"), std::string::npos) << bad.reason;
}

// Rule (Agent.update): the state becomes f(state); f may also change it in place.
TEST(Agent, UpdateReplacesOrChangesTheState) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::agent<int> a = otp::agent<int>::start_link(1).get().ref();
  a.update([](int x) { return x + 41; }).get();
  EXPECT_EQ(a.get().get(), 42);
  a.update([](int& x) { x *= 2; }).get();
  EXPECT_EQ(a.get().get(), 84);
}

// Rule (Agent.get_and_update): f returns {reply, new_state}; the caller gets
// the reply and the state is replaced.
TEST(Agent, GetAndUpdateRepliesAndReplacesTheState) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::agent<std::string> a = otp::agent<std::string>::start_link(std::string("ab")).get().ref();
  std::size_t len = a.get_and_update([](std::string s) {
                       return std::pair{s.size(), s + "c"};
                     }).get();
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(a.get().get(), "abc");
}

// Rule (Agent.child_spec/1): an agent is a child like any other: a
// supervisor starts it with its initial state and name, and restarts it.
TEST(Agent, ChildSpecStartsItUnderASupervisorByName) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  auto sup =
      otp::supervisor::start_link({}, {otp::agent<int>::child_spec("count", 41, {.name = "count"})})
          .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  const otp::agent<int> a(otp::server_name("count"));
  EXPECT_EQ(a.get().get(), 41);
  const otp::pid first = a.get_pid();
  otp::exit(first, otp::exit_reason::kill());
  n.run_until_idle();
  EXPECT_NE(a.get_pid(), first);
  EXPECT_EQ(a.get().get(), 41);  // restarted with its initial state
}

// Rule (Agent.cast): the update is applied asynchronously, in order with
// later requests from the same caller.
TEST(Agent, CastUpdatesWithoutWaiting) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::agent<int> a = otp::agent<int>::start_link(0).get().ref();
  for (int i = 0; i < 10; ++i) a.cast([](int x) { return x + 1; });
  EXPECT_EQ(a.get().get(), 10);
}

// Rule (Agent in processes): the same calls are awaited inside a process.
TEST(Agent, CallsAreAwaitedInsideAProcess) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::agent<int> a = otp::agent<int>::start_link(5).get().ref();
  n.spawn(
      [](otp::agent<int> ag, otp::pid to) -> otp::proc {
        co_await ag.update([](int x) { return x * 3; });
        const int old = co_await ag.get_and_update([](int x) { return std::pair{x, x + 1}; });
        const int now = co_await ag.get();
        otp::send(to, std::pair{old, now});
      },
      a, mb.self());
  EXPECT_EQ((mb.receive<std::pair<int, int>>()), (std::pair{15, 16}));
}

// Rule (Agent crash): a function that throws crashes the agent with the
// exception, and the caller exits with that reason.
TEST(Agent, ThrowingFunctionCrashesTheAgentAndTheCallerExits) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  otp::agent<int> a = otp::agent<int>::start_link(0).get().ref();
  otp::ref m = otp::monitor(a.get_pid());
  try {
    (void)a.get([](int) -> int { throw std::runtime_error("bad fun"); }).get();
    FAIL() << "the call returned";
  } catch (const otp::exit_error& e) {
    EXPECT_NE(e.reason().to_string().find("bad fun"), std::string::npos) << e.reason();
  }
  auto down = mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                   [](otp::down_msg&& d) { return d; }));
  EXPECT_NE(down.reason.to_string().find("bad fun"), std::string::npos) << down.reason;
}

// Rule (Agent.stop): the agent ends with the reason; later calls exit noproc.
TEST(Agent, StopEndsTheAgent) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::agent<int> a = otp::agent<int>::start_link(0).get().ref();
  const otp::pid p = a.get_pid();
  a.stop().get();
  EXPECT_FALSE(otp::is_alive(p));
  try {
    (void)a.get().get();
    FAIL() << "the call returned";
  } catch (const otp::exit_error& e) {
    EXPECT_TRUE(e.reason().is(otp::exit_reason::kind::noproc)) << e.reason();
  }
}

// Rule (named agent): an agent started with a name is reached by that name.
TEST(Agent, NamedAgentIsReachedByName) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::start_options o;
  o.name = otp::server_name("counter");
  ASSERT_TRUE(otp::agent<int>::start_link(o, 7).get());
  EXPECT_EQ(otp::agent<int>(otp::server_name("counter")).get().get(), 7);
}

}  // namespace

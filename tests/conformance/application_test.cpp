// application (OTP's application controller): start order, the three
// restart types, stop order, each error of start / ensure_all_started / stop.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
using namespace otp_test;

namespace {

/// An application whose root supervisor ("NAME_sup") has one logged child
/// with id NAME; prep_stop and stop send "prep_stop"/"stop" events to `log`.
otp::application_spec logged_app(const std::string& name, otp::pid log,
                                 std::vector<std::string> deps = {}) {
  otp::application_spec s;
  s.name = name;
  s.version = "1.0";
  s.description = "the " + name + " application";
  s.applications = std::move(deps);
  s.start = [name, log](otp::start_type) -> otp::task<otp::start_result> {
    otp::start_options o;
    o.name = name + "_sup";
    co_return co_await otp::supervisor::start_link({}, {logged_spec(log, name)}, o);
  };
  s.prep_stop = [name, log] { otp::send(log, child_event{"prep_stop", name}); };
  s.stop = [name, log] { otp::send(log, child_event{"stop", name}); };
  return s;
}

std::vector<std::string> running_apps(otp::node& n) {
  std::vector<std::string> out;
  for (const auto& a : otp::application::which_applications(n)) out.push_back(a.name);
  return out;
}

class Application : public ::testing::Test {
 protected:
  report_log reports;
  otp::node n{reports.options()};
  otp::mailbox mb{n};
  void SetUp() override { otp::trap_exit(true); }
  void load(otp::application_spec s) { ASSERT_TRUE(otp::application::load(n, std::move(s))); }
};

// Rule: ensure_all_started starts the dependencies first, in order, and
// returns what it started; which_applications lists the most recent first.
TEST_F(Application, EnsureAllStartedStartsDependenciesFirst) {
  load(logged_app("a", mb.self()));
  load(logged_app("b", mb.self(), {"a"}));
  load(logged_app("c", mb.self(), {"b", "a"}));
  auto r = otp::application::ensure_all_started("c").get();
  ASSERT_TRUE(r) << r.to_string();
  EXPECT_EQ(r.names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(drain(mb), "ia ib ic ");
  EXPECT_EQ(running_apps(n), (std::vector<std::string>{"c", "b", "a"}));
  // Nothing left to start: ok with an empty list.
  auto again = otp::application::ensure_all_started("c").get();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again.names.empty());
}

// Rule: stop calls prep_stop, shuts the root supervisor down, calls stop,
// and leaves the dependencies running.
TEST_F(Application, StopRunsPrepStopShutdownStopAndKeepsDependencies) {
  load(logged_app("a", mb.self()));
  load(logged_app("b", mb.self(), {"a"}));
  ASSERT_TRUE(otp::application::ensure_all_started("b").get());
  drain(mb);
  ASSERT_TRUE(otp::application::stop("b").get());
  EXPECT_EQ(drain(mb), "pb tb sb ");
  EXPECT_EQ(running_apps(n), std::vector<std::string>{"a"});
  EXPECT_TRUE(otp::whereis("b_sup").is_null());
  auto again = otp::application::stop("b").get();
  EXPECT_EQ(again.error, otp::application_error::not_started);
  EXPECT_EQ(again.to_string(), "{error,{not_started,b}}");
}

// Rule: stop_all stops the applications the last started first.
TEST_F(Application, StopAllStopsInReverseStartOrder) {
  load(logged_app("a", mb.self()));
  load(logged_app("b", mb.self(), {"a"}));
  load(logged_app("c", mb.self(), {"b"}));
  ASSERT_TRUE(otp::application::ensure_all_started("c").get());
  drain(mb);
  ASSERT_TRUE(otp::application::stop_all().get());
  EXPECT_EQ(drain(mb), "pc tc sc pb tb sb pa ta sa ");
  EXPECT_TRUE(running_apps(n).empty());
  // After stop_all the node takes no more starts.
  EXPECT_EQ(otp::application::start("a").get().error, otp::application_error::shutting_down);
}

// Rule: stop_all answers at once when nothing is running: after a start
// that failed (otp::boot stops all then) or with only library applications.
TEST_F(Application, StopAllWithNothingRunningAnswersAtOnce) {
  otp::application_spec bad = logged_app("bad", mb.self());
  bad.start = [](otp::start_type) -> otp::task<otp::start_result> {
    throw std::runtime_error("no start");
    co_return otp::start_result{};
  };
  load(std::move(bad));
  otp::application_spec lib;
  lib.name = "lib";
  load(std::move(lib));
  ASSERT_TRUE(otp::application::start("lib").get());
  EXPECT_FALSE(otp::application::start("bad").get());
  ASSERT_TRUE(otp::application::stop_all().get());
  EXPECT_TRUE(running_apps(n).empty());
}

// Rule: start of an application that was never loaded is unknown_application.
TEST_F(Application, StartOfUnknownApplicationFails) {
  auto r = otp::application::start("nope").get();
  EXPECT_EQ(r.error, otp::application_error::unknown_application);
  EXPECT_EQ(r.application, "nope");
  load(logged_app("x", mb.self(), {"missing"}));
  auto e = otp::application::ensure_all_started("x").get();
  EXPECT_EQ(e.error, otp::application_error::unknown_application);
  EXPECT_EQ(e.application, "missing");
  EXPECT_EQ(drain(mb), "");
}

// Rule: a cycle in the dependencies is named, and nothing starts.
TEST_F(Application, DependencyCycleIsNamed) {
  load(logged_app("a", mb.self(), {"b"}));
  load(logged_app("b", mb.self(), {"c"}));
  load(logged_app("c", mb.self(), {"a"}));
  auto r = otp::application::ensure_all_started("a").get();
  EXPECT_EQ(r.error, otp::application_error::circular_dependencies);
  EXPECT_EQ(r.names, (std::vector<std::string>{"a", "b", "c", "a"}));
  EXPECT_EQ(r.to_string(), "{error,{circular_dependencies,[a,b,c,a]}}");
  EXPECT_EQ(drain(mb), "");
}

// Rule: start needs its dependencies running; a second start is already_started.
TEST_F(Application, StartChecksDependenciesAndAlreadyStarted) {
  load(logged_app("a", mb.self()));
  load(logged_app("b", mb.self(), {"a"}));
  auto r = otp::application::start("b").get();
  EXPECT_EQ(r.error, otp::application_error::not_started);
  EXPECT_EQ(r.application, "a");
  ASSERT_TRUE(otp::application::start("a").get());
  auto twice = otp::application::start("a").get();
  EXPECT_EQ(twice.error, otp::application_error::already_started);
  EXPECT_EQ(twice.to_string(), "{error,{already_started,a}}");
}

// Rule: a start callback that throws or returns an error fails the start
// with that reason; the application is loaded, not running.
TEST_F(Application, StartCallbackThatThrowsOrFailsIsStartFailed) {
  otp::application_spec t = logged_app("thrower", mb.self());
  t.start = [](otp::start_type) -> otp::task<otp::start_result> {
    throw std::runtime_error("no database");
  };
  load(t);
  auto r = otp::application::start("thrower").get();
  EXPECT_EQ(r.error, otp::application_error::start_failed);
  EXPECT_EQ(r.application, "thrower");
  EXPECT_NE(r.to_string().find("no database"), std::string::npos) << r.to_string();

  otp::application_spec e = logged_app("erring", mb.self());
  e.start = [](otp::start_type) -> otp::task<otp::start_result> {
    co_return otp::start_result::error(otp::exit_reason::other("bad_config"));
  };
  load(e);
  auto r2 = otp::application::start("erring").get();
  EXPECT_EQ(r2.to_string(), "{error,{erring,bad_config}}");
  EXPECT_TRUE(running_apps(n).empty());
  // It can be started again once fixed: the failed start left it loaded.
  EXPECT_EQ(otp::application::start("erring").get().error, otp::application_error::start_failed);
}

// Rule: when a dependency fails to start, ensure_all_started stops what it
// started for this call again (in reverse) and starts nothing of the dependent.
TEST_F(Application, FailedDependencyStopsWhatWasStartedForIt) {
  load(logged_app("base", mb.self()));
  otp::application_spec bad = logged_app("bad", mb.self(), {"base"});
  bad.start = [](otp::start_type) -> otp::task<otp::start_result> {
    co_return otp::start_result::error(otp::exit_reason::other("broken"));
  };
  load(bad);
  load(logged_app("top", mb.self(), {"bad"}));
  auto r = otp::application::ensure_all_started("top").get();
  EXPECT_EQ(r.error, otp::application_error::start_failed);
  EXPECT_EQ(r.application, "bad");
  EXPECT_EQ(drain(mb), "ibase pbase tbase sbase ");
  EXPECT_TRUE(running_apps(n).empty());
}

// Rule: a temporary application's end is reported and the node goes on.
TEST_F(Application, TemporaryApplicationEndLeavesOthersRunning) {
  load(logged_app("a", mb.self()));
  load(logged_app("b", mb.self()));
  ASSERT_TRUE(otp::application::start("a").get());
  ASSERT_TRUE(otp::application::start("b", otp::temporary).get());
  drain(mb);
  kill_and_wait(mb, otp::whereis("b_sup"));
  // The controller has seen it once which_applications no longer lists it.
  while (running_apps(n).size() != 1) mb.receive<child_event>(1ms);
  EXPECT_EQ(running_apps(n), std::vector<std::string>{"a"});
  EXPECT_FALSE(otp::application::await_halt(n, 0ms));
}

// Rule: a permanent application's end stops the others (in reverse) and
// makes the node halt with {application_terminated, App, Reason}.
TEST_F(Application, PermanentApplicationEndHaltsTheNode) {
  load(logged_app("a", mb.self()));
  load(logged_app("b", mb.self()));
  load(logged_app("p", mb.self()));
  ASSERT_TRUE(otp::application::start("a").get());
  ASSERT_TRUE(otp::application::start("p", otp::permanent).get());
  ASSERT_TRUE(otp::application::start("b").get());
  drain(mb);
  otp::exit(otp::whereis("p_sup"), otp::exit_reason::kill());
  std::optional<otp::exit_reason> halt;
  while (!(halt = otp::application::await_halt(n, 0ms))) mb.receive<int>(1ms);
  EXPECT_EQ(halt->to_string(), "{application_terminated,p,killed}");
  EXPECT_EQ(drain(mb), "tp sp pb tb sb pa ta sa ");  // its child saw the kill first
  EXPECT_TRUE(running_apps(n).empty());
}

// Rule: a transient application halts the node only on an abnormal end.
TEST_F(Application, TransientApplicationHaltsOnlyOnAbnormalEnd) {
  load(logged_app("t", mb.self()));
  ASSERT_TRUE(otp::application::start("t", otp::transient).get());
  otp::gen_server::stop(otp::supervisor::ref(otp::whereis("t_sup")), otp::exit_reason::shutdown())
      .get();
  while (!running_apps(n).empty()) mb.receive<int>(1ms);
  EXPECT_FALSE(otp::application::await_halt(n, 0ms));

  ASSERT_TRUE(otp::application::start("t", otp::transient).get());
  otp::exit(otp::whereis("t_sup"), otp::exit_reason::kill());
  std::optional<otp::exit_reason> halt;
  while (!(halt = otp::application::await_halt(n, 0ms))) mb.receive<int>(1ms);
  EXPECT_EQ(halt->to_string(), "{application_terminated,t,killed}");
}

// Rule: node::stop() stops the running applications in reverse start order
// (the controller is the top of their trees).
TEST(ApplicationNodeStop, NodeStopStopsApplicationsInReverseOrder) {
  auto order = std::make_shared<std::vector<std::string>>();
  auto mu = std::make_shared<std::mutex>();
  {
    otp::node n(quiet_manual());
    {
      otp::mailbox mb(n);
      for (std::string name : {"a", "b", "c"}) {
        otp::application_spec s = logged_app(name, mb.self());
        s.prep_stop = nullptr;
        s.stop = [name, order, mu] {
          std::lock_guard lock(*mu);
          order->push_back(name);
        };
        ASSERT_TRUE(otp::application::load(n, s));
        ASSERT_TRUE(otp::application::start(name).get());
      }
    }
    n.stop();
  }
  EXPECT_EQ(*order, (std::vector<std::string>{"c", "b", "a"}));
}

}  // namespace

// gen_server termination: when terminate/2 runs (stop results, callback
// exceptions, the parent's exit when trapping, gen_server:stop) and when it
// does not (kill, the parent's exit when not trapping); the crash report an
// abnormal exit leaves.
//
// Mirrors the rules of Module:terminate/2, gen_server:stop/1,3, proc_lib's
// crash report, and the stop and crash groups of OTP's gen_server_SUITE.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/gen_servers.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;
using event = otp_test::server_event;

/// Reports terminate(Reason) to the observer as "terminate <Reason>".
struct terminator {
  struct stop_me {  // cast: {stop, Reason, State}
    exit_reason reason;
  };
  struct boom {};     // cast: throws
  struct exit_with {  // cast: exit(Reason)
    exit_reason reason;
  };
  struct get {
    using reply = int;
  };

  otp::pid observer;
  bool trap;
  int n = 42;

  terminator(otp::pid o, bool trap_exits) : observer(o), trap(trap_exits) {}
  void init() {
    if (trap) otp::trap_exit(true);
  }
  otp::server_result handle_cast(stop_me s) { return otp::stop(std::move(s.reason)); }
  void handle_cast(boom) { throw std::runtime_error("boom"); }
  void handle_cast(exit_with e) { otp::exit(std::move(e.reason)); }
  int handle_call(get) { return n; }
  void terminate(const exit_reason& r) { otp::send(observer, event{"terminate " + r.to_string()}); }
  std::string format_status() const { return "{terminator,n=" + std::to_string(n) + "}"; }
};

struct die {
  exit_reason reason;
};

/// A parent: starts a terminator linked to itself, tells `observer` its pid,
/// then exits with the reason of the first `die` it gets.
otp::proc parent_of_terminator(otp::pid observer, bool trap) {
  auto s = co_await otp::gen_server::start_link<terminator>(observer, trap);
  otp::send(observer, s.child);
  co_await otp::receive([](die d) { otp::exit(std::move(d.reason)); });
}

/// A server whose init starts a terminator (not linked) and keeps its pid.
struct starts_a_child {
  struct child {
    using reply = otp::pid;
  };
  otp::pid observer;
  otp::pid kid;
  explicit starts_a_child(otp::pid o) : observer(o) {}
  otp::task<otp::server_result> init() {
    auto s = co_await otp::gen_server::start<terminator>(observer, false);
    kid = s.child;
    co_return otp::noreply();
  }
  otp::pid handle_call(child) { return kid; }
};

/// Its format_status raises.
struct bad_format_status {
  struct boom {};
  void handle_cast(boom) { throw std::runtime_error("boom"); }
  std::string format_status() const { throw std::logic_error("cannot format"); }
};

/// Its terminate raises.
struct bad_terminate {
  void terminate(const exit_reason&) { throw std::logic_error("terminate failed"); }
};

/// Traps exits, links on request, and reports each EXIT it gets as info.
struct linking_exit_watcher {
  struct link_to {
    using reply = void;
    otp::pid p;
  };
  otp::pid observer;
  explicit linking_exit_watcher(otp::pid o) : observer(o) {}
  void init() { otp::trap_exit(true); }
  void handle_call(link_to l) { otp::link(l.p); }
  void handle_info(const otp::exit_msg& e) {
    otp::send(observer, event{"EXIT " + e.reason.to_string()});
  }
};

/// Exits with the reason of the first `die` it gets.
otp::proc die_on_request() {
  co_await otp::receive([](die d) { otp::exit(std::move(d.reason)); });
}

class GenServerTerminate : public otp_test::gen_server_fixture {
 protected:
  /// A terminator started without a link, so its end never reaches the test.
  otp::server_ref<terminator> start_terminator(bool trap, otp::start_options o = {}) {
    auto s = otp::gen_server::start<terminator>(std::move(o), mb.self(), trap).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
};

class GenServerCrashReport : public GenServerTerminate {};

// --- terminate -------------------------------------------------------------------------

// {stop, Reason, State}: terminate(Reason) runs, then the server exits with Reason.
TEST_F(GenServerTerminate, StopResultRunsTerminateThenExitsWithTheReason) {
  auto s = start_terminator(false);
  const otp::ref mon = otp::monitor(s.get_pid());
  otp::cast(s, terminator::stop_me{exit_reason::other("bad_state")});
  EXPECT_EQ(next_event(), "terminate bad_state");
  EXPECT_EQ(down_of(mon), exit_reason::other("bad_state"));
}

// A callback that raises: terminate runs with the exception as Reason, and
// that is the exit reason.
TEST_F(GenServerTerminate, CallbackExceptionRunsTerminateWithTheException) {
  auto s = start_terminator(false);
  const otp::ref mon = otp::monitor(s.get_pid());
  otp::cast(s, terminator::boom{});
  EXPECT_EQ(next_event(), "terminate {exception,std::runtime_error,\"boom\"}");
  const exit_reason r = down_of(mon);
  ASSERT_TRUE(r.is(exit_reason::kind::exception)) << r;
  EXPECT_EQ(r.detail(), "boom");
}

// exit(Reason) in a callback: terminate runs with Reason.
TEST_F(GenServerTerminate, ExitInACallbackRunsTerminateWithItsReason) {
  auto s = start_terminator(false);
  const otp::ref mon = otp::monitor(s.get_pid());
  otp::cast(s, terminator::exit_with{exit_reason::shutdown("maintenance")});
  EXPECT_EQ(next_event(), "terminate {shutdown,maintenance}");
  EXPECT_EQ(down_of(mon), exit_reason::shutdown("maintenance"));
}

// A server that traps exits gets its parent's exit as terminate(Reason)
// and exits with the same Reason.
TEST_F(GenServerTerminate, ParentExitRunsTerminateWhenTheServerTrapsExits) {
  const otp::pid parent = otp::spawn(parent_of_terminator, mb.self(), true);
  const otp::pid server = mb.receive<otp::pid>();
  const otp::ref mon = otp::monitor(server);
  otp::send(parent, die{exit_reason::shutdown()});
  EXPECT_EQ(next_event(), "terminate shutdown");
  EXPECT_TRUE(down_of(mon).is(exit_reason::kind::shutdown));
}

// A server that does not trap exits is killed by its parent's exit signal:
// terminate does not run.
TEST_F(GenServerTerminate, ParentExitSkipsTerminateWhenTheServerDoesNotTrapExits) {
  const otp::pid parent = otp::spawn(parent_of_terminator, mb.self(), false);
  const otp::pid server = mb.receive<otp::pid>();
  const otp::ref mon = otp::monitor(server);
  otp::send(parent, die{exit_reason::shutdown()});
  EXPECT_TRUE(down_of(mon).is(exit_reason::kind::shutdown));
  EXPECT_TRUE(queued_events().empty());
}

// kill is untrappable: terminate never runs, even in a server trapping exits.
TEST_F(GenServerTerminate, KillNeverRunsTerminate) {
  auto s = start_terminator(true);
  const otp::ref mon = otp::monitor(s.get_pid());
  otp::exit(s.get_pid(), exit_reason::kill());
  EXPECT_TRUE(down_of(mon).is(exit_reason::kind::killed));
  EXPECT_TRUE(queued_events().empty());
}

// gen_server:stop(Ref): terminate(normal) runs and stop returns once the
// server is gone.
TEST_F(GenServerTerminate, StopRunsTerminateAndReturnsOnceTheServerIsGone) {
  auto s = start_terminator(false);
  otp::gen_server::stop(s).get();
  EXPECT_FALSE(node.is_alive(s.get_pid()));
  EXPECT_EQ(mb.receive<event>(0)->what, "terminate normal");  // already queued
}

// gen_server:stop(Ref, Reason, Timeout): terminate gets that Reason; a
// name works as well as a pid.
TEST_F(GenServerTerminate, StopWithAReasonPassesItToTerminate) {
  start_terminator(false, {.name = "term"});
  otp::gen_server::stop(otp::whereis<terminator>("term"), exit_reason::shutdown("upgrade"), 1s)
      .get();
  EXPECT_EQ(next_event(), "terminate {shutdown,upgrade}");
  EXPECT_TRUE(otp::whereis("term").is_null());
}

// A terminate that raises replaces the reason: the server exits with the
// exception, and gen_server:stop exits the caller with it.
TEST_F(GenServerTerminate, TerminateRaisingReplacesTheExitReason) {
  auto s = otp::gen_server::start<bad_terminate>().get();
  ASSERT_TRUE(s.is_ok());
  const otp::ref mon = otp::monitor(s.child);
  auto r = exit_of([&] { otp::gen_server::stop(s.ref()).get(); });
  ASSERT_TRUE(r.is(exit_reason::kind::exception)) << r;
  EXPECT_EQ(r.detail(), "terminate failed");
  EXPECT_EQ(down_of(mon), r);
  EXPECT_EQ(reports_of(otp::report::kind::crash).size(), 1u);
}

// An EXIT from a linked process that is not the parent is an ordinary
// message for a trapping server: handle_info gets it and the server goes on.
TEST_F(GenServerTerminate, ExitFromANonParentGoesToHandleInfo) {
  auto s = otp::gen_server::start_link<linking_exit_watcher>(mb.self()).get();
  ASSERT_TRUE(s.is_ok());
  const otp::pid peer = otp::spawn(die_on_request);
  otp::call(s.ref(), linking_exit_watcher::link_to{peer}).get();
  otp::send(peer, die{exit_reason::other("oops")});
  EXPECT_EQ(next_event(), "EXIT oops");
  EXPECT_TRUE(node.is_alive(s.child));
}

// gen_server:stop of a server that is not alive exits the caller with noproc.
TEST_F(GenServerTerminate, StopOfADeadServerExitsNoproc) {
  auto s = start_terminator(false);
  otp::gen_server::stop(s).get();
  auto r = exit_of([&] { otp::gen_server::stop(s).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::noproc)) << r;
  r = exit_of([&] { otp::gen_server::stop(otp::whereis<terminator>("nobody")).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::noproc)) << r;
}

// --- crash reports -------------------------------------------------------------------

// An abnormal exit leaves exactly one crash report naming the process, its
// registered name, its ancestors (the starter first), the last message, the
// state as format_status shows it, the reason and the exception type.
TEST_F(GenServerCrashReport, AbnormalExitLeavesOneCrashReportWithTheDetails) {
  auto s = start_terminator(false, {.name = "crasher"});
  const otp::ref mon = otp::monitor(s.get_pid());
  otp::cast(s, terminator::boom{});
  const exit_reason why = down_of(mon);

  auto crashes = reports_of(otp::report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  const otp::report& r = crashes[0];
  EXPECT_EQ(r.from, s.get_pid());
  EXPECT_EQ(r.reason, why);
  EXPECT_EQ(r.field("crasher"), s.get_pid().to_string());
  EXPECT_EQ(r.field("registered_name"), "crasher");
  EXPECT_EQ(r.field("ancestors"), "[" + mb.self().to_string() + "]");
  EXPECT_NE(r.field("last_message").find("boom"), std::string::npos) << r.field("last_message");
  EXPECT_EQ(r.field("state"), "{terminator,n=42}");
  EXPECT_EQ(r.field("reason"), why.to_string());
  EXPECT_EQ(r.field("exception"), "std::runtime_error");
  EXPECT_NE(r.headline.find("crasher"), std::string::npos) << r.headline;
}

// The ancestors of a server started by another server list its starter
// first, then the starter's ancestors.
TEST_F(GenServerCrashReport, AncestorsListTheStarterThenItsAncestors) {
  auto parent = otp::gen_server::start<starts_a_child>(mb.self()).get();
  ASSERT_TRUE(parent.is_ok()) << parent.to_string();
  const otp::pid kid = otp::call(parent.ref(), starts_a_child::child{}).get();
  const otp::ref mon = otp::monitor(kid);
  otp::cast(otp::server_ref<terminator>(kid), terminator::boom{});
  (void)down_of(mon);
  auto crashes = reports_of(otp::report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0].field("ancestors"),
            "[" + parent.child.to_string() + "," + mb.self().to_string() + "]");
}

// normal, shutdown and {shutdown, _} are normal terminations: no crash report.
TEST_F(GenServerCrashReport, NormalTerminationsLeaveNoCrashReport) {
  for (const exit_reason& why :
       {exit_reason::normal(), exit_reason::shutdown(), exit_reason::shutdown("done")}) {
    auto s = start_terminator(false);
    const otp::ref mon = otp::monitor(s.get_pid());
    otp::cast(s, terminator::stop_me{why});
    EXPECT_EQ(down_of(mon), why);
  }
  EXPECT_TRUE(reports_of(otp::report::kind::crash).empty());
}

// A format_status that raises does not change why the server exits: the
// crash report still comes, with the state marked as unformattable, and
// sys:get_status still answers.
TEST_F(GenServerCrashReport, FormatStatusRaisingKeepsTheExitReason) {
  auto s = otp::gen_server::start<bad_format_status>().get();
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(otp::sys::get_status(s.child).get().state,
            "{format_status_crashed,std::logic_error,\"cannot format\"}");
  const otp::ref mon = otp::monitor(s.child);
  otp::cast(s.ref(), bad_format_status::boom{});
  const exit_reason why = down_of(mon);
  ASSERT_TRUE(why.is(exit_reason::kind::exception)) << why;
  EXPECT_EQ(why.detail(), "boom");
  auto crashes = reports_of(otp::report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0].reason, why);
  EXPECT_EQ(crashes[0].field("state"),
            "{format_status_crashed,std::logic_error,\"cannot format\"}");
}

// A failed init also leaves a crash report (proc_lib reports the exit).
TEST_F(GenServerCrashReport, FailedInitLeavesACrashReport) {
  otp::trap_exit(true);
  struct failing {
    otp::server_result init() { return otp::stop(exit_reason::other("no_db")); }
  };
  auto s = otp::gen_server::start_link<failing>().get();
  ASSERT_TRUE(s.is_error());
  auto crashes = reports_of(otp::report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0].reason, exit_reason::other("no_db"));
}

}  // namespace

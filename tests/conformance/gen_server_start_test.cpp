// gen_server start and continue: what start_link returns for each init
// outcome, names, the start timeout, and {continue, C} ordering.
//
// Mirrors the rules of gen_server:start_link/3,4 and Module:init/1,
// Module:handle_continue/2, and the start/continue groups of OTP's
// gen_server_SUITE.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/gen_servers.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;
using event = otp_test::server_event;
using otp_test::go;
using otp_test::never;

// --- callback types -------------------------------------------------------------

enum class init_outcome { ok, ignore, stop, raise, error };

/// Sends its pid and whereis("probe") to the observer from init, then returns
/// what it is told to.
struct probe {
  struct get {
    using reply = int;
  };
  otp::pid observer;
  init_outcome what;
  probe(otp::pid o, init_outcome w) : observer(o), what(w) {}
  otp::server_result init() {
    otp::send(observer, otp::self());
    otp::send(observer, event{otp::whereis("probe") == otp::self() ? "named" : "unnamed"});
    switch (what) {
      case init_outcome::ok:
        break;
      case init_outcome::ignore:
        return otp::ignore();
      case init_outcome::stop:
        return otp::stop(exit_reason::other("bad_config"));
      case init_outcome::raise:
        throw std::runtime_error("init failed");
      case init_outcome::error:
        return otp::init_error(exit_reason::other("bad_config"));
    }
    return otp::noreply();
  }
  int handle_call(get) { return 1; }
};

/// Its constructor (init/1 without an init() hook) throws.
struct throws_in_constructor {
  explicit throws_in_constructor(otp::pid observer) {
    otp::send(observer, otp::self());
    throw std::invalid_argument("no such config");
  }
};

/// init is a coroutine that waits for a message nobody sends.
struct slow_init {
  otp::pid observer;
  explicit slow_init(otp::pid o) : observer(o) {}
  otp::task<otp::server_result> init() {
    otp::send(observer, otp::self());
    co_await otp::receive([](never) {});
    co_return otp::noreply();
  }
};

/// Starts S linked, reports the start_result to `observer`, then waits forever.
template <class S, class... A>
otp::proc start_and_report(otp::pid observer, A... args) {
  otp::start_result r = co_await otp::gen_server::start_link<S>(args...);
  otp::send(observer, r);
  co_await otp::receive([](never) {});
}

struct poke {};
struct step {
  int n;
};
struct cast_note {
  std::string what;
};

/// init queues a message to itself and returns {continue, step{1}};
/// handle_continue runs `steps` continues in a row.
struct continuer {
  otp::pid observer;
  int steps;
  continuer(otp::pid o, int s) : observer(o), steps(s) {}
  otp::server_result init() {
    otp::send(otp::self(), poke{});
    return otp::noreply().then_continue(step{1});
  }
  otp::server_result handle_continue(step s) {
    otp::send(observer, event{"continue " + std::to_string(s.n)});
    if (s.n < steps) return otp::noreply().then_continue(step{s.n + 1});
    return otp::noreply();
  }
  void handle_info(poke) { otp::send(observer, event{"info"}); }
  void handle_cast(cast_note n) { otp::send(observer, event{"cast " + n.what}); }
};

/// handle_continue is a coroutine that waits for `go` before it finishes.
struct waiting_continuer {
  otp::pid observer;
  explicit waiting_continuer(otp::pid o) : observer(o) {}
  otp::server_result init() { return otp::noreply().then_continue(step{1}); }
  otp::task<otp::server_result> handle_continue(step) {
    otp::send(observer, event{"continue waiting"});
    co_await otp::receive([](go) {});
    otp::send(observer, event{"continue done"});
    co_return otp::noreply();
  }
  void handle_cast(cast_note n) { otp::send(observer, event{"cast " + n.what}); }
};

class GenServerStart : public otp_test::gen_server_fixture {
 protected:
  otp::pid init_pid() { return mb.receive<otp::pid>(); }
};

// --- start ----------------------------------------------------------------------------

// start_link is synchronous: it returns {ok, Pid} after init/1 has run, and
// the caller is linked to the server.
TEST_F(GenServerStart, StartLinkReturnsOkOnceInitHasRunAndLinksTheCaller) {
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<probe>(mb.self(), init_outcome::ok).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(mb.receive<otp::pid>(0), s.child);  // sent by init, already queued
  EXPECT_TRUE(node.is_alive(s.child));
  otp::exit(s.child, exit_reason::kill());
  auto e = mb.receive(otp::when([&](const otp::exit_msg& m) { return m.from == s.child; },
                                [](otp::exit_msg&& m) { return m.reason; }));
  EXPECT_TRUE(e.is(exit_reason::kind::killed));
}

// The monitor start_link holds on the child while init runs is gone once it
// returns, on both sides (proc_lib:start_link demonitors after the ack), and
// it leaves the caller no DOWN when the child dies later.
TEST_F(GenServerStart, StartLinkLeavesNoMonitorBehindOnEitherSide) {
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<probe>(mb.self(), init_outcome::ok).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(mb.receive<otp::pid>(0), s.child);
  EXPECT_EQ(mb.receive<event>(0)->what, "unnamed");
  const auto child = node.process_info(s.child);  // handled after the ack went out
  ASSERT_TRUE(child.has_value());
  EXPECT_TRUE(child->monitored_by.empty());
  const auto caller = node.process_info(mb.self());
  ASSERT_TRUE(caller.has_value());
  EXPECT_TRUE(caller->monitors.empty());
  otp::exit(s.child, exit_reason::kill());
  EXPECT_TRUE(mb.receive(otp::when([&](const otp::exit_msg& m) { return m.from == s.child; },
                                   [](otp::exit_msg&& m) { return m.reason; }))
                  .is(exit_reason::kind::killed));
  EXPECT_TRUE(nothing_queued());  // the EXIT of the link only, no DOWN
}

// start (not start_link) does not link: the server's death sends the caller nothing.
TEST_F(GenServerStart, StartDoesNotLinkTheCaller) {
  otp::trap_exit(true);
  auto s = otp::gen_server::start<probe>(mb.self(), init_outcome::ok).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const otp::ref mon = otp::monitor(s.child);
  otp::exit(s.child, exit_reason::kill());
  EXPECT_TRUE(down_of(mon).is(exit_reason::kind::killed));
  EXPECT_FALSE(queued_exit_from(s.child).has_value());
}

/// Traps exits and tells its observer about every EXIT it handles.
struct parent_exit_watcher {
  struct alive {
    using reply = bool;
  };
  otp::pid observer;
  explicit parent_exit_watcher(otp::pid o) : observer(o) { otp::trap_exit(true); }
  void handle_info(otp::exit_msg e) { otp::send(observer, event{"EXIT " + e.reason.to_string()}); }
  bool handle_call(alive) { return true; }
};

// A server started without a link is its own parent (gen:start passes
// `self`): an exit signal from the process that started it reaches a
// trapping server as an ordinary EXIT message, and the server keeps running;
// sys:get_status shows the server itself as parent.
TEST_F(GenServerStart, AnUnlinkedServerIsItsOwnParent) {
  auto s = otp::gen_server::start<parent_exit_watcher>(mb.self()).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  otp::exit(s.child, exit_reason::other("bye"));
  EXPECT_EQ(mb.receive<event>().what, "EXIT bye");
  EXPECT_TRUE(otp::call(s.ref(), parent_exit_watcher::alive{}).get());
  EXPECT_EQ(otp::sys::get_status(s.child).get().parent, s.child);
}

// start_monitor: {ok, {Pid, Mon}}: no link (a kill of the server does not
// reach the caller, which does not trap exits), and Mon's DOWN carries the
// server's reason (gen_server_SUITE start_monitor).
TEST_F(GenServerStart, StartMonitorReturnsAMonitorAndNoLink) {
  auto s = otp::gen_server::start_monitor<probe>(mb.self(), init_outcome::ok).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_FALSE(s.monitor.is_null());
  EXPECT_EQ(init_pid(), s.child);
  otp::exit(s.child, exit_reason::kill());
  const otp::down_msg d = mb.receive<otp::down_msg>();
  EXPECT_EQ(d.monitor, s.monitor);
  EXPECT_EQ(d.from, s.child);
  EXPECT_EQ(d.reason, exit_reason::killed());
}

// start_monitor when init fails: {error, R}, and no DOWN is left behind
// (gen's monitor_return consumes it).
TEST_F(GenServerStart, StartMonitorWhenInitFailsReturnsTheErrorAndLeavesNoDown) {
  auto s = otp::gen_server::start_monitor<probe>(mb.self(), init_outcome::stop).get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  EXPECT_EQ(s.reason, exit_reason::other("bad_config"));
  EXPECT_TRUE(s.monitor.is_null());
  EXPECT_FALSE(node.is_alive(init_pid()));
  const bool down_left =
      mb.receive([](const otp::down_msg&) { return true; }, otp::after(0, [] { return false; }));
  EXPECT_FALSE(down_left);
}

// init returning ignore: start_link returns ignore and the process is gone.
TEST_F(GenServerStart, InitIgnoreReturnsIgnoreAndTheProcessIsGone) {
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<probe>(mb.self(), init_outcome::ignore).get();
  EXPECT_TRUE(s.is_ignore()) << s.to_string();
  const otp::pid p = init_pid();
  EXPECT_FALSE(node.is_alive(p));
  EXPECT_FALSE(queued_exit_from(p).has_value());
  EXPECT_TRUE(reports_of(otp::report::kind::crash).empty());
}

// init returning {stop, R}: start_link returns {error, R}; a trapping
// caller finds no EXIT from the dead child in its mailbox.
TEST_F(GenServerStart, InitStopReturnsErrorWithTheReasonAndFlushesTheExit) {
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<probe>(mb.self(), init_outcome::stop).get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  EXPECT_EQ(s.reason, exit_reason::other("bad_config"));
  const otp::pid p = init_pid();
  EXPECT_FALSE(node.is_alive(p));
  EXPECT_FALSE(queued_exit_from(p).has_value());
}

// An exception escaping init is {error, Exception}.
TEST_F(GenServerStart, InitThrowingReturnsErrorWithTheException) {
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<probe>(mb.self(), init_outcome::raise).get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  ASSERT_TRUE(s.reason.is(exit_reason::kind::exception)) << s.reason;
  EXPECT_EQ(s.reason.detail(), "init failed");
  EXPECT_FALSE(node.is_alive(init_pid()));
}

// The callback type's constructor is part of init/1: when it throws,
// start_link returns {error, Exception} and the process is gone.
TEST_F(GenServerStart, ConstructorThrowingReturnsErrorWithTheException) {
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<throws_in_constructor>(mb.self()).get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  ASSERT_TRUE(s.reason.is(exit_reason::kind::exception)) << s.reason;
  ASSERT_NE(s.reason.exception(), nullptr);
  EXPECT_EQ(s.reason.exception()->type, "std::invalid_argument");
  EXPECT_EQ(s.reason.detail(), "no such config");
  const otp::pid p = init_pid();
  EXPECT_FALSE(node.is_alive(p));
  EXPECT_FALSE(queued_exit_from(p).has_value());
}

// A linked caller that does not trap exits dies with the reason of a failed init.
TEST_F(GenServerStart, FailedInitKillsALinkedCallerThatDoesNotTrapExits) {
  auto [caller, mon] = otp::spawn_monitor(start_and_report<probe, otp::pid, init_outcome>,
                                          mb.self(), mb.self(), init_outcome::stop);
  EXPECT_EQ(down_of(mon), exit_reason::other("bad_config"));
  EXPECT_FALSE(mb.receive<otp::start_result>(0).has_value());
  EXPECT_FALSE(node.is_alive(caller));
}

// init returning {error, Reason} (OTP 26): start_link returns
// {error, Reason}, the process ends normal, so a linked caller that does not
// trap exits lives on, and no crash report is made (unlike {stop, Reason}).
TEST_F(GenServerStart, InitErrorReturnsTheErrorAndTheCallerLivesWithoutACrashReport) {
  auto [caller, mon] = otp::spawn_monitor(start_and_report<probe, otp::pid, init_outcome>,
                                          mb.self(), mb.self(), init_outcome::error);
  const otp::pid p = init_pid();
  auto r = mb.receive<otp::start_result>();
  EXPECT_TRUE(r.is_error()) << r.to_string();
  EXPECT_EQ(r.reason, exit_reason::other("bad_config"));
  EXPECT_FALSE(node.is_alive(p));
  EXPECT_TRUE(node.is_alive(caller));
  EXPECT_TRUE(reports.empty());
  otp::exit(caller, exit_reason::kill());
  EXPECT_TRUE(down_of(mon).is(exit_reason::kind::killed));
}

// {timeout, T}: init running longer than T makes start_link return
// {error, timeout}, and the child is killed.
TEST_F(GenServerStart, StartTimeoutReturnsErrorTimeoutAndKillsTheChild) {
  otp::trap_exit(true);
  const auto t0 = node.now();
  auto s = otp::gen_server::start_link<slow_init>({.start_timeout = 100ms}, mb.self()).get();
  ASSERT_TRUE(s.is_error()) << s.to_string();
  EXPECT_TRUE(s.reason.is(exit_reason::kind::timeout)) << s.reason;
  EXPECT_GE(node.now() - t0, 100ms);
  const otp::pid p = init_pid();
  EXPECT_FALSE(node.is_alive(p));
  EXPECT_FALSE(queued_exit_from(p).has_value());
}

// The start timeout does not take a linked caller down with the killed
// child, even when the caller does not trap exits (proc_lib unlinks first).
TEST_F(GenServerStart, StartTimeoutSparesALinkedCallerThatDoesNotTrapExits) {
  auto s = otp::gen_server::start_link<slow_init>({.start_timeout = 100ms}, mb.self()).get();
  EXPECT_TRUE(s.is_error() && s.reason.is(exit_reason::kind::timeout)) << s.to_string();
  EXPECT_FALSE(node.is_alive(init_pid()));
  EXPECT_TRUE(nothing_queued());  // and the mailbox is still usable
}

// {local, Name}: the name is registered before init runs (init can use it)
// and names the server once start_link returns.
TEST_F(GenServerStart, NamedStartRegistersTheNameBeforeInit) {
  auto s = otp::gen_server::start_link<probe>({.name = "probe"}, mb.self(), init_outcome::ok).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(init_pid(), s.child);
  EXPECT_EQ(next_event(), "named");
  EXPECT_EQ(otp::whereis("probe"), s.child);
  EXPECT_EQ(otp::call(otp::whereis<probe>("probe"), probe::get{}).get(), 1);
}

// A taken name: start_link returns {error, {already_started, Holder}},
// init never runs, and the holder is untouched.
TEST_F(GenServerStart, SecondStartWithTheSameNameReturnsAlreadyStartedWithTheHolder) {
  auto first =
      otp::gen_server::start_link<probe>({.name = "probe"}, mb.self(), init_outcome::ok).get();
  ASSERT_TRUE(first.is_ok());
  (void)queued_events();
  (void)init_pid();
  auto second =
      otp::gen_server::start_link<probe>({.name = "probe"}, mb.self(), init_outcome::ok).get();
  ASSERT_TRUE(second.is_already_started()) << second.to_string();
  EXPECT_EQ(second.child, first.child);
  EXPECT_EQ(second.to_string(), "{error,{already_started," + first.child.to_string() + "}}");
  EXPECT_FALSE(mb.receive<otp::pid>(0).has_value());  // the second init never ran
  EXPECT_TRUE(node.is_alive(first.child));
  EXPECT_EQ(otp::whereis("probe"), first.child);
}

// The name is released before an init failure is reported, so it is free
// as soon as start_link returns (a supervisor may restart at once).
TEST_F(GenServerStart, NameIsFreeWhenAFailedStartReturns) {
  otp::trap_exit(true);
  for (init_outcome what : {init_outcome::stop, init_outcome::raise, init_outcome::ignore}) {
    auto s = otp::gen_server::start_link<probe>({.name = "probe"}, mb.self(), what).get();
    EXPECT_FALSE(s.is_ok());
    EXPECT_TRUE(otp::whereis("probe").is_null()) << s.to_string();
  }
  auto ok =
      otp::gen_server::start_link<probe>({.name = "probe"}, mb.self(), init_outcome::ok).get();
  EXPECT_TRUE(ok.is_ok()) << ok.to_string();
}

// The name of a child killed by the start timeout is free when start_link returns.
TEST_F(GenServerStart, NameIsFreeWhenAStartTimesOut) {
  otp::trap_exit(true);
  auto s =
      otp::gen_server::start_link<slow_init>({.name = "slow", .start_timeout = 50ms}, mb.self())
          .get();
  EXPECT_TRUE(s.is_error() && s.reason.is(exit_reason::kind::timeout)) << s.to_string();
  EXPECT_TRUE(otp::whereis("slow").is_null());
}

// --- continue ---------------------------------------------------------------------------

// {ok, State, {continue, C}}: handle_continue runs before any message,
// including one queued during init, and before a cast sent right after start.
TEST_F(GenServerStart, InitContinueRunsBeforeAnyQueuedMessage) {
  auto s = otp::gen_server::start_link<continuer>(mb.self(), 1).get();
  ASSERT_TRUE(s.is_ok());
  otp::cast(s.ref(), cast_note{"a"});
  EXPECT_EQ(next_event(), "continue 1");
  EXPECT_EQ(next_event(), "info");
  EXPECT_EQ(next_event(), "cast a");
}

// A continue may return another continue: they all run before the next message.
TEST_F(GenServerStart, ChainedContinuesAllRunBeforeTheNextMessage) {
  auto s = otp::gen_server::start_link<continuer>(mb.self(), 3).get();
  ASSERT_TRUE(s.is_ok());
  otp::cast(s.ref(), cast_note{"a"});
  for (const char* e : {"continue 1", "continue 2", "continue 3", "info", "cast a"})
    EXPECT_EQ(next_event(), e);
}

// A handle_continue that waits (a coroutine) keeps the server from handling
// messages until it finishes; those queue and are handled afterwards.
TEST_F(GenServerStart, AWaitingContinueHoldsBackMessagesUntilItFinishes) {
  auto s = otp::gen_server::start_link<waiting_continuer>(mb.self()).get();
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(next_event(), "continue waiting");
  otp::cast(s.ref(), cast_note{"a"});
  otp::send(s.child, go{});
  EXPECT_EQ(next_event(), "continue done");
  EXPECT_EQ(next_event(), "cast a");
}

}  // namespace

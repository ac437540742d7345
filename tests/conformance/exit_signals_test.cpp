// Exit signals: what exit/2 and a linked process's death do to a process,
// by reason (normal, shutdown, kill, custom) and by whether the target traps
// exits; which exit wins; and where exit signals fall among messages.
//
// Mirrors the exit-signal rules of the Erlang Reference Manual
// ("Processes: Receiving Exit Signals") and OTP's erts process_SUITE.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;
using kind = otp::exit_reason::kind;

using otp_test::ping;
using otp_test::pong;
/// What a trapping_recorder saw, in the order it saw it.
struct recorded {
  std::string what;
};

// --- process bodies -----------------------------------------------------------

/// Sets trap_exit as asked, then forever: forwards each exit_msg to
/// `observer` and answers pings. The node's own shutdown ends it.
otp::proc target(otp::pid observer, bool trap) {
  otp::trap_exit(trap);
  for (;;) {
    co_await otp::receive(
        [observer](otp::exit_msg m) {
          if (m.from.is_null() && m.reason.is_shutdown()) otp::exit(m.reason);
          otp::send(observer, std::move(m));
        },
        [](ping p) { otp::send(p.from, pong{otp::self()}); });
  }
}

/// Links to `peer`, then ends with `reason` (erlang:exit/1).
otp::proc die_linked(otp::pid peer, exit_reason reason) {
  otp::link(peer);
  otp::exit(std::move(reason));
  co_return;
}

/// Traps exits (spawn it with trap_exit set, so no signal comes first) and
/// reports every int and exit_msg to `observer` as an event,
/// in the order it receives them.
otp::proc trapping_recorder(otp::pid observer) {
  otp::trap_exit(true);
  for (;;) {
    co_await otp::receive([observer](int i) { otp::send(observer, recorded{std::to_string(i)}); },
                          [observer](otp::exit_msg m) {
                            if (m.from.is_null() && m.reason.is_shutdown()) otp::exit(m.reason);
                            otp::send(observer, recorded{"EXIT " + m.reason.to_string()});
                          });
  }
}

// --- fixture --------------------------------------------------------------------

/// A manual node and a thread mailbox that watches the processes under test.
class ExitSignals : public ::testing::Test {
 protected:
  struct watched {
    otp::pid pid;
    otp::ref mon;
  };

  /// Starts a target that has set its trap_exit flag before anything else
  /// happens, monitored by the mailbox.
  watched start_target(bool trap) {
    otp::pid p = n.spawn(target, mb.self(), trap);
    otp::ref r = otp::monitor(p);
    n.run_until_idle();
    return {p, r};
  }

  /// Makes a process linked to `to` die with `reason`, and returns once it
  /// has died. It sent its exit signal to `to` before its DOWN reached us,
  /// so whatever the mailbox sends `to` afterwards arrives after it.
  otp::pid linked_peer_dies(otp::pid to, const exit_reason& reason) {
    auto [peer, r] = otp::spawn_monitor(die_linked, to, reason);
    EXPECT_EQ(down_of(r).reason, reason);
    return peer;
  }

  otp::down_msg down_of(otp::ref r) {
    return mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                                [](otp::down_msg d) { return d; }));
  }

  /// True when `p` answers a ping (so it handled every signal sent before).
  bool answers_ping(otp::pid p) {
    otp::send(p, ping{mb.self()});
    return mb.receive<pong>(1s).has_value();
  }

  /// The next exit_msg forwarded to the mailbox, if one comes within 1 s.
  std::optional<otp::exit_msg> forwarded_exit() { return mb.receive<otp::exit_msg>(1s); }

  otp::node n{{.manual = true}};
  otp::mailbox mb{n};
};

using ExitViaExit2 = ExitSignals;
using ExitViaLink = ExitSignals;
using ExitRules = ExitSignals;
using SignalOrder = ExitSignals;

// --- the matrix: exit(Pid, Reason) ------------------------------------------------

// exit(P, normal) is ignored by a process that does not trap exits.
TEST_F(ExitViaExit2, NormalIsIgnoredByANonTrappingProcess) {
  watched t = start_target(false);
  otp::exit(t.pid, exit_reason::normal());
  EXPECT_TRUE(answers_ping(t.pid));
  EXPECT_TRUE(n.is_alive(t.pid));
}

// A trapping process gets exit(P, normal) as {'EXIT', From, normal}.
TEST_F(ExitViaExit2, NormalReachesATrappingProcessAsAnExitMessage) {
  watched t = start_target(true);
  otp::exit(t.pid, exit_reason::normal());
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, mb.self());
  EXPECT_EQ(m->reason, exit_reason::normal());
  EXPECT_TRUE(answers_ping(t.pid));
}

// exit(P, shutdown) ends a non-trapping process with reason shutdown.
TEST_F(ExitViaExit2, ShutdownEndsANonTrappingProcessWithShutdown) {
  watched t = start_target(false);
  otp::exit(t.pid, exit_reason::shutdown());
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::shutdown());
}

// A trapping process gets exit(P, shutdown) as {'EXIT', From, shutdown} and lives on.
TEST_F(ExitViaExit2, ShutdownReachesATrappingProcessAsAnExitMessage) {
  watched t = start_target(true);
  otp::exit(t.pid, exit_reason::shutdown("maintenance"));
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, mb.self());
  EXPECT_EQ(m->reason, exit_reason::shutdown("maintenance"));
  EXPECT_TRUE(answers_ping(t.pid));
}

// exit(P, kill) ends a non-trapping process with reason killed.
TEST_F(ExitViaExit2, KillEndsANonTrappingProcessWithKilled) {
  watched t = start_target(false);
  otp::exit(t.pid, exit_reason::kill());
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::killed());
}

// exit(P, kill) is untrappable: a trapping process dies with killed, no EXIT message.
TEST_F(ExitViaExit2, KillEndsEvenATrappingProcessWithKilled) {
  watched t = start_target(true);
  otp::exit(t.pid, exit_reason::kill());
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::killed());
  // Anything the target forwarded was sent before its DOWN, so it is queued now.
  EXPECT_FALSE(mb.receive<otp::exit_msg>(0ms).has_value());
}

// exit(P, Reason) with any other reason ends a non-trapping process with Reason.
TEST_F(ExitViaExit2, CustomReasonEndsANonTrappingProcessWithThatReason) {
  watched t = start_target(false);
  otp::exit(t.pid, exit_reason::other("bad_state"));
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::other("bad_state"));
}

// A trapping process gets exit(P, Reason) as {'EXIT', From, Reason} and lives on.
TEST_F(ExitViaExit2, CustomReasonReachesATrappingProcessAsAnExitMessage) {
  watched t = start_target(true);
  otp::exit(t.pid, exit_reason::other("bad_state"));
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, mb.self());
  EXPECT_EQ(m->reason, exit_reason::other("bad_state"));
  EXPECT_TRUE(answers_ping(t.pid));
}

// --- the matrix: a linked process dies with Reason --------------------------------

// A linked process ending normally does not stop a non-trapping process.
TEST_F(ExitViaLink, NormalDeathOfALinkedProcessIsIgnoredWhenNotTrapping) {
  watched t = start_target(false);
  linked_peer_dies(t.pid, exit_reason::normal());
  EXPECT_TRUE(answers_ping(t.pid));
  EXPECT_TRUE(n.is_alive(t.pid));
}

// A trapping process gets {'EXIT', Linked, normal} when a linked process ends normally.
TEST_F(ExitViaLink, NormalDeathOfALinkedProcessIsAnExitMessageWhenTrapping) {
  watched t = start_target(true);
  otp::pid peer = linked_peer_dies(t.pid, exit_reason::normal());
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, peer);
  EXPECT_EQ(m->reason, exit_reason::normal());
}

// A body that returns ends with normal, which a linked non-trapping process ignores.
TEST_F(ExitViaLink, ReturningFromTheBodyIsANormalExitForLinks) {
  watched t = start_target(false);
  auto [peer, r] = otp::spawn_monitor(
      [](otp::pid to) -> otp::proc {
        otp::link(to);
        co_return;
      },
      t.pid);
  EXPECT_EQ(down_of(r).reason, exit_reason::normal());
  EXPECT_TRUE(answers_ping(t.pid));
}

// A linked process dying with shutdown takes a non-trapping process down with shutdown.
TEST_F(ExitViaLink, ShutdownOfALinkedProcessEndsANonTrappingProcess) {
  watched t = start_target(false);
  linked_peer_dies(t.pid, exit_reason::shutdown());
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::shutdown());
}

// A trapping process gets {'EXIT', Linked, shutdown} and lives on.
TEST_F(ExitViaLink, ShutdownOfALinkedProcessIsAnExitMessageWhenTrapping) {
  watched t = start_target(true);
  otp::pid peer = linked_peer_dies(t.pid, exit_reason::shutdown());
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, peer);
  EXPECT_EQ(m->reason, exit_reason::shutdown());
  EXPECT_TRUE(answers_ping(t.pid));
}

// A process that calls exit(kill) sends `kill` (not `killed`) through its links,
// and as a link signal it is an ordinary reason: the non-trapping peer dies with kill.
TEST_F(ExitViaLink, KillReasonOfALinkedProcessEndsANonTrappingProcessWithKill) {
  watched t = start_target(false);
  linked_peer_dies(t.pid, exit_reason::kill());
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::kill());
}

// `kill` arriving through a link is trappable: {'EXIT', Linked, kill}.
TEST_F(ExitViaLink, KillReasonOfALinkedProcessIsAnExitMessageWhenTrapping) {
  watched t = start_target(true);
  otp::pid peer = linked_peer_dies(t.pid, exit_reason::kill());
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, peer);
  EXPECT_EQ(m->reason, exit_reason::kill());
  EXPECT_TRUE(answers_ping(t.pid));
}

// A linked process crashing with Reason takes a non-trapping process down with Reason.
TEST_F(ExitViaLink, CustomReasonOfALinkedProcessEndsANonTrappingProcess) {
  watched t = start_target(false);
  linked_peer_dies(t.pid, exit_reason::other("bad_state"));
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::other("bad_state"));
}

// A trapping process gets {'EXIT', Linked, Reason} and lives on.
TEST_F(ExitViaLink, CustomReasonOfALinkedProcessIsAnExitMessageWhenTrapping) {
  watched t = start_target(true);
  otp::pid peer = linked_peer_dies(t.pid, exit_reason::other("bad_state"));
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, peer);
  EXPECT_EQ(m->reason, exit_reason::other("bad_state"));
  EXPECT_TRUE(answers_ping(t.pid));
}

// A process killed by exit(P, kill) tells its links `killed`, never `kill`
// (otherwise one kill would cascade untrappably through every link).
TEST_F(ExitViaLink, LinksOfAKilledProcessReceiveKilled) {
  otp::trap_exit(true);
  otp::pid t = otp::spawn_opt({.link = true, .trap_exit = true}, target, mb.self(), true).child;
  otp::exit(t, exit_reason::kill());
  auto m = mb.receive<otp::exit_msg>();
  EXPECT_EQ(m.from, t);
  EXPECT_EQ(m.reason, exit_reason::killed());
}

// A non-trapping process linked to a killed process dies with killed too.
TEST_F(ExitViaLink, NonTrappingLinkOfAKilledProcessDiesWithKilled) {
  watched t = start_target(false);
  otp::pid victim = n.spawn(target, mb.self(), false);
  auto [linker, r] = otp::spawn_monitor(
      [](otp::pid a, otp::pid b) -> otp::proc {
        otp::link(a);
        otp::link(b);
        co_await otp::receive<ping>();
      },
      t.pid, victim);
  n.run_until_idle();
  otp::exit(victim, exit_reason::kill());
  EXPECT_EQ(down_of(r).reason, exit_reason::killed());
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::killed());
}

// An exception escaping a body is the exit reason its links receive.
TEST_F(ExitViaLink, AnEscapedExceptionIsTheReasonLinkedProcessesDieWith) {
  watched t = start_target(false);
  auto [peer, r] = otp::spawn_monitor(
      [](otp::pid to) -> otp::proc {
        otp::link(to);
        throw std::runtime_error("boom");
        co_return;
      },
      t.pid);
  exit_reason peer_reason = down_of(r).reason;
  EXPECT_TRUE(peer_reason.is(kind::exception));
  EXPECT_EQ(peer_reason.detail(), "boom");
  EXPECT_EQ(down_of(t.mon).reason, peer_reason);
}

// --- other exit rules ----------------------------------------------------------

// exit(self(), normal) ends the caller, unlike exit(Other, normal).
TEST_F(ExitRules, ExitSelfNormalEndsTheCaller) {
  otp::spawn_monitor(
      [](otp::pid observer) -> otp::proc {
        otp::exit(otp::self(), exit_reason::normal());
        co_await otp::yield();
        otp::send(observer, recorded{"still alive"});
      },
      mb.self());
  // The process's messages to us come before its DOWN, so the first of either decides.
  auto first = mb.receive([](recorded e) { return e.what; },
                          [](otp::down_msg d) { return "DOWN " + d.reason.to_string(); });
  EXPECT_EQ(first, "DOWN normal");
}

// A trapping process that calls exit(self(), normal) gets {'EXIT', self(), normal}.
TEST_F(ExitRules, ExitSelfNormalIsAnExitMessageForATrappingCaller) {
  n.spawn(
      [](otp::pid observer) -> otp::proc {
        otp::trap_exit(true);
        otp::exit(otp::self(), exit_reason::normal());
        auto m = co_await otp::receive<otp::exit_msg>();
        otp::send(observer, recorded{m.from == otp::self() ? "EXIT from self" : "EXIT from other"});
        otp::send(observer, m.reason);
      },
      mb.self());
  EXPECT_EQ(mb.receive<recorded>().what, "EXIT from self");
  EXPECT_EQ(mb.receive<exit_reason>(), exit_reason::normal());
}

// exit(self(), kill) is untrappable too: a trapping caller ends with killed.
TEST_F(ExitRules, ExitSelfKillEndsEvenATrappingCallerWithKilled) {
  auto [p, r] = otp::spawn_monitor([]() -> otp::proc {
    otp::trap_exit(true);
    otp::exit(otp::self(), exit_reason::kill());
    co_await otp::receive<otp::exit_msg>();
  });
  EXPECT_EQ(down_of(r).reason, exit_reason::killed());
}

// The first exit signal that a process acts on decides its reason; later ones are ignored.
TEST_F(ExitRules, FirstExitSignalWins) {
  watched t = start_target(false);
  otp::exit(t.pid, exit_reason::other("first"));
  otp::exit(t.pid, exit_reason::other("second"));
  otp::exit(t.pid, exit_reason::kill());
  EXPECT_EQ(down_of(t.mon).reason, exit_reason::other("first"));
}

// Exit signals from no process (the node, a port) follow the same rules; From is undefined.
TEST_F(ExitRules, ExitFromOutsideAnyProcessHasANullSender) {
  watched t = start_target(true);
  n.exit(t.pid, exit_reason::other("from_port"));
  auto m = forwarded_exit();
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->from.is_null());
  EXPECT_EQ(m->reason, exit_reason::other("from_port"));
}

// exit/2 to a dead process is a no-op for the caller.
TEST_F(ExitRules, ExitToADeadProcessDoesNothing) {
  watched t = start_target(false);
  otp::exit(t.pid, exit_reason::kill());
  down_of(t.mon);
  EXPECT_NO_THROW(otp::exit(t.pid, exit_reason::other("late")));
  EXPECT_NO_THROW(otp::exit(t.pid, exit_reason::kill()));
}

// exit/1 raises an exit that `catch` can stop: the process goes on.
TEST_F(ExitRules, ExitOneCanBeCaughtLikeCatchExit) {
  auto [p, r] = otp::spawn_monitor(
      [](otp::pid observer) -> otp::proc {
        try {
          otp::exit(exit_reason::other("caught"));
        } catch (const otp::exit_error& e) {
          otp::send(observer, e.reason());
        }
        co_await otp::receive<ping>();
      },
      mb.self());
  EXPECT_EQ(mb.receive<exit_reason>(), exit_reason::other("caught"));
  EXPECT_TRUE(n.is_alive(p));
  otp::send(p, ping{});
  EXPECT_EQ(down_of(r).reason, exit_reason::normal());
}

// A thread mailbox that does not trap exits is ended by an exit signal: its receive throws.
TEST(ExitSignalsMailbox, NonTrappingMailboxIsEndedByAnExitSignal) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.spawn(
      [](otp::pid to) -> otp::proc {
        otp::exit(to, exit_reason::other("go_away"));
        co_return;
      },
      mb.self());
  try {
    mb.receive<ping>();
    ADD_FAILURE() << "receive returned although an exit signal ended the mailbox";
  } catch (const otp::exit_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::other("go_away"));
  }
  EXPECT_THROW(mb.receive<ping>(0ms), otp::exit_error);  // and it stays dead
}

// exit(P, kill) ends even a trapping thread mailbox: its receive throws killed.
TEST(ExitSignalsMailbox, KillEndsATrappingMailbox) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  n.spawn(
      [](otp::pid to) -> otp::proc {
        otp::exit(to, exit_reason::kill());
        co_return;
      },
      mb.self());
  try {
    mb.receive<otp::exit_msg>();
    ADD_FAILURE() << "a trapping mailbox received instead of being killed";
  } catch (const otp::exit_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::killed());
  }
}

// --- ordering ---------------------------------------------------------------------

std::vector<std::string> events(otp::mailbox& mb, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(mb.receive<recorded>().what);
  return out;
}

// Signals from one sender arrive in the order sent: messages sent before an exit
// signal reach a trapping process before the EXIT message, those after it after.
TEST_F(SignalOrder, MessagesAndExitSignalFromOneSenderArriveInOrder) {
  otp::pid r = n.spawn_opt({.trap_exit = true}, trapping_recorder, mb.self()).child;
  otp::send(r, 1);
  otp::send(r, 2);
  otp::exit(r, exit_reason::normal());
  otp::send(r, 3);
  otp::exit(r, exit_reason::shutdown());
  EXPECT_EQ(events(mb, 5),
            (std::vector<std::string>{"1", "2", "EXIT normal", "3", "EXIT shutdown"}));
}

// A linked process's messages reach a trapping process before its EXIT.
TEST_F(SignalOrder, MessagesFromADyingLinkedProcessArriveBeforeItsExit) {
  otp::pid r = n.spawn_opt({.trap_exit = true}, trapping_recorder, mb.self()).child;
  n.spawn(
      [](otp::pid to) -> otp::proc {
        otp::link(to);
        for (int i = 1; i <= 3; ++i) otp::send(to, i);
        otp::exit(exit_reason::other("done"));
        co_return;
      },
      r);
  EXPECT_EQ(events(mb, 4), (std::vector<std::string>{"1", "2", "3", "EXIT done"}));
}

// Selective receive takes the EXIT message out of turn and leaves the earlier
// messages queued in their order.
TEST_F(SignalOrder, SelectiveReceiveOfAnExitLeavesEarlierMessagesQueuedInOrder) {
  otp::pid p = n.spawn(
      [](otp::pid observer) -> otp::proc {
        otp::trap_exit(true);
        co_await otp::receive<ping>();  // wait until everything is queued
        auto m = co_await otp::receive<otp::exit_msg>();
        otp::send(observer, recorded{"EXIT " + m.reason.to_string()});
        for (int i = 0; i < 3; ++i) {
          int v = co_await otp::receive<int>();
          otp::send(observer, recorded{std::to_string(v)});
        }
      },
      mb.self());
  n.run_until_idle();
  otp::send(p, 1);
  otp::send(p, 2);
  otp::exit(p, exit_reason::other("why"));
  otp::send(p, 3);
  otp::send(p, ping{});
  EXPECT_EQ(events(mb, 4), (std::vector<std::string>{"EXIT why", "1", "2", "3"}));
}

// --- the same rules under real concurrency -------------------------------------

// exit(P, kill) kills a trapping process on a threaded node; its links get killed.
TEST(ExitSignalsThreaded, KillIsUntrappableAndLinksGetKilled) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  otp::pid t = otp::spawn_opt({.link = true, .trap_exit = true}, target, mb.self(), true).child;
  otp::ref r = otp::monitor(t);
  otp::exit(t, exit_reason::kill());
  auto d = mb.receive<otp::down_msg>();
  EXPECT_EQ(d.monitor, r);
  EXPECT_EQ(d.reason, exit_reason::killed());
  auto m = mb.receive<otp::exit_msg>();
  EXPECT_EQ(m.from, t);
  EXPECT_EQ(m.reason, exit_reason::killed());
}

// On a threaded node, one sender's messages and exit signal still arrive in order.
TEST(ExitSignalsThreaded, MessagesAndExitSignalFromOneSenderArriveInOrder) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  otp::pid r = n.spawn_opt({.trap_exit = true}, trapping_recorder, mb.self()).child;
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    otp::send(r, i);
    expected.push_back(std::to_string(i));
  }
  otp::exit(r, exit_reason::other("last"));
  expected.push_back("EXIT last");
  EXPECT_EQ(events(mb, 101), expected);
  otp::ref m = otp::monitor(r);
  otp::exit(r, exit_reason::kill());
  EXPECT_EQ(mb.receive<otp::down_msg>().monitor, m);
}

}  // namespace

// Links and monitors: creating and removing them, what a dead or missing
// target gives, spawn_link / spawn_monitor atomicity, and DOWN delivery.
//
// Mirrors the rules of erlang:link/1, unlink/1, monitor/2, demonitor/2,
// spawn_link/1 and spawn_monitor/1, and OTP's erts process_SUITE and
// monitor_SUITE.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;

using otp_test::ping;
using otp_test::pong;
/// Asks a pinged_worker to exit with `reason`.
struct stop_with {
  exit_reason reason;
};

// --- process bodies -----------------------------------------------------------

/// Answers pings until told to stop with a reason.
otp::proc pinged_worker() {
  for (bool done = false; !done;) {
    co_await otp::receive([](ping p) { otp::send(p.from, pong{otp::self()}); },
                          [&done](stop_with s) {
                            done = true;
                            otp::exit(s.reason);
                          });
  }
}

/// Ends at once with `reason`.
otp::proc crash_at_once(exit_reason reason) {
  otp::exit(std::move(reason));
  co_return;
}

// --- fixture --------------------------------------------------------------------

/// A manual node and a thread mailbox acting as the test's process.
class LinksMonitors : public ::testing::Test {
 protected:
  /// A pid whose process has ended.
  otp::pid dead_pid() {
    auto [p, r] = otp::spawn_monitor(crash_at_once, exit_reason::normal());
    down_of(r);
    return p;
  }

  otp::down_msg down_of(otp::ref r) {
    return mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                                [](otp::down_msg d) { return d; }));
  }

  /// True when a DOWN for `r` is queued or arrives within `t` (virtual time).
  bool down_arrives(otp::ref r, otp::timeout t) {
    return mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                                [](const otp::down_msg&) { return true; }),
                      otp::after(t, [] { return false; }));
  }

  bool answers_ping(otp::pid p) {
    otp::send(p, ping{mb.self()});
    return mb.receive<pong>(1s).has_value();
  }

  otp::node n{{.manual = true}};
  otp::mailbox mb{n};
};

using Links = LinksMonitors;
using Monitors = LinksMonitors;

// --- links ----------------------------------------------------------------------

// link(self()) does nothing: a process is never in its own link set.
TEST_F(Links, LinkToSelfIsANoOp) {
  n.spawn(
      [](otp::pid observer) -> otp::proc {
        otp::link(otp::self());
        auto info = co_await otp::get_process_info(otp::self());
        otp::send(observer, info->links);
      },
      mb.self());
  EXPECT_EQ(mb.receive<std::vector<otp::pid>>(), std::vector<otp::pid>{});
}

// Linking to an already linked process changes nothing: there is still one link.
TEST_F(Links, LinkingTwiceLeavesOneLink) {
  otp::pid w = n.spawn(pinged_worker);
  n.spawn(
      [](otp::pid observer, otp::pid peer) -> otp::proc {
        otp::link(peer);
        otp::link(peer);
        auto info = co_await otp::get_process_info(otp::self());
        otp::send(observer, info->links);
      },
      mb.self(), w);
  EXPECT_EQ(mb.receive<std::vector<otp::pid>>(), std::vector<otp::pid>{w});
}

// Links are not counted: after linking twice, one unlink removes the link.
TEST_F(Links, OneUnlinkUndoesTwoLinks) {
  otp::trap_exit(true);
  otp::pid w = n.spawn(pinged_worker);
  otp::ref r = otp::monitor(w);
  otp::link(w);
  otp::link(w);
  otp::unlink(w);
  otp::send(w, stop_with{exit_reason::other("crash")});
  EXPECT_EQ(down_of(r).reason, exit_reason::other("crash"));
  // An EXIT from w would have been sent before its DOWN.
  EXPECT_FALSE(mb.receive<otp::exit_msg>(0ms).has_value());
}

// link/1 to a dead process fails with noproc when the caller does not trap exits.
TEST_F(Links, LinkToADeadPidThrowsNoprocWhenNotTrapping) {
  otp::pid dead = dead_pid();
  try {
    otp::link(dead);
    ADD_FAILURE() << "link to a dead pid returned";
  } catch (const otp::exit_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::noproc());
  }
}

// Uncaught, the noproc from link/1 ends the calling process with noproc.
TEST_F(Links, UncaughtNoprocFromLinkEndsTheCaller) {
  otp::pid dead = dead_pid();
  auto [p, r] = otp::spawn_monitor(
      [](otp::pid to) -> otp::proc {
        otp::link(to);
        co_await otp::receive<ping>();
      },
      dead);
  EXPECT_EQ(down_of(r).reason, exit_reason::noproc());
}

// A trapping caller linking to a dead process gets {'EXIT', Pid, noproc} instead.
TEST_F(Links, LinkToADeadPidGivesAnExitMessageWhenTrapping) {
  otp::pid dead = dead_pid();
  otp::trap_exit(true);
  EXPECT_NO_THROW(otp::link(dead));
  auto m = mb.receive<otp::exit_msg>(1s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, dead);
  EXPECT_EQ(m->reason, exit_reason::noproc());
}

// A link made by one side carries the other side's death to it.
TEST_F(Links, TheLinkingProcessHearsOfTheLinkedProcesssDeath) {
  otp::trap_exit(true);
  otp::pid w = n.spawn(pinged_worker);
  otp::link(w);
  otp::send(w, stop_with{exit_reason::other("crash")});
  auto m = mb.receive<otp::exit_msg>();
  EXPECT_EQ(m.from, w);
  EXPECT_EQ(m.reason, exit_reason::other("crash"));
}

// After unlink/1 returns, the former peer's death sends no EXIT.
TEST_F(Links, NoExitArrivesAfterUnlink) {
  otp::trap_exit(true);
  otp::pid w = otp::spawn_link(pinged_worker);
  otp::ref r = otp::monitor(w);
  otp::unlink(w);
  otp::send(w, stop_with{exit_reason::other("crash")});
  EXPECT_EQ(down_of(r).reason, exit_reason::other("crash"));
  EXPECT_FALSE(mb.receive<otp::exit_msg>(0ms).has_value());
}

struct unlink_from {
  otp::pid peer;
};

/// Unlinks whoever asks, then reports.
otp::proc unlinker(otp::pid report) {
  auto m = co_await otp::receive<unlink_from>();
  otp::unlink(m.peer);
  otp::send(report, pong{otp::self()});
  co_await otp::receive([](stop_with) {});
}

// A late unlink from the peer cannot remove a link made again since: while our
// own unlink is unacknowledged, the peer's unlink refers to the link we already
// removed (ERTS's UNLINK_ID / UNLINK_ID_ACK rule). Both sides end up linked.
TEST_F(Links, LateUnlinkFromThePeerDoesNotRemoveANewLink) {
  otp::pid w = n.spawn(unlinker, mb.self());
  otp::link(w);
  n.run_until_idle();  // w has the link
  n.send(w, unlink_from{mb.self()});
  n.run_until_idle();  // w unlinked us; its unlink waits, undrained, in our inbox
  otp::unlink(w);      // we unlink too...
  otp::link(w);        // ...and link again before seeing w's unlink
  EXPECT_TRUE(mb.receive<pong>(0ms).has_value());  // drains w's unlink now
  n.run_until_idle();
  auto mine = n.process_info(mb.self());
  auto theirs = n.process_info(w);
  ASSERT_TRUE(mine && theirs);
  EXPECT_EQ(mine->links, std::vector<otp::pid>{w});
  EXPECT_EQ(theirs->links, std::vector<otp::pid>{mb.self()});
}

// unlink/1 removes the link on both sides: the unlinking process's death spares the peer.
TEST_F(Links, UnlinkRemovesTheLinkOnBothSides) {
  otp::pid w = n.spawn(pinged_worker);
  otp::ref rw = otp::monitor(w);
  auto [a, ra] = otp::spawn_monitor(
      [](otp::pid peer) -> otp::proc {
        otp::link(peer);
        otp::unlink(peer);
        otp::exit(exit_reason::other("crash"));
        co_return;
      },
      w);
  EXPECT_EQ(down_of(ra).reason, exit_reason::other("crash"));
  EXPECT_TRUE(answers_ping(w));
  EXPECT_FALSE(down_arrives(rw, 0ms));
}

// spawn_link links before the child runs: a child that crashes at once takes
// its non-trapping parent down with the child's reason.
TEST_F(Links, SpawnLinkedChildCrashingAtOnceKillsTheParent) {
  auto [parent, r] = otp::spawn_monitor([]() -> otp::proc {
    otp::spawn_link(crash_at_once, exit_reason::other("crash"));
    co_await otp::receive<ping>();
  });
  EXPECT_EQ(down_of(r).reason, exit_reason::other("crash"));
}

// With spawn_link a trapping parent gets the child's real reason, never noproc.
TEST_F(Links, SpawnLinkGivesATrappingParentTheChildsReason) {
  otp::trap_exit(true);
  otp::pid child = otp::spawn_link(crash_at_once, exit_reason::other("crash"));
  auto m = mb.receive<otp::exit_msg>();
  EXPECT_EQ(m.from, child);
  EXPECT_EQ(m.reason, exit_reason::other("crash"));
}

// A thread mailbox that does not trap exits dies with its spawn_linked child:
// its receive throws the child's reason.
TEST_F(Links, NonTrappingMailboxDiesWithItsSpawnLinkedChild) {
  otp::spawn_link(crash_at_once, exit_reason::other("crash"));
  try {
    mb.receive<ping>();
    ADD_FAILURE() << "receive returned although the linked child crashed";
  } catch (const otp::exit_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::other("crash"));
  }
}

// --- monitors ---------------------------------------------------------------------

// DOWN carries the monitor ref, the monitored pid and its exit reason.
TEST_F(Monitors, DownCarriesTheRefThePidAndTheReason) {
  otp::pid w = n.spawn(pinged_worker);
  otp::ref r = otp::monitor(w);
  otp::send(w, stop_with{exit_reason::other("crash")});
  otp::down_msg d = mb.receive<otp::down_msg>();
  EXPECT_EQ(d.monitor, r);
  EXPECT_EQ(d.from, w);
  EXPECT_EQ(d.reason, exit_reason::other("crash"));
  EXPECT_TRUE(d.name.empty());
}

// Monitoring a dead process gives DOWN with noproc at once.
TEST_F(Monitors, MonitorOfADeadPidGivesNoprocAtOnce) {
  otp::pid dead = dead_pid();
  otp::ref r = otp::monitor(dead);
  auto d = mb.receive<otp::down_msg>(0ms);  // queued already: no process had to run
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->monitor, r);
  EXPECT_EQ(d->from, dead);
  EXPECT_EQ(d->reason, exit_reason::noproc());
}

// Monitoring a name nobody has gives DOWN with noproc at once, naming the name.
TEST_F(Monitors, MonitorOfAMissingNameGivesNoprocWithTheName) {
  otp::ref r = otp::monitor(std::string_view("nobody"));
  auto d = mb.receive<otp::down_msg>(0ms);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->monitor, r);
  EXPECT_EQ(d->reason, exit_reason::noproc());
  EXPECT_EQ(d->name, "nobody");
}

// Monitors are not merged: two monitors of one process give two DOWNs.
TEST_F(Monitors, TwoMonitorsOfOneProcessGiveTwoDowns) {
  otp::pid w = n.spawn(pinged_worker);
  otp::ref r1 = otp::monitor(w);
  otp::ref r2 = otp::monitor(w);
  EXPECT_NE(r1, r2);
  otp::send(w, stop_with{exit_reason::shutdown()});
  EXPECT_EQ(down_of(r1).reason, exit_reason::shutdown());
  EXPECT_EQ(down_of(r2).reason, exit_reason::shutdown());
}

// demonitor/2 on an active monitor returns true, and no DOWN for it arrives later.
TEST_F(Monitors, DemonitorOfAnActiveMonitorReturnsTrueAndNoDownFollows) {
  otp::pid w = n.spawn(pinged_worker);
  otp::ref r = otp::monitor(w);
  otp::ref control = otp::monitor(w);
  EXPECT_TRUE(otp::demonitor(r));
  otp::send(w, stop_with{exit_reason::other("crash")});
  EXPECT_EQ(down_of(control).reason, exit_reason::other("crash"));
  EXPECT_FALSE(down_arrives(r, 1s));
}

// demonitor(Ref, [flush, info]) after the DOWN is queued removes it and
// returns false (a flush was needed).
TEST_F(Monitors, DemonitorFlushRemovesAQueuedDownAndReturnsFalse) {
  otp::pid w = n.spawn(pinged_worker);
  otp::ref r = otp::monitor(w);
  otp::ref control = otp::monitor(w);
  otp::exit(w, exit_reason::kill());
  // On a manual node both DOWNs are sent in one step: receiving one queues the other.
  EXPECT_EQ(down_of(control).reason, exit_reason::killed());
  EXPECT_FALSE(otp::demonitor(r, {.flush = true, .info = true}));
  EXPECT_FALSE(down_arrives(r, 0ms));
}

// demonitor(Ref, [info]) after the DOWN is queued returns false and leaves
// the DOWN queued; demonitor/1 returns true all the same.
TEST_F(Monitors, DemonitorWithoutFlushLeavesAQueuedDown) {
  otp::pid w = n.spawn(pinged_worker);
  otp::ref r = otp::monitor(w);
  otp::ref control = otp::monitor(w);
  otp::exit(w, exit_reason::kill());
  EXPECT_EQ(down_of(control).reason, exit_reason::killed());
  EXPECT_FALSE(otp::demonitor(r, {.info = true}));
  EXPECT_TRUE(otp::demonitor(r));
  EXPECT_TRUE(down_arrives(r, 0ms));
}

// demonitor of a ref that is no monitor at all: true, or false with [info]
// (OTP's results).
TEST_F(Monitors, DemonitorOfAnUnknownRefReturnsTrueOrFalseWithInfo) {
  EXPECT_TRUE(otp::demonitor(otp::make_ref()));
  EXPECT_TRUE(otp::demonitor(otp::make_ref(), {.flush = true}));
  EXPECT_FALSE(otp::demonitor(otp::make_ref(), {.info = true}));
  EXPECT_FALSE(otp::demonitor(otp::make_ref(), {.flush = true, .info = true}));
}

// demonitor of a monitor another process holds on the caller is badarg:
// only the monitoring process may remove it; the monitor stays.
TEST_F(Monitors, DemonitorOfAnotherProcesssMonitorOnTheCallerIsBadarg) {
  n.spawn(
      [](otp::pid target) -> otp::proc {
        otp::send(target, otp::monitor(target));
        co_await otp::receive([](otp::down_msg) {});
      },
      mb.self());
  const otp::ref theirs = mb.receive<otp::ref>();
  EXPECT_THROW((void)otp::demonitor(theirs), otp::badarg);
}

// spawn_monitor monitors before the child runs: an instant crash gives its reason, not noproc.
TEST_F(Monitors, SpawnMonitorReportsAnInstantCrashWithItsReason) {
  auto [child, r] = otp::spawn_monitor(crash_at_once, exit_reason::other("crash"));
  otp::down_msg d = mb.receive<otp::down_msg>();
  EXPECT_EQ(d.monitor, r);
  EXPECT_EQ(d.from, child);
  EXPECT_EQ(d.reason, exit_reason::other("crash"));
}

// Monitors are one-way: the watcher's death does not touch the watched process.
TEST_F(Monitors, TheWatchersDeathDoesNotAffectTheWatchedProcess) {
  otp::pid w = n.spawn(pinged_worker);
  auto [watcher, r] = otp::spawn_monitor(
      [](otp::pid target) -> otp::proc {
        otp::monitor(target);
        otp::exit(exit_reason::other("crash"));
        co_return;
      },
      w);
  EXPECT_EQ(down_of(r).reason, exit_reason::other("crash"));
  EXPECT_TRUE(answers_ping(w));
}

// A process's messages reach a watcher before its DOWN (one sender, one order).
TEST_F(Monitors, DownArrivesAfterTheLastMessagesOfTheProcess) {
  otp::spawn_monitor(
      [](otp::pid to) -> otp::proc {
        for (int i = 1; i <= 3; ++i) otp::send(to, i);
        co_return;
      },
      mb.self());
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i)
    seen.push_back(
        mb.receive([](int v) { return std::to_string(v); },
                   [](const otp::down_msg& d) { return "DOWN " + d.reason.to_string(); }));
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3", "DOWN normal"}));
}

// --- stale pids -------------------------------------------------------------------

// A pid names one process: once it is dead, exit, link, monitor and send through
// it never reach the process that later reuses its table slot.
TEST_F(LinksMonitors, AStalePidNeverReachesTheProcessReusingItsSlot) {
  n.spawn(
      [](otp::pid observer) -> otp::proc {
        auto [old, r] = otp::spawn_monitor(pinged_worker);
        otp::exit(old, exit_reason::kill());
        co_await otp::receive<otp::down_msg>();
        otp::pid fresh =
            otp::spawn(pinged_worker);  // a spawn on the same scheduler reuses the slot
        otp::send(observer, std::pair{old, fresh});
      },
      mb.self());
  auto [old, fresh] = mb.receive<std::pair<otp::pid, otp::pid>>();
  if (old.slot() != fresh.slot()) GTEST_SKIP() << "the slot was not reused";
  ASSERT_NE(old, fresh);
  otp::ref fresh_mon = otp::monitor(fresh);

  otp::exit(old, exit_reason::kill());
  otp::send(old, stop_with{exit_reason::other("crash")});
  EXPECT_EQ(down_of(otp::monitor(old)).reason, exit_reason::noproc());
  otp::trap_exit(true);
  otp::link(old);
  auto m = mb.receive<otp::exit_msg>(1s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->from, old);
  EXPECT_EQ(m->reason, exit_reason::noproc());

  EXPECT_TRUE(answers_ping(fresh));
  EXPECT_FALSE(down_arrives(fresh_mon, 0ms));
}

// --- the same rules under real concurrency -------------------------------------

// On a threaded node, spawn_link never lets a trapping parent see noproc for an instant crash.
TEST(LinksMonitorsThreaded, SpawnLinkIsAtomicForInstantCrashes) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  constexpr int kChildren = 50;
  std::vector<otp::pid> children;
  for (int i = 0; i < kChildren; ++i)
    children.push_back(otp::spawn_link(crash_at_once, exit_reason::other("crash")));
  for (int i = 0; i < kChildren; ++i) {
    auto m = mb.receive<otp::exit_msg>();
    EXPECT_EQ(m.reason, exit_reason::other("crash")) << "from " << m.from;
    EXPECT_NE(std::find(children.begin(), children.end(), m.from), children.end());
  }
}

// On a threaded node, every spawn_monitor gives exactly one DOWN with the child's reason.
TEST(LinksMonitorsThreaded, EverySpawnMonitorGivesOneDownWithTheReason) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  constexpr int kChildren = 50;
  std::vector<std::pair<otp::ref, exit_reason>> expected;
  for (int i = 0; i < kChildren; ++i) {
    exit_reason why = exit_reason::other("crash_" + std::to_string(i));
    expected.emplace_back(otp::spawn_monitor(crash_at_once, why).second, why);
  }
  for (const auto& e : expected) {
    otp::ref r = e.first;
    otp::down_msg d = mb.receive(otp::when([r](const otp::down_msg& m) { return m.monitor == r; },
                                           [](otp::down_msg m) { return m; }));
    EXPECT_EQ(d.reason, e.second);
  }
  EXPECT_FALSE(mb.receive<otp::down_msg>(0ms).has_value());
}

}  // namespace

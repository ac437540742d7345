// Selective receive: matching order, guards, `after` timeouts on the virtual
// clock, receive<T>. Every test runs a manual node, so processes run only
// inside run_until_idle()/advance() on this thread and may log into a vector
// the test owns.
#include "otp/runtime/receive.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using log_t = std::vector<std::string>;

struct tag {
  std::string name;
};
using otp_test::go;

// Takes one int, then waits for `go`, then takes three tags, logging each.
otp::proc int_then_tags(log_t* log) {
  co_await otp::receive([&](int n) { log->push_back("int " + std::to_string(n)); });
  co_await otp::receive([](go) {});
  for (int i = 0; i < 3; ++i) co_await otp::receive([&](const tag& t) { log->push_back(t.name); });
}

// One receive of an int with an `after(ms)` clause.
otp::proc int_or_timeout(log_t* log, otp::timeout t) {
  co_await otp::receive([&](int n) { log->push_back("int " + std::to_string(n)); },
                        otp::after(t, [&] { log->push_back("timeout"); }));
}

// Two such receives in a row.
otp::proc two_timed_receives(log_t* log, int ms) {
  for (int i = 0; i < 2; ++i)
    co_await otp::receive([&](int n) { log->push_back("int " + std::to_string(n)); },
                          otp::after(ms, [&] { log->push_back("timeout"); }));
}

TEST(Receive, SelectiveReceiveTakesTheMatchAndKeepsUnmatchedMessagesInOrder) {
  // Rule: messages no handler accepts stay queued, in arrival order.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(int_then_tags, &log);
  n.send(p, tag{"a"});
  n.send(p, tag{"b"});
  n.send(p, 1);
  n.send(p, tag{"c"});
  n.run_until_idle();
  ASSERT_EQ(log, (log_t{"int 1"}));
  auto info = n.process_info(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->message_queue_len, 3u);

  n.send(p, go{});
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"int 1", "a", "b", "c"}));
  EXPECT_FALSE(n.is_alive(p));
}

TEST(Receive, OldestAcceptedMessageWinsOverHandlerOrder) {
  // Rule: the scan goes message by message (oldest first), not handler by handler.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(
      [](log_t* log) -> otp::proc {
        for (int i = 0; i < 2; ++i)
          co_await otp::receive([&](int) { log->push_back("int"); },
                                [&](const tag& t) { log->push_back(t.name); });
      },
      &log);
  n.send(p, tag{"tag"});
  n.send(p, 7);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"tag", "int"}));
}

TEST(Receive, FirstAcceptingHandlerInArgumentOrderHandlesTheMessage) {
  // Rule: when several handlers accept a message, the first one in argument order runs.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(
      [](log_t* log) -> otp::proc {
        for (int i = 0; i < 2; ++i)
          co_await otp::receive(
              otp::when([](int v) { return v > 0; },
                        [&](int v) { log->push_back("positive " + std::to_string(v)); }),
              [&](int v) { log->push_back("any " + std::to_string(v)); });
      },
      &log);
  n.send(p, 5);
  n.send(p, -1);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"positive 5", "any -1"}));
}

TEST(Receive, GuardSkipsRejectedMessagesAndLeavesThemQueuedInOrder) {
  // Rule: a guard that rejects a message leaves it where it was.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(
      [](log_t* log) -> otp::proc {
        for (int i = 0; i < 2; ++i)
          co_await otp::receive(otp::when([](const int& v) { return v > 10; },
                                          [&](int v) { log->push_back(std::to_string(v)); }));
        for (int i = 0; i < 2; ++i) log->push_back(std::to_string(co_await otp::receive<int>()));
      },
      &log);
  for (int v : {5, 20, 7, 30}) n.send(p, v);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"20", "30", "5", "7"}));
}

TEST(Receive, GuardedReceiveWaitsUntilAnAcceptableMessageArrives) {
  // Rule: a receive whose guards reject everything queued keeps waiting.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(
      [](log_t* log) -> otp::proc {
        co_await otp::receive(otp::when([](int v) { return v == 42; },
                                        [&](int v) { log->push_back(std::to_string(v)); }));
      },
      &log);
  n.send(p, 1);
  n.send(p, 2);
  n.run_until_idle();
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(n.is_alive(p));
  n.send(p, 42);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"42"}));
}

TEST(Receive, GuardThatThrowsCountsAsFalse) {
  // Rule: a guard that raises is false (Erlang guard semantics); the message
  // stays queued and the process lives on, whether the guard runs when the
  // receive starts or when a message wakes the waiting process.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(
      [](log_t* log) -> otp::proc {
        for (int i = 0; i < 2; ++i)
          co_await otp::receive(otp::when(
              [](int v) {
                if (v < 0) throw std::runtime_error("bad guard");
                return true;
              },
              [&](int v) { log->push_back(std::to_string(v)); }));
        log->push_back(std::to_string(co_await otp::receive<int>()));
      },
      &log);
  n.send(p, -1);  // queued before the receive starts
  n.run_until_idle();
  n.send(p, 3);
  n.run_until_idle();
  n.send(p, -2);  // wakes the waiting process
  n.send(p, 4);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"3", "4", "-1"}));
  EXPECT_FALSE(n.is_alive(p));
}

TEST(Receive, CoAwaitGivesTheChosenHandlersResult) {
  // Rule: the value of co_await receive(...) is the result of the handler that ran.
  otp::node n({.manual = true});
  std::vector<int> got;
  otp::pid p = n.spawn(
      [](std::vector<int>* got) -> otp::proc {
        for (int i = 0; i < 2; ++i)
          got->push_back(
              co_await otp::receive([](int v) { return v * 2; }, [](const tag&) { return -1; }));
      },
      &got);
  n.send(p, 21);
  n.send(p, tag{"x"});
  n.run_until_idle();
  EXPECT_EQ(got, (std::vector<int>{42, -1}));
}

TEST(Receive, AfterFiresExactlyAtTheDeadlineAndNotOneMillisecondBefore) {
  // Rule: `after(T)` times out when the virtual clock reaches start + T.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(int_or_timeout, &log, otp::timeout(100));
  n.run_until_idle();
  EXPECT_EQ(n.next_timer(), 100ms);
  n.advance(99ms);
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(n.is_alive(p));
  n.advance(1ms);
  EXPECT_EQ(log, (log_t{"timeout"}));
  EXPECT_EQ(n.now(), 100ms);
  EXPECT_FALSE(n.is_alive(p));
}

TEST(Receive, MessageBeforeTheDeadlineCancelsTheTimeout) {
  // Rule: a receive that gets a message never runs its after clause, and drops its timer.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(int_or_timeout, &log, otp::timeout(100));
  n.run_until_idle();
  n.advance(50ms);
  n.send(p, 3);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"int 3"}));
  EXPECT_EQ(n.next_timer(), std::nullopt);
  n.advance(200ms);
  EXPECT_EQ(log, (log_t{"int 3"}));
}

TEST(Receive, TimeoutOfAnEarlierReceiveDoesNotEndALaterOne) {
  // Rule: each receive's timeout counts from its own start; a stale one is void.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(two_timed_receives, &log, 100);
  n.run_until_idle();
  n.advance(50ms);
  n.send(p, 1);  // ends the first receive at t=50; the second times out at t=150
  n.run_until_idle();
  n.advance(50ms);  // t=100: the first receive's deadline
  EXPECT_EQ(log, (log_t{"int 1"}));
  n.advance(49ms);
  EXPECT_EQ(log, (log_t{"int 1"}));
  n.advance(1ms);
  EXPECT_EQ(log, (log_t{"int 1", "timeout"}));
  EXPECT_EQ(n.now(), 150ms);
}

TEST(Receive, AfterZeroTakesAMessageThatIsAlreadyQueued) {
  // Rule: after(0) polls: a queued match is taken, not skipped.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(int_or_timeout, &log, otp::timeout(0));
  n.send(p, 9);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"int 9"}));
}

TEST(Receive, AfterZeroTimesOutAtOnceWithoutTimeMovingOrATimer) {
  // Rule: after(0) with no match returns immediately and keeps unmatched messages.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(
      [](log_t* log) -> otp::proc {
        co_await otp::receive([&](int) { log->push_back("int"); },
                              otp::after(0, [&] { log->push_back("timeout"); }));
        log->push_back((co_await otp::receive<tag>()).name);
      },
      &log);
  n.send(p, tag{"kept"});
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"timeout", "kept"}));
  EXPECT_EQ(n.now(), 0ms);
  EXPECT_EQ(n.next_timer(), std::nullopt);
}

TEST(Receive, AfterInfinityNeverTimesOut) {
  // Rule: after(infinity) arms no timer; only a message ends the receive.
  otp::node n({.manual = true});
  log_t log;
  otp::pid p = n.spawn(int_or_timeout, &log, otp::timeout(otp::infinity));
  n.run_until_idle();
  EXPECT_EQ(n.next_timer(), std::nullopt);
  n.advance(std::chrono::hours(24 * 60));
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(n.is_alive(p));
  n.send(p, 4);
  n.run_until_idle();
  EXPECT_EQ(log, (log_t{"int 4"}));
}

TEST(Receive, ReceiveOfTypeReturnsTheOldestMessageOfThatType) {
  // Rule: receive<T>() skips other types and returns the first T queued.
  otp::node n({.manual = true});
  std::vector<int> got;
  otp::pid p = n.spawn(
      [](std::vector<int>* got) -> otp::proc {
        got->push_back(co_await otp::receive<int>());
        got->push_back(co_await otp::receive<int>());
      },
      &got);
  n.send(p, tag{"skip"});
  n.send(p, 3);
  n.send(p, 4);
  n.run_until_idle();
  EXPECT_EQ(got, (std::vector<int>{3, 4}));
}

TEST(Receive, ReceiveOfTypeWithTimeoutGivesNulloptAtTheDeadline) {
  // Rule: receive<T>(t) gives std::nullopt when no T arrives within t, the value otherwise.
  otp::node n({.manual = true});
  std::vector<std::optional<int>> got;
  otp::pid p = n.spawn(
      [](std::vector<std::optional<int>>* got) -> otp::proc {
        got->push_back(co_await otp::receive<int>(30ms));
        got->push_back(co_await otp::receive<int>(30ms));
      },
      &got);
  n.run_until_idle();
  n.advance(29ms);
  EXPECT_TRUE(got.empty());
  n.advance(1ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], std::nullopt);
  n.send(p, 8);
  n.run_until_idle();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1], 8);
}

TEST(Receive, ThreadMailboxMovesVirtualTimeToItsDeadline) {
  // Rule: an idle manual node lets a waiting mailbox jump the clock to its timeout.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  EXPECT_EQ(mb.receive<int>(50ms), std::nullopt);
  EXPECT_EQ(n.now(), 50ms);
}

TEST(Receive, ThreadMailboxRunsTimersDueBeforeItsDeadline) {
  // Rule: while a mailbox waits, earlier timers fire in order and their messages can match.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.spawn(
      [](otp::pid to) -> otp::proc {
        co_await otp::receive([](otp_test::never) {}, otp::after(20, [] {}));
        otp::send(to, 20);
      },
      mb.self());
  EXPECT_EQ(mb.receive<int>(100ms), 20);
  EXPECT_EQ(n.now(), 20ms);
}

}  // namespace

// Timers: send_after and cancel_timer on the virtual clock of a manual node.
#include "otp/runtime/timer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::forward_ints;
using otp_test::from_pid;

// What a test-thread mailbox has queued right now, without running anything.
std::optional<int> queued_int(otp::mailbox& mb) { return mb.receive<int>(0ms); }

TEST(Timer, SendAfterDeliversExactlyAtTheDeadline) {
  // Rule: send_after(T) delivers at start + T on the node clock, not 1 ms earlier.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.send_after(100ms, mb.self(), 7);
  EXPECT_EQ(n.next_timer(), 100ms);
  n.advance(99ms);
  EXPECT_EQ(queued_int(mb), std::nullopt);
  n.advance(1ms);
  EXPECT_EQ(queued_int(mb), 7);
  EXPECT_EQ(n.next_timer(), std::nullopt);
}

TEST(Timer, SendAfterFromAProcessDeliversToItself) {
  // Rule: otp::send_after in a process starts a timer on the caller's node.
  otp::node n({.manual = true});
  std::vector<std::chrono::milliseconds> fired_at;
  otp::node* np = &n;
  n.spawn(
      [](otp::node* np, std::vector<std::chrono::milliseconds>* fired_at) -> otp::proc {
        otp::send_after(40, otp::self(), std::string("tick"));
        co_await otp::receive([](const std::string&) {});
        fired_at->push_back(np->now());
      },
      np, &fired_at);
  n.run_until_idle();
  n.advance(39ms);
  EXPECT_TRUE(fired_at.empty());
  n.advance(1ms);
  EXPECT_EQ(fired_at, (std::vector<std::chrono::milliseconds>{40ms}));
}

TEST(Timer, TimersFireInDeadlineOrder) {
  // Rule: timers due in one advance() deliver in deadline order, not start order.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.send_after(30ms, mb.self(), 3);
  n.send_after(10ms, mb.self(), 1);
  n.send_after(20ms, mb.self(), 2);
  n.advance(30ms);
  EXPECT_EQ(queued_int(mb), 1);
  EXPECT_EQ(queued_int(mb), 2);
  EXPECT_EQ(queued_int(mb), 3);
}

TEST(Timer, CancelBeforeFiringReturnsTheTimeLeftAndNothingArrives) {
  // Rule: cancel_timer of a pending timer answers the time left and the message never comes.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::timer_ref t = n.send_after(100ms, mb.self(), 7);
  n.advance(30ms);
  EXPECT_EQ(n.cancel_timer(t), 70ms);
  n.advance(500ms);
  EXPECT_EQ(queued_int(mb), std::nullopt);
}

TEST(Timer, CancelFromAProcessReturnsTheTimeLeft) {
  // Rule: otp::cancel_timer in a process behaves as node::cancel_timer.
  otp::node n({.manual = true});
  std::optional<std::chrono::milliseconds> left;
  bool got_message = false;
  n.spawn(
      [](std::optional<std::chrono::milliseconds>* left, bool* got) -> otp::proc {
        otp::timer_ref t = otp::send_after(100, otp::self(), 1);
        co_await otp::receive([](otp_test::never) {}, otp::after(25));
        *left = otp::cancel_timer(t);
        *got = (co_await otp::receive<int>(200ms)).has_value();
      },
      &left, &got_message);
  n.advance(1000ms);
  EXPECT_EQ(left, 75ms);
  EXPECT_FALSE(got_message);
}

TEST(Timer, CancelAfterFiringReturnsNulloptAndTheMessageStaysQueued) {
  // Rule: a timer that fired cannot be cancelled; its message was delivered.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::timer_ref t = n.send_after(10ms, mb.self(), 5);
  n.advance(10ms);
  EXPECT_EQ(n.cancel_timer(t), std::nullopt);
  EXPECT_EQ(queued_int(mb), 5);
}

TEST(Timer, SecondCancelOfTheSameTimerReturnsNullopt) {
  // Rule: cancel_timer answers "not found" for a timer already cancelled.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::timer_ref t = n.send_after(100ms, mb.self(), 5);
  EXPECT_EQ(n.cancel_timer(t), 100ms);
  EXPECT_EQ(n.cancel_timer(t), std::nullopt);
  EXPECT_EQ(n.cancel_timer(otp::timer_ref()), std::nullopt);
}

TEST(Timer, StaleReferenceCannotCancelATimerThatReusedItsEntry) {
  // Rule: a timer_ref names one timer; after its entry is reused the old ref cancels nothing.
  otp::node n({.manual = true});
  struct result {
    bool reused = false;
    std::optional<std::chrono::milliseconds> stale_cancel;
    std::optional<int> second;
  } r;
  n.spawn(
      [](result* r) -> otp::proc {
        otp::timer_ref first = otp::send_after(10, otp::self(), 1);
        co_await otp::receive<int>();  // first fired; its entry is free again
        otp::timer_ref second = otp::send_after(50, otp::self(), 2);
        r->reused = second.entry() == first.entry();
        r->stale_cancel = otp::cancel_timer(first);
        r->second = co_await otp::receive<int>(100ms);
      },
      &r);
  n.advance(1000ms);
  EXPECT_TRUE(r.reused) << "the scenario needs the entry to be reused";
  EXPECT_EQ(r.stale_cancel, std::nullopt);
  EXPECT_EQ(r.second, 2);
}

TEST(Timer, SendAfterToANameResolvesTheNameWhenItFires) {
  // Rule: send_after(T, name, msg) looks the name up at fire time, not at start.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid first = n.spawn(forward_ints, mb.self());
  otp::pid second = n.spawn(forward_ints, mb.self());
  n.run_until_idle();
  n.register_name("svc", first);
  otp::send_after(100, std::string("svc"), 7);
  n.advance(50ms);
  n.unregister_name("svc");
  n.register_name("svc", second);
  n.advance(50ms);
  auto got = mb.receive<from_pid>(0);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->from, second);
  EXPECT_EQ(got->value, 7);
  EXPECT_EQ(mb.receive<from_pid>(0).has_value(), false);
}

TEST(Timer, SendAfterToANameNobodyHoldsAtFireTimeIsDroppedQuietly) {
  // Rule: a named timer whose name is free when it fires is dropped, without error.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::timer_ref t = otp::send_after(10, std::string("nobody"), 1);
  EXPECT_FALSE(t.is_null());
  n.advance(10ms);
  EXPECT_EQ(n.next_timer(), std::nullopt);
  EXPECT_TRUE(otp_test::echo_answers(mb, n.spawn(otp_test::echo_server), 1));
}

TEST(Timer, SendAfterToAProcessThatDiedIsDroppedQuietly) {
  // Rule: a timer message to a dead pid is dropped, like any send.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p = n.spawn(otp_test::wait_for_stop);
  n.send_after(10ms, p, 1);
  n.send(p, otp_test::stop{});
  n.run_until_idle();
  ASSERT_FALSE(n.is_alive(p));
  n.advance(10ms);
  EXPECT_EQ(n.process_count(), 1u);  // only the mailbox
}

TEST(Timer, InfiniteSendAfterIsBadarg) {
  // Rule: send_after needs a finite time.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  EXPECT_THROW(n.send_after(otp::infinity, mb.self(), 1), otp::badarg);
  EXPECT_THROW(otp::send_after(otp::infinity, mb.self(), 1), otp::badarg);
  EXPECT_THROW(otp::send_after(otp::infinity, std::string("svc"), 1), otp::badarg);
  EXPECT_EQ(n.next_timer(), std::nullopt);
}

}  // namespace

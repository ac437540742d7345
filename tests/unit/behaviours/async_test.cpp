#include "otp/behaviours/async.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/exit_of.hpp"

using namespace std::chrono_literals;

namespace {

static_assert(!std::is_copy_constructible_v<otp::async_task<int>>);
static_assert(std::is_nothrow_move_constructible_v<otp::async_task<int>>);

using otp_test::exit_of;
using otp_test::is_boom;
using otp_test::mailbox_is_empty;
using otp_test::never;
using otp_test::price_of;

/// A task body that replies base + the first int it receives, and throws
/// for a negative int.
otp::task<int> add_received_or_boom(int base) {
  int x = co_await otp::receive<int>();
  if (x < 0) throw std::runtime_error("boom");
  co_return base + x;
}

// Rule (Task.async/await): await returns what the function returned; the
// arguments are passed to it, and no reply or DOWN is left behind.
TEST(Async, AwaitReturnsTheValueOfAPlainFunction) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::async_task<int> t = otp::async([](int a, int b) { return a + b; }, 20, 22);
  EXPECT_EQ(t.owner(), mb.self());
  EXPECT_TRUE(t.is_open());
  EXPECT_EQ(otp::await(t).get(), 42);
  EXPECT_FALSE(t.is_open());
  n.run_until_idle();
  EXPECT_FALSE(n.is_alive(t.pid()));
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule: a void task is awaited for its completion.
TEST(Async, AwaitOfAVoidTaskReturnsOnceItRan) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  bool ran = false;
  otp::async_task<void> t = otp::async([&ran] { ran = true; });
  otp::await(t).get();
  EXPECT_TRUE(ran);
}

// Rule: the function may be a coroutine that receives before it returns; the
// task's start-up does not take the messages meant for it.
TEST(Async, CoroutineBodyReceivesBeforeReplying) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::async_task<int> t = otp::async(add_received_or_boom, 100);
  otp::send(t.pid(), 5);
  EXPECT_EQ(otp::await(t).get(), 105);
}

// Rule: values and arguments that can only be moved are moved through.
TEST(Async, MoveOnlyArgumentsAndValuesAreMovedThrough) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async([](std::unique_ptr<int> p) { return std::make_unique<int>(*p * 2); },
                      std::make_unique<int>(21));
  std::unique_ptr<int> v = otp::await(t).get();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 42);
}

otp::proc awaits_a_crashing_task() {
  auto t = otp::async([]() -> int { throw std::runtime_error("boom"); });
  co_await otp::await(t);
}

// Rule (async links): a task that crashes takes its (non-trapping) owner
// down with the task's reason.
TEST(Async, CrashOfALinkedTaskEndsItsOwner) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto [owner, mon] = otp::spawn_monitor(awaits_a_crashing_task);
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, mon);
  EXPECT_EQ(down.from, owner);
  EXPECT_TRUE(is_boom(down.reason)) << down.reason;
}

// Rule (Task.await): an owner that traps exits survives the crash, gets the
// EXIT, and await exits with the task's reason.
TEST(Async, AwaitOfACrashedTaskExitsATrappingOwnerWithTheReason) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto t = otp::async([]() -> int { throw std::runtime_error("boom"); });
  EXPECT_TRUE(is_boom(exit_of([&] { (void)otp::await(t).get(); })));
  auto ex = mb.receive<otp::exit_msg>(0ms);
  ASSERT_TRUE(ex.has_value());
  EXPECT_EQ(ex->from, t.pid());
}

// Rule (async_nolink): the owner is not linked, so it lives on; await exits
// with the task's reason.
TEST(Async, AwaitOfACrashedNolinkTaskExitsWithTheReasonAndTheOwnerLives) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async_nolink([]() -> int { throw std::runtime_error("boom"); });
  EXPECT_TRUE(is_boom(exit_of([&] { (void)otp::await(t).get(); })));
  otp::send(mb.self(), 7);
  EXPECT_EQ(mb.receive<int>(), 7);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.await timeout): the caller exits with `timeout` after exactly
// the timeout; the task runs on, and its late reply never reaches the mailbox.
TEST(Async, AwaitTimeoutExitsWithTimeoutTheTaskRunsOnAndItsLateReplyIsDropped) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async(add_received_or_boom, 1);
  const auto start = n.now();
  otp::exit_reason r = exit_of([&] { (void)otp::await(t, 100ms).get(); });
  EXPECT_TRUE(r.is(otp::exit_reason::kind::timeout)) << r;
  EXPECT_EQ(n.now() - start, 100ms);
  EXPECT_TRUE(n.is_alive(t.pid()));
  otp::ref watch = otp::monitor(t.pid());
  otp::send(t.pid(), 2);  // now it replies, too late
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, watch);
  EXPECT_TRUE(down.reason.is_normal());
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.yield): nothing while the task runs, and it stays open; the
// value once it replied, and then it is closed.
TEST(Async, YieldGivesNothingWhileTheTaskRunsThenItsValue) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async(add_received_or_boom, 10);
  const auto start = n.now();
  EXPECT_FALSE(otp::async_yield(t, 50ms).get().has_value());
  EXPECT_EQ(n.now() - start, 50ms);
  EXPECT_TRUE(t.is_open());
  otp::send(t.pid(), 5);
  std::optional<otp::async_result<int>> r = otp::async_yield(t).get();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_ok());
  EXPECT_EQ(r->value(), 15);
  EXPECT_THROW((void)r->reason(), otp::badarg);
  EXPECT_FALSE(t.is_open());
  EXPECT_THROW((void)otp::async_yield(t).get(), otp::badarg);
}

// Rule (Task.yield): a task that ended without replying gives {exit, Reason}.
TEST(Async, YieldOfACrashedNolinkTaskGivesItsExitReason) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async_nolink(add_received_or_boom, 0);
  otp::send(t.pid(), -1);
  auto r = otp::async_yield(t).get();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_exit());
  EXPECT_TRUE(is_boom(r->reason()));
  EXPECT_THROW((void)r->value(), otp::badarg);
  EXPECT_FALSE(t.is_open());
}

// Rule (Task.shutdown, brutal_kill): the task is killed at once and, having
// not replied, shutdown returns nil; the owner is unlinked first and lives.
TEST(Async, BrutalShutdownBeforeCompletionKillsTheTaskAndReturnsNothing) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async([]() -> otp::task<int> {
    co_await otp::receive<never>();
    co_return 0;
  });
  n.run_until_idle();
  EXPECT_FALSE(otp::async_shutdown(t, otp::brutal_kill).get().has_value());
  EXPECT_FALSE(n.is_alive(t.pid()));
  EXPECT_FALSE(t.is_open());
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.shutdown, timeout): `shutdown` ends a task that does not trap
// exits at once, without waiting for the grace time.
TEST(Async, ShutdownEndsANonTrappingTaskAtOnceAndReturnsNothing) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async(add_received_or_boom, 0);
  const auto start = n.now();
  EXPECT_FALSE(otp::async_shutdown(t).get().has_value());
  EXPECT_EQ(n.now(), start);
  EXPECT_FALSE(n.is_alive(t.pid()));
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.shutdown): a task that traps exits and does not end within the
// grace time is killed, and shutdown gives {exit, killed}.
TEST(Async, ShutdownKillsATrappingTaskAfterTheGraceTime) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async_nolink([]() -> otp::task<int> {
    otp::trap_exit(true);
    co_await otp::receive<never>();
    co_return 0;
  });
  n.run_until_idle();  // it traps exits now
  const auto start = n.now();
  auto r = otp::async_shutdown(t, 30ms).get();
  EXPECT_EQ(n.now() - start, 30ms);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_exit());
  EXPECT_TRUE(r->reason().is(otp::exit_reason::kind::killed)) << r->reason();
  EXPECT_FALSE(n.is_alive(t.pid()));
}

// Rule (Task.shutdown): a reply that arrived before the task was stopped is
// returned, and nothing of the task is left in the mailbox.
TEST(Async, ShutdownAfterCompletionReturnsTheValue) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async([] { return 7; });
  n.run_until_idle();  // it replied and ended
  auto r = otp::async_shutdown(t).get();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_ok());
  EXPECT_EQ(r->value(), 7);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.shutdown): a task that had already crashed gives {exit, Reason}.
TEST(Async, ShutdownOfACrashedNolinkTaskGivesItsReason) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async_nolink(add_received_or_boom, 0);
  otp::send(t.pid(), -1);
  n.run_until_idle();
  auto r = otp::async_shutdown(t, otp::brutal_kill).get();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_exit());
  EXPECT_TRUE(is_boom(r->reason()));
}

otp::proc hands_over_a_task(otp::pid to) {
  otp::send(to, otp::async([] { return 1; }));
  co_return;
}

// Rule (Task.await): only the owner may await; anyone else gets badarg and
// the task is left as it was.
TEST(Async, AwaitByAProcessOtherThanTheOwnerIsBadarg) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid owner = n.spawn(hands_over_a_task, mb.self());
  auto t = mb.receive<otp::async_task<int>>();
  EXPECT_EQ(t.owner(), owner);
  EXPECT_THROW((void)otp::await(t).get(), otp::badarg);
  EXPECT_THROW((void)otp::async_yield(t).get(), otp::badarg);
  EXPECT_THROW((void)otp::async_shutdown(t).get(), otp::badarg);
  EXPECT_TRUE(t.is_open());
}

// Rule (Task.await): a task is awaited once; a second await, or an await
// through a moved-from handle, is badarg.
TEST(Async, AwaitingTwiceOrThroughAMovedFromHandleIsBadarg) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async([] { return 1; });
  EXPECT_EQ(otp::await(t).get(), 1);
  EXPECT_THROW((void)otp::await(t).get(), otp::badarg);
  auto u = otp::async([] { return 2; });
  auto v = std::move(u);
  EXPECT_FALSE(u.is_open());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_THROW((void)otp::await(u).get(), otp::badarg);
  EXPECT_EQ(otp::await(v).get(), 2);
}

// Rule (Task.await_many): the values come back in the order of the tasks,
// whatever order they finish in.
TEST(Async, AwaitManyReturnsTheValuesInTaskOrder) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  std::vector<otp::async_task<int>> ts;
  for (int i = 0; i < 3; ++i) ts.push_back(otp::async(add_received_or_boom, i * 10));
  n.run_until_idle();
  for (int i = 2; i >= 0; --i) {  // finish them last to first
    otp::send(ts[static_cast<std::size_t>(i)].pid(), 1);
    n.run_until_idle();
  }
  EXPECT_EQ(otp::await_many(ts).get(), (std::vector<int>{1, 11, 21}));
  for (const auto& t : ts) EXPECT_FALSE(t.is_open());
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.await_many): one task ending without a reply makes the caller
// exit with its reason; the others run on and their replies are dropped.
TEST(Async, AwaitManyExitsWithTheReasonOfATaskThatEnds) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  std::vector<otp::async_task<int>> ts;
  ts.push_back(otp::async_nolink(add_received_or_boom, 0));
  ts.push_back(otp::async_nolink(add_received_or_boom, 0));
  otp::send(ts[1].pid(), -1);
  EXPECT_TRUE(is_boom(exit_of([&] { (void)otp::await_many(ts).get(); })));
  EXPECT_TRUE(n.is_alive(ts[0].pid()));
  otp::ref watch = otp::monitor(ts[0].pid());
  otp::send(ts[0].pid(), 1);
  EXPECT_EQ(mb.receive<otp::down_msg>().monitor, watch);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.await_many): the timeout covers all tasks together; the caller
// exits with `timeout` and no timer message is left behind.
TEST(Async, AwaitManyTimeoutExitsWithTimeoutAndLeavesNothingQueued) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  std::vector<otp::async_task<void>> ts;
  ts.push_back(otp::async([] {}));
  ts.push_back(otp::async([]() -> otp::proc { co_await otp::receive<never>(); }));
  const auto start = n.now();
  otp::exit_reason r = exit_of([&] { otp::await_many(ts, 40ms).get(); });
  EXPECT_TRUE(r.is(otp::exit_reason::kind::timeout)) << r;
  EXPECT_EQ(n.now() - start, 40ms);
  n.advance(1000ms);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.yield_many): one deadline for all; each task that replied or
// ended gives its result and is closed, in the order of the tasks; one still
// running gives nothing and stays open; the caller never exits.
TEST(Async, YieldManyGivesEachResultByPositionAndLeavesRunningTasksOpen) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  std::vector<otp::async_task<int>> ts;
  for (int i = 0; i < 3; ++i) ts.push_back(otp::async_nolink(add_received_or_boom, i * 10));
  otp::send(ts[0].pid(), 1);
  otp::send(ts[1].pid(), -1);
  const auto start = n.now();
  auto got = otp::async_yield_many(ts, 40ms).get();
  EXPECT_EQ(n.now() - start, 40ms);
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[0] && got[0]->is_ok());
  EXPECT_EQ(got[0]->value(), 1);
  ASSERT_TRUE(got[1] && got[1]->is_exit());
  EXPECT_TRUE(is_boom(got[1]->reason()));
  EXPECT_FALSE(got[2].has_value());
  EXPECT_FALSE(ts[0].is_open());
  EXPECT_FALSE(ts[1].is_open());
  ASSERT_TRUE(ts[2].is_open());
  otp::send(ts[2].pid(), 2);
  EXPECT_EQ(otp::await(ts[2]).get(), 22);
  n.advance(1000ms);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.completed): a completed task has no process; await, yield and
// shutdown give its value at once, and nothing is left queued.
TEST(Async, ACompletedTaskGivesItsValueAtOnce) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto a = otp::async_completed(std::string("ready"));
  EXPECT_TRUE(a.pid().is_null());
  EXPECT_EQ(otp::await(a).get(), "ready");
  auto b = otp::async_completed(7);
  auto y = otp::async_yield(b, 0).get();
  ASSERT_TRUE(y && y->is_ok());
  EXPECT_EQ(y->value(), 7);
  auto c = otp::async_completed(8);
  auto sd = otp::async_shutdown(c).get();
  ASSERT_TRUE(sd && sd->is_ok());
  EXPECT_EQ(sd->value(), 8);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task.start): the function runs in a process nobody links to or
// monitors: its crash does not reach the starter.
TEST(Async, AsyncStartRunsUnlinkedAndUnmonitored) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  const otp::pid p = otp::async_start([](otp::pid to, int v) { otp::send(to, v); }, mb.self(), 5);
  EXPECT_EQ(mb.receive<int>(), 5);
  n.run_until_idle();
  EXPECT_FALSE(n.is_alive(p));
  (void)otp::async_start([]() -> int { throw std::runtime_error("boom"); });
  n.run_until_idle();
  EXPECT_TRUE(mailbox_is_empty(mb));  // no exit signal, no DOWN: the mailbox lives
}

// Rule (Task.ignore): the task runs on, unlinked and unwatched; its crash
// does not reach the owner and nothing of it is queued.
TEST(Async, IgnoreLetsTheTaskRunOnUnlinked) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async(add_received_or_boom, 0);
  EXPECT_FALSE(otp::async_ignore(t).get().has_value());
  EXPECT_FALSE(t.is_open());
  otp::ref watch = otp::monitor(t.pid());
  otp::send(t.pid(), -1);  // it crashes now
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, watch);
  EXPECT_TRUE(is_boom(down.reason));
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (Task message format): a process may take the {Ref, Reply} message in
// its own receive, matching the task's ref; async_ignore then releases the
// task and takes its DOWN (normal), so nothing is left behind.
TEST(Async, ReplyTakenInOwnReceiveThenIgnoreLeavesNothingBehind) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto t = otp::async([] { return 5; });
  const otp::ref tag = t.ref();
  int v = mb.receive(otp::when([tag](const otp::async_reply<int>& m) { return m.ref == tag; },
                               [](otp::async_reply<int>&& m) { return m.value; }));
  EXPECT_EQ(v, 5);
  n.run_until_idle();  // the task has ended: its DOWN is queued
  auto r = otp::async_ignore(t).get();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_exit() && r->reason().is_normal());
  EXPECT_TRUE(mailbox_is_empty(mb));
}

otp::proc uses_every_wait(otp::pid report) {
  auto a = otp::async([] { return 1; });
  std::vector<otp::async_task<int>> many;
  many.push_back(otp::async([] { return 2; }));
  many.push_back(otp::async([] { return 3; }));
  auto slow = otp::async(add_received_or_boom, 4);
  auto stuck = otp::async([]() -> otp::task<int> {
    co_await otp::receive<never>();
    co_return 0;
  });
  int sum = co_await otp::await(a);
  for (int v : co_await otp::await_many(many)) sum += v;
  auto none = co_await otp::async_yield(slow, 5ms);
  otp::send(slow.pid(), 0);
  auto got = co_await otp::async_yield(slow);
  auto ended = co_await otp::async_shutdown(stuck);
  otp::send(report, std::vector<int>{sum, none ? -1 : 0, got && got->is_ok() ? got->value() : -1,
                                     ended ? -1 : 0});
}

// Rule: every wait is a coroutine: co_await in a process works as .get() on a
// mailbox thread.
TEST(Async, EveryWaitWorksWithCoAwaitInsideAProcess) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.spawn(uses_every_wait, mb.self());
  EXPECT_EQ(mb.receive<std::vector<int>>(), (std::vector<int>{6, 0, 4, 0}));
}

// Rule: on scheduler threads, every task of many replies exactly once to its
// owner, and crashes of nolink tasks reach only their awaiter.
TEST(AsyncThreaded, ManyTasksOnSchedulerThreadsEachReplyOnce) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  std::vector<otp::async_task<int>> ts;
  for (int i = 0; i < 200; ++i) ts.push_back(otp::async([](int x) { return x * x; }, i));
  std::vector<int> want;
  for (int i = 0; i < 200; ++i) want.push_back(i * i);
  EXPECT_EQ(otp::await_many(ts, otp::infinity).get(), want);
  for (int i = 0; i < 50; ++i) {
    auto t = otp::async_nolink([]() -> int { throw std::runtime_error("boom"); });
    auto r = otp::async_yield(t, otp::infinity).get();
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(is_boom(r->reason()));
  }
  EXPECT_TRUE(mailbox_is_empty(mb));
}

}  // namespace

// --- The examples of docs/guide/async.md, kept compiling and passing here ---

// guide: async and await
otp::proc quote(otp::pid customer) {
  auto apple = otp::async(price_of, std::string("apple"));  // both run now, in parallel
  auto pear = otp::async(price_of, std::string("pear"));
  int total = co_await otp::await(apple) + co_await otp::await(pear);
  otp::send(customer, total);
}

// Rule: the guide's async/await example adds the two prices.
TEST(AsyncGuide, AsyncAndAwaitInAProcess) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.spawn(quote, mb.self());
  EXPECT_EQ(mb.receive<int>(), 900);
}

// guide: yield, then shut down
otp::task<std::optional<int>> price_within(otp::async_task<int>& t, otp::timeout limit) {
  auto r = co_await otp::async_yield(t, limit);
  if (!r) r = co_await otp::async_shutdown(t);  // still running: stop it, keep a late reply
  if (r && r->is_ok()) co_return r->value();
  co_return std::nullopt;  // it crashed, or had no answer in time
}

// Rule: the guide's yield-then-shutdown example gives the value when it comes
// in time and nothing when the task is stuck.
TEST(AsyncGuide, YieldThenShutdownFromAThread) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);  // lets this thread own tasks
  auto quick = otp::async(price_of, std::string("fig"));
  EXPECT_EQ(price_within(quick, 100ms).get(), 300);
  auto stuck = otp::async([]() -> otp::task<int> { co_return co_await otp::receive<int>(); });
  EXPECT_EQ(price_within(stuck, 100ms).get(), std::nullopt);
}

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <string>

#include "otp/otp.hpp"
#include "otp/runtime/node.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::go;
using otp_test::ready;

struct rendezvous {
  std::atomic<int> arrived{0};
};

// Waits for `go`, then holds its scheduler until the other process of the
// pair is running too (or 10 s pass, which only a scheduler bug allows).
otp::proc meet(rendezvous* r, otp::pid report) {
  otp::send(report, ready{});
  co_await otp::receive([](go) {});
  r->arrived.fetch_add(1);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool met = true;
  while (r->arrived.load() < 2) {
    if (std::chrono::steady_clock::now() > deadline) {
      met = false;
      break;
    }
  }
  otp::send(report, met);
}

TEST(Scheduler, TwoProcessesWokenTogetherRunInParallelOnTwoSchedulers) {
  // Rule: work made runnable while a scheduler sleeps wakes it; two
  // processes woken at once from a thread run on both schedulers, never one
  // after the other behind a busy scheduler.
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  for (int round = 0; round < 20; ++round) {
    rendezvous r;
    otp::pid a = n.spawn(meet, &r, mb.self());
    otp::pid b = n.spawn(meet, &r, mb.self());
    mb.receive<ready>();
    mb.receive<ready>();
    n.send(a, go{});
    n.send(b, go{});
    EXPECT_TRUE(mb.receive<bool>()) << "round " << round;
    EXPECT_TRUE(mb.receive<bool>()) << "round " << round;
  }
}

// Rule (schedulers_online): the node's scheduler threads, as set in its
// options; one in a manual node.
TEST(Scheduler, SchedulersOnlineIsTheNodesSchedulerCount) {
  {
    otp::node n({.schedulers = 3});
    otp::mailbox mb(n);
    EXPECT_EQ(otp::schedulers_online(), 3u);
  }
  otp::node m({.manual = true});
  otp::mailbox mb(m);
  EXPECT_EQ(otp::schedulers_online(), 1u);
}

// Sends its own thread's name, as the kernel keeps it.
otp::proc report_thread_name(otp::pid report) {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  otp::send(report, std::string(name));
  co_return;
}

// Rule: scheduler threads are named otp-sched-<n>, n from 0 (what top -H,
// perf and the observer's cost figure go by).
TEST(Scheduler, SchedulerThreadsAreNamedForTheTools) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  for (int i = 0; i < 10; ++i) {
    n.spawn(report_thread_name, mb.self());
    const auto name = mb.receive<std::string>();
    EXPECT_TRUE(name == "otp-sched-0" || name == "otp-sched-1") << name;
  }
}

}  // namespace

namespace {
// Waits in a receive that nothing matches for `ms`, then reports how long the
// wait took on the real clock.
otp::proc timed_wait(int ms, otp::pid report) {
  const auto t0 = std::chrono::steady_clock::now();
  co_await otp::receive([](go) {}, otp::after(ms, [] {}));
  otp::send(report, std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - t0));
}
}  // namespace

TEST(Scheduler, ReceiveTimeoutsOnTheRealClockNeverFireEarly) {
  // Rule: `after(T)` waits at least T on the real clock too (the node's
  // clock counts whole ms and rounds down, so a deadline is one ms more).
  // A cheaper clock that lags the real one (CLOCK_MONOTONIC_COARSE, which
  // stops with tickless idle) makes this fail.
  otp::node n({.schedulers = 1});
  otp::mailbox mb(n);
  for (int ms : {20, 100}) {
    n.spawn(timed_wait, ms, mb.self());
    const auto waited = mb.receive<std::chrono::microseconds>();
    EXPECT_GE(waited, std::chrono::milliseconds(ms)) << "after(" << ms << ")";
    EXPECT_LT(waited, std::chrono::milliseconds(ms) + 500ms) << "after(" << ms << ")";
  }
}

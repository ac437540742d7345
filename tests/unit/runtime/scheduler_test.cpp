#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "otp/otp.hpp"
#include "otp/runtime/node.hpp"

using namespace std::chrono_literals;

namespace {

struct ready {};
struct go {};

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

}  // namespace

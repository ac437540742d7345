// otp::statistics: the counts, queues, timers and scheduler times of a node,
// as erlang:statistics/1 and erlang:system_info/1 give them.
#include "otp/runtime/statistics.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::quiet_manual;
using otp_test::stop;
using otp_test::wait_for_stop;
using otp_test::wait_forever;

struct stats_spin_for {
  otp::pid reply_to;
  std::chrono::milliseconds busy;
};

// Keeps its scheduler busy (a loop on the clock, no blocking) for as long as
// asked, then answers.
otp::proc stats_busy_server() {
  for (;;)
    co_await otp::receive([](const stats_spin_for& s) {
      const auto until = std::chrono::steady_clock::now() + s.busy;
      while (std::chrono::steady_clock::now() < until) {
      }
      otp::send(s.reply_to, stop{});
    });
}

}  // namespace

// process_count, spawned and exited follow births and deaths.
TEST(Statistics, CountsProcessesBornAliveAndEnded) {
  otp::node n(quiet_manual());
  const otp::pid a = n.spawn(wait_for_stop);
  n.spawn(wait_forever);
  n.spawn(wait_forever);
  n.run_until_idle();
  auto s = otp::statistics(n);
  EXPECT_EQ(s.process_count, 3u);
  EXPECT_EQ(s.processes_spawned, 3u);
  EXPECT_EQ(s.processes_exited, 0u);
  n.send(a, stop{});
  n.run_until_idle();
  s = otp::statistics(n);
  EXPECT_EQ(s.process_count, 2u);
  EXPECT_EQ(s.processes_spawned, 3u);
  EXPECT_EQ(s.processes_exited, 1u);
}

// The limit is the node's max_processes; the table's memory is counted.
TEST(Statistics, ReportsTheProcessLimitAndTheTableMemory) {
  auto o = quiet_manual();
  o.max_processes = 5000;
  otp::node n(o);
  n.spawn(wait_forever);
  const auto s = otp::statistics(n);
  EXPECT_EQ(s.process_limit, 5000u);
  EXPECT_GE(s.process_table_bytes, sizeof(otp::detail::process));
  EXPECT_EQ(s.schedulers, 1u);
  ASSERT_EQ(s.scheduler_wall_time.size(), 1u);
  EXPECT_EQ(s.scheduler_wall_time[0].total.count(), 0);  // no scheduler thread
}

// Processes made runnable from outside wait in the global queue until run.
TEST(Statistics, RunQueueCountsRunnableProcessesUntilTheyRun) {
  otp::node n(quiet_manual());
  n.spawn(wait_forever);
  n.spawn(wait_forever);
  auto s = otp::statistics(n);
  EXPECT_EQ(s.global_run_queue_length, 2u);
  EXPECT_EQ(s.run_queue, 2u);
  ASSERT_EQ(s.run_queue_lengths.size(), 1u);
  n.run_until_idle();
  s = otp::statistics(n);
  EXPECT_EQ(s.run_queue, 0u);
  EXPECT_EQ(s.global_run_queue_length, 0u);
}

// Messages a process has not received (they match no clause) are queued.
TEST(Statistics, MessagesQueuedSumsWhatProcessesHaveNotReceived) {
  otp::node n(quiet_manual());
  const otp::pid a = n.spawn(wait_forever);
  const otp::pid b = n.spawn(wait_forever);
  for (int i = 0; i < 3; ++i) n.send(a, i);
  for (int i = 0; i < 2; ++i) n.send(b, i);
  n.run_until_idle();
  EXPECT_EQ(otp::statistics(n).messages_queued, 5u);
  n.exit(a, otp::exit_reason::kill());
  n.run_until_idle();
  EXPECT_EQ(otp::statistics(n).messages_queued, 2u);
}

// A timer counts from its start until it fires; its entry's memory is counted.
TEST(Statistics, TimersCountUntilTheyFire) {
  otp::node n(quiet_manual());
  const otp::pid a = n.spawn(wait_forever);
  n.run_until_idle();
  EXPECT_EQ(otp::statistics(n).timers, 0u);
  n.send_after(1s, a, 7);
  EXPECT_EQ(otp::statistics(n).timers, 1u);  // not yet adopted by the scheduler
  n.run_until_idle();
  auto s = otp::statistics(n);
  EXPECT_EQ(s.timers, 1u);  // on the wheel
  EXPECT_GT(s.timer_bytes, 0u);
  n.advance(1s);
  s = otp::statistics(n);
  EXPECT_EQ(s.timers, 0u);
  EXPECT_EQ(s.messages_queued, 1u);
}

// Uptime is the node's clock (virtual on a manual node); reductions count dispatches.
TEST(Statistics, UptimeFollowsTheClockAndReductionsCountDispatches) {
  otp::node n(quiet_manual());
  n.advance(250ms);
  EXPECT_EQ(otp::statistics(n).uptime, 250ms);
  const auto before = otp::statistics(n).reductions;
  const otp::pid a = n.spawn(wait_for_stop);
  const std::size_t ran = n.run_until_idle();
  n.send(a, stop{});
  const std::size_t ran_again = n.run_until_idle();
  EXPECT_EQ(otp::statistics(n).reductions - before, ran + ran_again);
}

// Utilisation is the share of the interval the scheduler was busy.
TEST(Statistics, UtilisationIsActiveOverTotalBetweenTwoReadings) {
  const otp::scheduler_wall_time t0{0, 1s, 2s};
  const otp::scheduler_wall_time t1{0, 2s, 4s};
  EXPECT_DOUBLE_EQ(otp::scheduler_utilisation(t0, t1), 0.5);
  EXPECT_DOUBLE_EQ(otp::scheduler_utilisation(t0, t0), 0.0);
  EXPECT_DOUBLE_EQ(otp::scheduler_utilisation(t0, {0, 3s, 3s}), 1.0);
}

// A process running on a scheduler thread makes that thread's active time
// grow by at least the time it ran; active never exceeds total.
TEST(Statistics, SchedulerActiveTimeGrowsWhileAProcessRuns) {
  otp::node n({.schedulers = 2, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  const otp::pid server = n.spawn(stats_busy_server);
  n.send(server, stats_spin_for{mb.self(), 0ms});  // both threads have started by now or soon
  mb.receive<stop>();
  const auto before = otp::statistics(n);
  n.send(server, stats_spin_for{mb.self(), 30ms});
  mb.receive<stop>();
  const auto after = otp::statistics(n);
  ASSERT_EQ(after.scheduler_wall_time.size(), 2u);
  std::chrono::nanoseconds grew{0};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& b = before.scheduler_wall_time[i];
    const auto& a = after.scheduler_wall_time[i];
    EXPECT_LE(a.active, a.total);
    EXPECT_EQ(a.id, i);
    grew += a.active - b.active;  // a thread not started at `before` reads zero there
  }
  EXPECT_GE(grew, 30ms);
}

// The node: stop, several nodes, the blocking pool, the long-schedule watchdog,
// and the cost of a million processes.
#include "otp/runtime/node.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "otp/otp.hpp"
#include "otp/runtime/detail/block_alloc.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::echo_answers;
using otp_test::never;
using otp_test::ready;
using otp_test::stop;

// Sets *flag when destroyed: tells whether a process frame was unwound.
struct flag_on_destroy {
  std::atomic<int>* count;
  ~flag_on_destroy() { count->fetch_add(1); }
};

otp::proc hold_guard(std::atomic<int>* destroyed) {
  flag_on_destroy g{destroyed};
  co_await otp::receive([](never) {});
}

// As hold_guard, and says `ready` once the guard exists (a process stopped before it
// first ran has no guard to destroy).
otp::proc hold_guard_and_report(std::atomic<int>* destroyed, otp::pid report) {
  flag_on_destroy g{destroyed};
  otp::send(report, ready{});
  co_await otp::receive([](never) {});
}

// Traps exits and reports the first exit signal it gets as a message.
otp::proc report_exit_signal(std::atomic<int>* destroyed, otp::pid report) {
  flag_on_destroy g{destroyed};
  otp::trap_exit(true);
  otp::send(report, ready{});
  otp::exit_msg m = co_await otp::receive<otp::exit_msg>();
  otp::send(report, m.reason);
}

// Traps exits and ignores them all: only `kill` can end it.
otp::proc ignore_exit_signals(std::atomic<int>* destroyed, otp::pid report) {
  flag_on_destroy g{destroyed};
  otp::trap_exit(true);
  otp::send(report, ready{});
  for (;;) co_await otp::receive([](const otp::exit_msg&) {});
}

// The DOWN reasons queued in `mb` right now, by pid.
std::map<otp::pid, otp::exit_reason> queued_downs(otp::mailbox& mb) {
  std::map<otp::pid, otp::exit_reason> out;
  while (auto d = mb.receive<otp::down_msg>(0)) out[d->from] = d->reason;
  return out;
}

TEST(Node, StopShutsProcessesDownThenKillsTheRestAndRunsTheirDestructors) {
  // Rule: stop() sends `shutdown` to every process, kills those still alive after the
  // grace period, and unwinds every frame (RAII cleanup runs).
  std::atomic<int> destroyed{0};
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid plain = n.spawn(hold_guard, &destroyed);
  otp::pid trapper = n.spawn(report_exit_signal, &destroyed, mb.self());
  otp::pid stubborn = n.spawn(ignore_exit_signals, &destroyed, mb.self());
  mb.receive<ready>();
  mb.receive<ready>();
  otp::monitor(plain);
  otp::monitor(stubborn);
  n.run_until_idle();

  n.stop();
  EXPECT_EQ(destroyed.load(), 3);
  EXPECT_EQ(n.process_count(), 1u);  // only the mailbox
  auto reason = mb.receive<otp::exit_reason>(0);
  ASSERT_TRUE(reason.has_value()) << "the trapping process got no exit signal";
  EXPECT_EQ(*reason, otp::exit_reason::shutdown());
  auto downs = queued_downs(mb);
  EXPECT_EQ(downs[plain], otp::exit_reason::shutdown());
  EXPECT_EQ(downs[stubborn], otp::exit_reason::killed());
  EXPECT_FALSE(n.is_alive(trapper));
}

TEST(Node, StopOnAThreadedNodeEndsEveryProcessAndRunsTheirDestructors) {
  // Rule: the same on scheduler threads: after stop() returns no process is left and every
  // frame was destroyed, the stubborn ones after stop_grace.
  std::atomic<int> destroyed{0};
  otp::node n({.schedulers = 2, .stop_grace = 50ms});
  constexpr int kPlain = 100;
  {
    otp::mailbox mb(n);
    for (int i = 0; i < kPlain; ++i) n.spawn(hold_guard_and_report, &destroyed, mb.self());
    n.spawn(ignore_exit_signals, &destroyed, mb.self());
    for (int i = 0; i < kPlain + 1; ++i) mb.receive<ready>();
  }
  n.stop();
  EXPECT_EQ(destroyed.load(), kPlain + 1);
  EXPECT_EQ(n.process_count(), 0u);
}

// Rule: this_node() is the node of the calling process or mailbox thread
// (two nodes in one binary each see their own), and badarg elsewhere.
TEST(Node, ThisNodeIsTheCallersNode) {
  otp::node a({.schedulers = 1});
  otp::node b({.schedulers = 1});
  {
    otp::mailbox mb(b);
    EXPECT_EQ(&otp::this_node(), &b);
  }
  std::promise<otp::node*> seen;
  a.spawn([&seen]() -> otp::proc {
    seen.set_value(&otp::this_node());
    co_return;
  });
  EXPECT_EQ(seen.get_future().get(), &a);
  EXPECT_THROW((void)otp::this_node(), otp::badarg);
}

TEST(Node, DestroyingTheNodeStopsIt) {
  // Rule: ~node() stops the node, so process frames are unwound.
  std::atomic<int> destroyed{0};
  {
    otp::node n({.schedulers = 1});
    otp::mailbox mb(n);
    for (int i = 0; i < 10; ++i) n.spawn(hold_guard_and_report, &destroyed, mb.self());
    for (int i = 0; i < 10; ++i) mb.receive<ready>();
  }
  EXPECT_EQ(destroyed.load(), 10);
}

TEST(Node, SpawnAfterStopIsBadarg) {
  // Rule: a stopped node starts no process: spawn throws otp::badarg.
  otp::node n({.manual = true});
  n.stop();
  EXPECT_THROW(n.spawn(otp_test::wait_forever), otp::badarg);
  EXPECT_THROW(n.spawn_opt(otp::spawn_options{.max_mailbox = 1}, otp_test::wait_forever),
               otp::badarg);
  EXPECT_THROW(otp::mailbox mb(n), otp::badarg);
  EXPECT_EQ(n.process_count(), 0u);
}

TEST(Node, SendAfterStopIsASilentNoOp) {
  // Rule: after stop() messages and exit signals are dropped, never an error.
  otp::node n({.schedulers = 1});
  otp::pid p = n.spawn(otp_test::wait_forever);
  n.stop();
  EXPECT_FALSE(n.is_alive(p));
  EXPECT_NO_THROW(n.send(p, 1));
  EXPECT_NO_THROW(n.send(p, std::string("late")));
  EXPECT_NO_THROW(n.exit(p, otp::exit_reason::kill()));
  EXPECT_NO_THROW(n.stop());  // idempotent
  EXPECT_EQ(n.process_count(), 0u);
}

TEST(Node, TwoThreadedNodesRunSideBySideAndStopIndependently) {
  // Rule: two nodes share nothing: stopping one leaves the other serving.
  otp::node a({.schedulers = 2});
  otp::node b({.schedulers = 1});
  otp::pid ea = a.spawn(otp_test::echo_server);
  otp::pid eb = b.spawn(otp_test::echo_server);
  EXPECT_NE(ea.node(), eb.node());
  {
    otp::mailbox ma(a);
    EXPECT_TRUE(echo_answers(ma, ea, 1));
  }
  a.stop();
  EXPECT_FALSE(a.is_alive(ea));
  otp::mailbox mb(b);
  EXPECT_TRUE(b.is_alive(eb));
  EXPECT_TRUE(echo_answers(mb, eb, 2));
}

struct blocking_report {
  int value = 0;
  bool ran_on_another_thread = false;
};

TEST(Node, BlockingReturnsTheResultOfFnRunOnAnotherThread) {
  // Rule: co_await blocking(fn) runs fn off the scheduler thread and gives its result.
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  n.spawn(
      [](otp::pid report) -> otp::proc {
        const std::thread::id here = std::this_thread::get_id();
        std::thread::id there;
        int v = co_await otp::blocking([&] {
          there = std::this_thread::get_id();
          return 42;
        });
        otp::send(report, blocking_report{v, there != here});
      },
      mb.self());
  auto r = mb.receive<blocking_report>();
  EXPECT_EQ(r.value, 42);
  EXPECT_TRUE(r.ran_on_another_thread);
}

TEST(Node, BlockingRethrowsTheExceptionOfFnAtTheCoAwait) {
  // Rule: an exception thrown by fn is rethrown in the process at the co_await.
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  n.spawn(
      [](otp::pid report) -> otp::proc {
        try {
          co_await otp::blocking([]() -> int { throw std::runtime_error("disk on fire"); });
          otp::send(report, std::string("no exception"));
        } catch (const std::runtime_error& e) {
          otp::send(report, std::string(e.what()));
        }
      },
      mb.self());
  EXPECT_EQ(mb.receive<std::string>(), "disk on fire");
}

TEST(Node, UncaughtExceptionFromBlockingEndsTheProcessWithIt) {
  // Rule: fn's exception, not caught, becomes the process's exit reason.
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  auto [p, r] = otp::spawn_monitor(
      []() -> otp::proc { co_await otp::blocking([] { throw std::logic_error("bad plan"); }); });
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.from, p);
  EXPECT_EQ(down.monitor, r);
  ASSERT_NE(down.reason.exception(), nullptr) << down.reason;
  EXPECT_EQ(down.reason.exception()->type, "std::logic_error");
  EXPECT_EQ(down.reason.exception()->what, "bad plan");
}

[[gnu::noinline]] void throw_and_catch_here() {
  try {
    throw std::runtime_error("handled");
  } catch (const std::runtime_error&) {
  }
}

TEST(Node, ExceptionFromBlockingNeverCarriesTheTraceOfAnotherThrow) {
  // Rule: the trace in an exit reason is the trace of that exception's throw (or none), never
  // one left behind by an earlier, unrelated throw on the same scheduler thread.
  otp::node n({.schedulers = 1});
  otp::mailbox mb(n);
  n.spawn(
      [](otp::pid report) -> otp::proc {
        throw_and_catch_here();
        otp::send(report, ready{});
        co_return;
      },
      mb.self());
  mb.receive<ready>();
  otp::spawn_monitor(
      []() -> otp::proc { co_await otp::blocking([] { throw std::logic_error("bad plan"); }); });
  auto down = mb.receive<otp::down_msg>();
  ASSERT_NE(down.reason.exception(), nullptr) << down.reason;
  const std::string trace = down.reason.exception()->stacktrace();
  EXPECT_EQ(trace.find("throw_and_catch_here"), std::string::npos) << trace;
}

TEST(Node, BlockingRunsInlineInAManualNode) {
  // Rule: in a manual node blocking(fn) runs fn on the driving thread, deterministically.
  otp::node n({.manual = true});
  std::thread::id ran_on;
  int got = 0;
  n.spawn(
      [](std::thread::id* ran_on, int* got) -> otp::proc {
        *got = co_await otp::blocking([ran_on] {
          *ran_on = std::this_thread::get_id();
          return 7;
        });
      },
      &ran_on, &got);
  n.run_until_idle();
  EXPECT_EQ(got, 7);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

struct watch {
  std::atomic<bool> claimed{false};
  std::atomic<bool> reported{false};
  otp::long_schedule_event event;
};

/// Runs a process that spins on a 2-scheduler node with a 20 ms watchdog until
/// the watchdog reports it; returns the report and the spinner's pid.
std::pair<otp::long_schedule_event, otp::pid> spin_until_reported() {
  watch w;
  otp::node n({.schedulers = 2,
               .long_schedule = 20ms,
               .on_long_schedule = [&w](const otp::long_schedule_event& ev) {
                 if (!w.claimed.exchange(true)) {
                   w.event = ev;
                   w.reported.store(true, std::memory_order_release);
                 }
               }});
  otp::mailbox mb(n);
  otp::pid spinner = n.spawn(
      [](watch* w, otp::pid report) -> otp::proc {
        // Spins until the watchdog has spoken; gives up after 30 s so a silent watchdog
        // fails the test instead of hanging it.
        const auto give_up = std::chrono::steady_clock::now() + 30s;
        while (!w->reported.load(std::memory_order_acquire) &&
               std::chrono::steady_clock::now() < give_up) {
        }
        otp::send(report, w->reported.load(std::memory_order_acquire));
        co_return;
      },
      &w, mb.self());
  EXPECT_TRUE(mb.receive<bool>()) << "the watchdog never reported the spinning process";
  return {w.event, spinner};
}

TEST(Node, WatchdogReportsAProcessThatHoldsItsSchedulerTooLong) {
  // Rule: a process running past long_schedule without a scheduling point is reported to
  // on_long_schedule with its pid, scheduler and how long it has held it.
  const auto [event, spinner] = spin_until_reported();
  EXPECT_EQ(event.process, spinner);
  EXPECT_LT(event.scheduler, 2u);
  EXPECT_GE(event.held, 20ms);
}

TEST(Node, TheRuntimeLogsToStandardErrorNeverToStandardOutput) {
  // Rule: the runtime's own log lines (here a long_schedule warning) go to stderr;
  // stdout belongs to the program (order_service prints its port there, and a
  // warning printed first made its parent read no port under TSan).
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const auto [event, spinner] = spin_until_reported();
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("long_schedule"), std::string::npos) << out;
  EXPECT_NE(err.find("long_schedule: " + spinner.to_string()), std::string::npos) << err;
}

TEST(Node, AMillionWaitingProcessesEndWithoutLeakingBlockMemory) {
  // Rule: a process costs nothing once it has ended: the table empties and every pooled
  // frame, message and signal is given back.
#if OTP_SANITIZED
  constexpr std::size_t kCount = 20'000;
#else
  constexpr std::size_t kCount = 1'000'000;
#endif
  otp::node n({.manual = true});
  const std::size_t before = otp::detail::block_bytes_in_use();
  std::vector<otp::pid> pids;
  pids.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) pids.push_back(n.spawn(otp_test::wait_for_stop));
  n.run_until_idle();
  ASSERT_EQ(n.process_count(), kCount);
  EXPECT_GT(otp::detail::block_bytes_in_use(), before);

  for (otp::pid p : pids) n.send(p, stop{});
  n.run_until_idle();
  EXPECT_EQ(n.process_count(), 0u);
  EXPECT_TRUE(n.processes().empty());
  const std::size_t after = otp::detail::block_bytes_in_use();
  const std::size_t drift = after > before ? after - before : before - after;
  EXPECT_LE(drift, 4096u) << "before " << before << " after " << after;
}

otp::proc note_start(std::vector<int>* log, int id) {
  log->push_back(id);
  co_await otp::receive([](stop) {});
}

TEST(Node, StepRunsOneRunnableProcessUntilItSuspends) {
  // Rule (deterministic fixture): a manual node moves only when driven, one
  // dispatch per step, in a fixed order, and says when nothing was runnable.
  otp::node n({.manual = true});
  std::vector<int> log;
  n.spawn(note_start, &log, 1);
  n.spawn(note_start, &log, 2);
  EXPECT_TRUE(log.empty());
  ASSERT_TRUE(n.step());
  ASSERT_EQ(log.size(), 1u);
  ASSERT_TRUE(n.step());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[0], log[1]);
  EXPECT_FALSE(n.step());
  EXPECT_EQ(n.process_count(), 2u);
}

}  // namespace

namespace {

otp::proc stops_its_own_node(otp::node* n) {
  n->stop();
  co_return;
}

// node::stop from one of the node's own processes would wait for itself:
// the program stops at once and says why (internal_error).
TEST(NodeDeathTest, StopFromOneOfItsOwnProcessesStopsTheProgramAndSaysWhy) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        otp::node n({.manual = true});
        n.spawn(stops_its_own_node, &n);
        n.run_until_idle();
      },
      "otp: internal error: node::stop called from one of the node's own processes");
}

}  // namespace

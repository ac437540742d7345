// Processes: how they end (exceptions, otp::exit), pid incarnations, several
// nodes, mailbox limits, introspection, and fair scheduling.
#include "otp/runtime/process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::echo_answers;
using otp_test::from_pid;
using otp_test::go;
using otp_test::stop;

[[gnu::noinline]] void throw_deep() { throw std::runtime_error("deep trouble"); }

otp::proc throws_after_go() {
  co_await otp::receive<go>();
  throw_deep();
}

otp::proc exits_with(otp::exit_reason reason) {
  co_await otp::receive<go>();
  otp::exit(reason);
}

// The DOWN message for `p`, monitored by the calling mailbox.
otp::down_msg down_of(otp::mailbox& mb, otp::pid p) {
  otp::ref r = otp::monitor(p);
  return mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                              [](otp::down_msg d) { return d; }));
}

TEST(Process, EscapedExceptionBecomesTheExitReasonWithTypeAndTrace) {
  // Rule: a C++ exception leaving the body ends the process with kind exception, its
  // type, what() and the stack trace of the throw point.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p = n.spawn(throws_after_go);
  otp::ref r = otp::monitor(p);
  n.send(p, go{});
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, r);
  ASSERT_TRUE(down.reason.is(otp::exit_reason::kind::exception)) << down.reason;
  const otp::exception_info* e = down.reason.exception();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, "std::runtime_error");
  EXPECT_EQ(e->what, "deep trouble");
  EXPECT_EQ(down.reason.to_string(), "{exception,std::runtime_error,\"deep trouble\"}");
  EXPECT_FALSE(e->frames.empty());
  const std::string trace = e->stacktrace();
  EXPECT_NE(trace.find("throw_deep"), std::string::npos) << trace;
}

TEST(Process, EscapedNonStandardExceptionKeepsItsTypeName) {
  // Rule: any thrown type becomes the reason's type; what() is empty for non-std types.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p = n.spawn([]() -> otp::proc {
    co_await otp::receive<go>();
    throw 42;
  });
  n.send(p, go{});
  auto down = down_of(mb, p);
  ASSERT_NE(down.reason.exception(), nullptr) << down.reason;
  EXPECT_EQ(down.reason.exception()->type, "int");
  EXPECT_EQ(down.reason.exception()->what, "");
}

TEST(Process, ExitEndsTheProcessWithTheGivenReason) {
  // Rule: otp::exit(reason) escaping the body makes `reason` the exit reason, unchanged.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid a = n.spawn(exits_with, otp::exit_reason::other("bad_state"));
  otp::pid b = n.spawn(exits_with, otp::exit_reason::shutdown("db_down"));
  otp::monitor(a);
  otp::monitor(b);
  n.send(a, go{});
  n.send(b, go{});
  auto da = mb.receive<otp::down_msg>();
  auto db = mb.receive<otp::down_msg>();
  ASSERT_EQ(da.from, a);
  ASSERT_EQ(db.from, b);
  EXPECT_EQ(da.reason, otp::exit_reason::other("bad_state"));
  EXPECT_EQ(da.reason.to_string(), "bad_state");
  EXPECT_EQ(db.reason, otp::exit_reason::shutdown("db_down"));
  EXPECT_TRUE(db.reason.is_normal_termination());
}

TEST(Process, CaughtExitDoesNotEndTheProcess) {
  // Rule: exit(reason) is an exception the body may catch (Erlang's catch exit(R)).
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p = n.spawn(
      [](otp::pid to) -> otp::proc {
        try {
          otp::exit(otp::exit_reason::other("caught"));
        } catch (const otp::exit_error& e) {
          otp::send(to, std::string(e.reason().to_string()));
        }
        co_await otp::receive<go>();
      },
      mb.self());
  EXPECT_EQ(mb.receive<std::string>(), "caught");
  EXPECT_TRUE(n.is_alive(p));
  n.send(p, go{});
  EXPECT_TRUE(down_of(mb, p).reason.is_normal());
}

TEST(Process, StalePidCannotReachTheProcessThatReusedItsSlot) {
  // Rule: a pid names one incarnation; after its slot is reused, messages, exit
  // signals and queries through the old pid never reach the new process.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid stale = n.spawn(otp_test::forward_ints, mb.self());
  n.send(stale, stop{});
  n.run_until_idle();
  ASSERT_FALSE(n.is_alive(stale));

  std::vector<otp::pid> fresh;
  n.spawn(
      [](otp::pid report, std::vector<otp::pid>* fresh) -> otp::proc {
        for (int i = 0; i < 256; ++i) fresh->push_back(otp::spawn(otp_test::forward_ints, report));
        co_return;
      },
      mb.self(), &fresh);
  n.run_until_idle();
  auto reused = std::find_if(fresh.begin(), fresh.end(),
                             [&](otp::pid p) { return p.slot() == stale.slot(); });
  ASSERT_NE(reused, fresh.end()) << "the scenario needs the stale pid's slot to be reused";
  EXPECT_NE(*reused, stale);

  EXPECT_FALSE(n.is_alive(stale));
  EXPECT_FALSE(otp::is_alive(stale));
  EXPECT_EQ(n.process_info(stale), std::nullopt);
  n.send(stale, -1);
  otp::send(stale, -2);
  n.exit(stale, otp::exit_reason::kill());
  EXPECT_EQ(down_of(mb, stale).reason, otp::exit_reason::noproc());
  for (otp::pid p : fresh) n.send(p, static_cast<int>(p.slot()));
  n.run_until_idle();

  EXPECT_TRUE(n.is_alive(*reused));
  std::size_t answers = 0;
  while (auto m = mb.receive<from_pid>(0)) {
    ++answers;
    EXPECT_EQ(m->value, static_cast<int>(m->from.slot())) << "from " << m->from;
  }
  EXPECT_EQ(answers, fresh.size());
}

TEST(Process, TwoNodesInOneBinaryKeepSeparateProcesses) {
  // Rule: nodes share no state: ids and pids differ, each delivers its own messages, and a
  // pid of one node is not alive on the other.
  otp::node a({.manual = true});
  otp::node b({.manual = true});
  EXPECT_NE(a.id(), b.id());
  otp::pid ea = a.spawn(otp_test::echo_server);
  otp::pid eb = b.spawn(otp_test::echo_server);
  EXPECT_EQ(ea.node(), a.id());
  EXPECT_EQ(eb.node(), b.id());
  EXPECT_NE(ea, eb);
  EXPECT_FALSE(a.is_alive(eb));
  EXPECT_FALSE(b.is_alive(ea));
  {
    otp::mailbox ma(a);
    EXPECT_TRUE(echo_answers(ma, ea, 1));
    a.send(eb, otp_test::ping{ma.self(), 2});  // wrong node: dropped
    b.run_until_idle();
    EXPECT_EQ(ma.receive<int>(0ms), std::nullopt);
  }
  {
    otp::mailbox mb(b);
    EXPECT_EQ(mb.self().node(), b.id());
    EXPECT_TRUE(echo_answers(mb, eb, 3));
  }
  EXPECT_EQ(a.process_count(), 1u);
  EXPECT_EQ(b.process_count(), 1u);
}

TEST(Process, MaxMailboxKillsAProcessWithMoreThanNQueuedMessages) {
  // Rule: spawn_opt max_mailbox = N allows N queued messages; one more ends the process
  // with mailbox_overflow.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::spawned s =
      n.spawn_opt(otp::spawn_options{.monitor = true, .max_mailbox = 3}, otp_test::wait_forever);
  for (int i = 0; i < 3; ++i) n.send(s.child, i);
  n.run_until_idle();
  ASSERT_TRUE(n.is_alive(s.child));
  auto info = n.process_info(s.child);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->message_queue_len, 3u);
  EXPECT_EQ(info->max_mailbox, 3u);

  n.send(s.child, 3);
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, s.monitor);
  EXPECT_EQ(down.reason, otp::exit_reason::mailbox_overflow());
  EXPECT_FALSE(n.is_alive(s.child));
}

TEST(Process, ProcessInfoFromAThreadGivesUpAfterItsTimeout) {
  // Rule: process_info(p, t) answers nullopt after t when p does not reach a
  // scheduling point (here a thread mailbox whose thread is not receiving).
  otp::node n({.schedulers = 1});
  otp::mailbox mb(n);
  std::promise<otp::pid> started;
  std::promise<void> release;
  std::thread other([&] {
    otp::mailbox its(n);
    started.set_value(its.self());
    release.get_future().wait();
  });
  const otp::pid busy = started.get_future().get();
  EXPECT_EQ(n.process_info(busy, otp::timeout(20ms)), std::nullopt);
  EXPECT_TRUE(n.is_alive(busy));
  release.set_value();
  other.join();
}

otp::proc info_target(otp::pid parent, otp::pid watched) {
  otp::trap_exit(true);
  otp::link(parent);
  otp::monitor(watched);
  for (int i = 0; i < 3; ++i) co_await otp::receive<int>();
  co_await otp::receive([](otp_test::never) {});
}

TEST(Process, ProcessInfoReportsEachField) {
  // Rule: process_info reports status, queue length, handled messages, links, monitors
  // both ways, the registered name, trap_exit and a memory estimate that grows with the queue.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid watched = n.spawn(otp_test::wait_forever);
  otp::pid p = n.spawn(info_target, mb.self(), watched);
  otp::monitor(p);
  n.register_name("info_target", p);
  for (int i = 0; i < 3; ++i) n.send(p, i);
  n.send(p, std::string("unread 1"));
  n.send(p, std::string("unread 2"));
  n.run_until_idle();

  auto info = n.process_info(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, otp::process_status::waiting);
  EXPECT_EQ(info->message_queue_len, 2u);
  EXPECT_EQ(info->reductions, 3u);
  EXPECT_EQ(info->links, std::vector<otp::pid>{mb.self()});
  EXPECT_EQ(info->monitors, std::vector<otp::pid>{watched});
  EXPECT_EQ(info->monitored_by, std::vector<otp::pid>{mb.self()});
  EXPECT_EQ(info->registered_name, "info_target");
  EXPECT_TRUE(info->trap_exit);
  EXPECT_EQ(info->max_mailbox, 0u);
  EXPECT_GT(info->memory, 0u);
  EXPECT_EQ(info->behaviour, "");

  auto watched_info = n.process_info(watched);
  ASSERT_TRUE(watched_info.has_value());
  EXPECT_EQ(watched_info->monitored_by, std::vector<otp::pid>{p});
  EXPECT_TRUE(watched_info->links.empty());
  EXPECT_FALSE(watched_info->trap_exit);
  EXPECT_EQ(watched_info->registered_name, "");

  for (int i = 0; i < 10; ++i) n.send(p, std::string("more"));
  n.run_until_idle();
  auto later = n.process_info(p);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->message_queue_len, 12u);
  EXPECT_GT(later->memory, info->memory);
}

TEST(Process, GetProcessInfoWorksInsideAProcessAndIsNulloptForTheDead) {
  // Rule: co_await get_process_info(pid) answers a snapshot, itself included, or
  // std::nullopt when the pid is not alive.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid dead = n.spawn(otp_test::wait_for_stop);
  n.send(dead, stop{});
  otp::pid target = n.spawn(otp_test::wait_forever);
  n.register_name("target", target);
  n.send(target, 1);
  n.send(target, 2);
  n.run_until_idle();
  struct result {
    std::optional<otp::process_info> other, self, dead;
  } r;
  n.spawn(
      [](otp::pid target, otp::pid dead, result* r) -> otp::proc {
        r->other = co_await otp::get_process_info(target);
        r->self = co_await otp::get_process_info(otp::self());
        r->dead = co_await otp::get_process_info(dead);
      },
      target, dead, &r);
  n.run_until_idle();
  ASSERT_TRUE(r.other.has_value());
  EXPECT_EQ(r.other->message_queue_len, 2u);
  EXPECT_EQ(r.other->registered_name, "target");
  EXPECT_EQ(r.other->status, otp::process_status::waiting);
  ASSERT_TRUE(r.self.has_value());
  EXPECT_EQ(r.self->status, otp::process_status::running);
  EXPECT_EQ(r.dead, std::nullopt);
}

TEST(Process, ProcessesAndProcessCountListTheLiveProcesses) {
  // Rule: processes() lists every live process (thread mailboxes included) and
  // process_count() counts them; a process leaves both when it ends.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  EXPECT_EQ(n.process_count(), 1u);
  otp::pid a = n.spawn(otp_test::wait_for_stop);
  otp::pid b = n.spawn(otp_test::wait_for_stop);
  otp::pid c = n.spawn(otp_test::wait_for_stop);
  n.run_until_idle();
  EXPECT_EQ(n.process_count(), 4u);
  auto all = n.processes();
  std::sort(all.begin(), all.end());
  std::vector<otp::pid> expected{mb.self(), a, b, c};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);

  n.send(b, stop{});
  n.run_until_idle();
  EXPECT_EQ(n.process_count(), 3u);
  all = otp::processes();
  EXPECT_EQ(std::count(all.begin(), all.end(), b), 0);
  EXPECT_EQ(all.size(), 3u);

  std::vector<otp::pid> seen_inside;
  n.spawn(
      [](std::vector<otp::pid>* out) -> otp::proc {
        *out = otp::processes();
        co_return;
      },
      &seen_inside);
  n.run_until_idle();
  EXPECT_EQ(seen_inside.size(), 4u);  // mb, a, c and the asking process
}

otp::proc take_turns(std::vector<std::string>* log, std::string name) {
  for (int i = 0; i < 3; ++i) {
    log->push_back(name);
    co_await otp::yield();
  }
}

TEST(Process, YieldLetsAnotherRunnableProcessRunFirst) {
  // Rule: yield() puts the caller behind the other runnable processes (erlang:yield/0).
  otp::node n({.manual = true});
  std::vector<std::string> log;
  n.spawn(take_turns, &log, std::string("a"));
  n.spawn(take_turns, &log, std::string("b"));
  n.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "a", "b", "a", "b"}));
}

struct flood_state {
  int flooder_handled = 0;
  int handled_when_other_ran = -1;
};

// Sends itself a message for every message it handles, until the other process ran
// (or a cap, so a broken scheduler fails the test instead of hanging it).
otp::proc flooder(flood_state* s) {
  otp::send(otp::self(), 0);
  while (s->handled_when_other_ran < 0 && s->flooder_handled < 100000) {
    co_await otp::receive([&](int) {
      ++s->flooder_handled;
      otp::send(otp::self(), 0);
    });
  }
}

otp::proc note_first_run(flood_state* s) {
  s->handled_when_other_ran = s->flooder_handled;
  co_return;
}

TEST(Process, FloodingProcessCannotStarveAnotherRunnableProcess) {
  // Rule: after `reductions` handled messages a process yields its scheduler, so another
  // runnable process runs within one time slice.
  constexpr std::uint32_t kBudget = 4;
  otp::node n({.manual = true, .reductions = kBudget});
  flood_state s;
  n.spawn(
      [](flood_state* s) -> otp::proc {  // both in the same run queue, flooder first
        otp::spawn(flooder, s);
        otp::spawn(note_first_run, s);
        co_return;
      },
      &s);
  n.run_until_idle();
  ASSERT_GE(s.handled_when_other_ran, 0) << "the other process never ran";
  EXPECT_LE(s.handled_when_other_ran, static_cast<int>(kBudget));
}

TEST(Process, FloodingProcessCannotStarveAProcessSpawnedFromAThread) {
  // Rule: the time-slice rule holds for processes made runnable from outside the node too.
  constexpr std::uint32_t kBudget = 4;
  otp::node n({.manual = true, .reductions = kBudget});
  flood_state s;
  n.spawn(flooder, &s);
  n.spawn(note_first_run, &s);
  n.run_until_idle();
  ASSERT_GE(s.handled_when_other_ran, 0) << "the other process never ran";
  EXPECT_LE(s.handled_when_other_ran, static_cast<int>(kBudget));
}

}  // namespace

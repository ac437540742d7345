#include "otp/behaviours/async_supervisor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/exit_of.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
namespace tsup = otp::async_supervisor;

namespace {

using otp_test::add_received;
using otp_test::exit_of;
using otp_test::is_boom;
using otp_test::mailbox_is_empty;
using otp_test::price_of;
using otp_test::quiet_manual;
using otp_test::wait_forever;

bool contains(const std::vector<otp::pid>& v, otp::pid p) {
  return std::find(v.begin(), v.end(), p) != v.end();
}

int boom() { throw std::runtime_error("boom"); }

// Rule (async): the task is a child of the supervisor, linked to and
// monitored by the caller; await gives its value, and the temporary child
// is gone once it ended.
TEST(AsyncSupervisor, AsyncRunsAChildLinkedToAndMonitoredByTheCaller) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  auto t = tsup::async(sup.ref(), add_received, 40).get();
  EXPECT_EQ(tsup::children(sup.ref()).get(), std::vector<otp::pid>{t.pid()});
  auto info = otp::get_process_info(t.pid()).get();
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(contains(info->links, mb.self()));
  EXPECT_TRUE(contains(info->links, sup.child));
  EXPECT_TRUE(contains(info->monitored_by, mb.self()));
  otp::send(t.pid(), 2);
  EXPECT_EQ(otp::await(t).get(), 42);
  n.run_until_idle();
  EXPECT_TRUE(tsup::children(sup.ref()).get().empty());
}

// Rule (async_nolink): the task is monitored, not linked.
TEST(AsyncSupervisor, AsyncNolinkTaskIsMonitoredNotLinked) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto t = tsup::async_nolink(sup.ref(), add_received, 1).get();
  auto info = otp::get_process_info(t.pid()).get();
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(contains(info->links, mb.self()));
  EXPECT_TRUE(contains(info->links, sup.child));
  EXPECT_TRUE(contains(info->monitored_by, mb.self()));
  otp::send(t.pid(), 1);
  EXPECT_EQ(otp::await(t).get(), 2);
}

otp::proc awaits_a_crashing_async(tsup::ref sup) {
  auto t = co_await tsup::async(sup, boom);
  (void)co_await otp::await(t);
}

// Rule (async links): a crashing task takes its non-trapping caller down
// with its reason; the supervisor lives and does not restart it.
TEST(AsyncSupervisor, CrashOfAnAsyncTaskEndsANonTrappingCaller) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto [caller, mon] = otp::spawn_monitor(awaits_a_crashing_async, sup.ref());
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.from, caller);
  EXPECT_TRUE(is_boom(down.reason)) << down.reason;
  EXPECT_TRUE(n.is_alive(sup.child));
  EXPECT_TRUE(tsup::children(sup.ref()).get().empty());
}

// Rule (async_nolink): a crash does not reach the caller; await exits with
// the task's reason, and the DOWN is tagged with the task's ref.
TEST(AsyncSupervisor, CrashOfAnAsyncNolinkTaskExitsAwaitAndTheCallerLives) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto t = tsup::async_nolink(sup.ref(), boom).get();
  EXPECT_TRUE(is_boom(exit_of([&] { (void)otp::await(t).get(); })));
  auto u = tsup::async_nolink(sup.ref(), boom).get();
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, u.ref());
  EXPECT_TRUE(is_boom(down.reason)) << down.reason;
  EXPECT_FALSE(otp::async_ignore(u).get().has_value());  // the DOWN was taken by hand
  EXPECT_TRUE(mailbox_is_empty(mb));
  EXPECT_TRUE(n.is_alive(sup.child));
}

// Rule: arguments that can only be moved are moved into an async task.
TEST(AsyncSupervisor, AsyncMovesMoveOnlyArgumentsThrough) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto t = tsup::async(
               sup.ref(), [](std::unique_ptr<int> p) { return *p + 1; }, std::make_unique<int>(41))
               .get();
  EXPECT_EQ(otp::await(t).get(), 42);
}

// Rule (max_children): async beyond max_children exits with max_children;
// start_child returns {error, max_children}.
TEST(AsyncSupervisor, StartsBeyondMaxChildrenFail) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link({.max_children = 1}).get();
  auto t = tsup::async_nolink(sup.ref(), add_received, 0).get();
  otp::exit_reason r = exit_of([&] { (void)tsup::async(sup.ref(), add_received, 0).get(); });
  EXPECT_EQ(r.detail(), "max_children") << r;
  EXPECT_TRUE(
      otp::dynamic_supervisor::is_max_children(tsup::start_child(sup.ref(), wait_forever).get()));
  otp::send(t.pid(), 0);
  EXPECT_EQ(otp::await(t).get(), 0);
}

/// A start_child task: tells `log` its run number and pid, waits for an
/// int, then crashes on its first run and ends normally on later ones.
struct run_report {
  int run;
  otp::pid task;
};
otp::task<void> crash_on_first_run(otp::pid log, std::shared_ptr<std::atomic<int>> runs) {
  const int run = ++*runs;
  otp::send(log, run_report{run, otp::self()});
  (void)co_await otp::receive<int>();
  if (run == 1) throw std::runtime_error("boom");
}

/// Lets the task of `r` end and returns its exit reason.
otp::exit_reason end_run(otp::mailbox& mb, const run_report& r) {
  const otp::ref m = otp::monitor(r.task);
  otp::send(r.task, 0);
  return mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                              [](otp::down_msg&& d) { return d.reason; }));
}

// Rule (start_child restart: :temporary, the default): a task that crashes
// is not restarted and leaves the supervisor.
TEST(AsyncSupervisor, TemporaryTaskIsNotRestartedAfterACrash) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto runs = std::make_shared<std::atomic<int>>(0);
  auto r = tsup::start_child(sup.ref(), crash_on_first_run, mb.self(), runs).get();
  ASSERT_TRUE(r.is_ok()) << r.to_string();
  const run_report first = mb.receive<run_report>();
  EXPECT_EQ(first.task, r.child);
  EXPECT_TRUE(is_boom(end_run(mb, first)));
  EXPECT_TRUE(tsup::children(sup.ref()).get().empty());
  EXPECT_EQ(runs->load(), 1);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (start_child restart: :transient): restarted after an abnormal exit,
// with the same arguments; not after a normal one.
TEST(AsyncSupervisor, TransientTaskIsRestartedAfterAnAbnormalExitOnly) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto runs = std::make_shared<std::atomic<int>>(0);
  auto r =
      tsup::start_child(sup.ref(), {.restart = otp::transient}, crash_on_first_run, mb.self(), runs)
          .get();
  ASSERT_TRUE(r.is_ok()) << r.to_string();
  const run_report first = mb.receive<run_report>();
  EXPECT_EQ(first.run, 1);
  EXPECT_TRUE(is_boom(end_run(mb, first)));
  const run_report second = mb.receive<run_report>();
  EXPECT_EQ(second.run, 2);
  EXPECT_NE(second.task, first.task);
  EXPECT_TRUE(end_run(mb, second).is_normal());
  EXPECT_TRUE(tsup::children(sup.ref()).get().empty());
  EXPECT_EQ(runs->load(), 2);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (children, terminate_child): children lists the running tasks;
// terminate_child stops one (reason shutdown) and a second call is
// not_found.
TEST(AsyncSupervisor, ChildrenListsTasksAndTerminateChildStopsOne) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  const otp::pid a = tsup::start_child(sup.ref(), wait_forever).get().child;
  const otp::pid b = tsup::start_child(sup.ref(), wait_forever).get().child;
  auto kids = tsup::children(sup.ref()).get();
  EXPECT_EQ(kids.size(), 2u);
  EXPECT_TRUE(contains(kids, a) && contains(kids, b));
  const otp::ref watch = otp::monitor(a);
  EXPECT_TRUE(tsup::terminate_child(sup.ref(), a).get().ok());
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, watch);
  EXPECT_TRUE(down.reason.is_shutdown()) << down.reason;
  EXPECT_EQ(tsup::children(sup.ref()).get(), std::vector<otp::pid>{b});
  EXPECT_EQ(tsup::terminate_child(sup.ref(), a).get().state, otp::child_result::status::not_found);
}

// Rule (supervisor stop): stopping the supervisor stops its tasks; an
// awaiting nolink caller gets the task's shutdown.
TEST(AsyncSupervisor, StoppingTheSupervisorStopsItsTasks) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = tsup::start_link().get();
  const otp::pid a = tsup::start_child(sup.ref(), wait_forever).get().child;
  auto t = tsup::async_nolink(sup.ref(), add_received, 0).get();
  const otp::ref watch = otp::monitor(a);
  otp::gen_server::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  auto down = mb.receive(otp::when([watch](const otp::down_msg& d) { return d.monitor == watch; },
                                   [](otp::down_msg&& d) { return d.reason; }));
  EXPECT_TRUE(down.is_shutdown()) << down;
  otp::exit_reason r = exit_of([&] { (void)otp::await(t).get(); });
  EXPECT_TRUE(r.is_shutdown()) << r;
}

// Rule (owner watch): a supervised async task whose owner dies before
// sending async_origin ends with {shutdown, Reason} instead of waiting forever.
TEST(AsyncSupervisor, TaskWhoseOwnerDiesBeforeItsStartEnds) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  const otp::pid owner = otp::spawn(wait_forever);
  otp::child_spec spec = otp::detail::async_child_spec<int>(owner, 5000ms, [] { return 1; });
  auto r = otp::dynamic_supervisor::start_child(sup.ref(), std::move(spec)).get();
  ASSERT_TRUE(r.is_ok()) << r.to_string();
  const otp::ref watch = otp::monitor(r.child);
  otp::exit(owner, otp::exit_reason::kill());
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, watch);
  EXPECT_TRUE(down.reason.is_shutdown()) << down.reason;
  EXPECT_EQ(down.reason.detail(), "killed");
}

// --- streams under a supervisor --------------------------------------------

// Rule (Task.Supervisor.async_stream): every task is a child of the
// supervisor; the results come in input order.
TEST(AsyncSupervisor, AsyncStreamRunsEveryTaskAsAChild) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto am_child = [s = sup.ref()](int i) -> otp::task<int> {
    const std::vector<otp::pid> kids = co_await tsup::children(s);
    co_return contains(kids, otp::self()) ? i : -1;
  };
  auto rs =
      tsup::async_stream(sup.ref(), std::vector<int>{0, 1, 2, 3}, am_child, {.max_concurrency = 2})
          .get();
  ASSERT_EQ(rs.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rs[i].value(), i);
  n.run_until_idle();
  EXPECT_TRUE(tsup::children(sup.ref()).get().empty());
  EXPECT_TRUE(mailbox_is_empty(mb));
}

int crash_on_one(int i) {
  if (i == 1) throw std::runtime_error("boom");
  return i;
}

// Rule (async_stream_nolink): a crash is the result {exit, Reason}; the
// caller, not trapping exits, lives.
TEST(AsyncSupervisor, AsyncStreamNolinkGivesExitedForACrashAndTheCallerLives) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto rs = tsup::async_stream_nolink(sup.ref(), std::vector<int>{0, 1, 2}, crash_on_one,
                                      {.max_concurrency = 3})
                .get();
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].value(), 0);
  ASSERT_TRUE(rs[1].is_exit());
  EXPECT_TRUE(is_boom(rs[1].reason())) << rs[1].reason();
  EXPECT_EQ(rs[2].value(), 2);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

otp::proc streams_a_crash_under(tsup::ref sup) {
  (void)co_await tsup::async_stream(sup, std::vector<int>{0, 1, 2}, crash_on_one);
}

// Rule (Task.Supervisor.async_stream links): a crashing task takes a
// non-trapping caller down with its reason.
TEST(AsyncSupervisor, AsyncStreamCrashEndsANonTrappingCaller) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  auto [caller, mon] = otp::spawn_monitor(streams_a_crash_under, sup.ref());
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.from, caller);
  EXPECT_TRUE(is_boom(down.reason)) << down.reason;
  EXPECT_TRUE(n.is_alive(sup.child));
}

// --- the guide's example (docs/guide/async.md) -------------------------------

void audit(otp::pid customer) { otp::send(customer, std::string("audited")); }

// guide: Task.Supervisor
otp::proc risky_work(otp::async_supervisor::ref sup, otp::pid customer) {
  auto t = co_await otp::async_supervisor::async_nolink(sup, price_of, std::string("pear"));
  auto r = co_await otp::async_yield(t, 1000);  // a crash would be {exit, Reason}; we live
  if (!r) r = co_await otp::async_shutdown(t);
  otp::send(customer, r && r->is_ok() ? r->value() : -1);
  // fire and forget, restarted after a crash:
  (void)co_await otp::async_supervisor::start_child(sup, {.restart = otp::transient}, audit,
                                                    customer);
}

// Rule: the guide's example runs as described.
TEST(AsyncSupervisorGuide, AsyncNolinkAndStartChildInAProcess) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = tsup::start_link().get();
  n.spawn(risky_work, sup.ref(), mb.self());
  EXPECT_EQ(mb.receive<int>(), 400);
  EXPECT_EQ(mb.receive<std::string>(), "audited");
}

}  // namespace

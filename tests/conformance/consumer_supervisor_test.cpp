// consumer_supervisor: a child per event, at most max_demand at once; more
// asked as children end; transient children restarted with their event,
// within max_restarts; its end shuts its children down; start_child and
// terminate_child.
//
// Mirrors the cases of GenStage's consumer_supervisor_test.
#include "otp/services/consumer_supervisor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <utility>

#include "otp/otp.hpp"
#include "support/stages.hpp"

namespace {

using otp::exit_reason;

/// A child tells the test it started for event x.
struct started {
  long x;
  otp::pid child;
};
struct go {};     // the child ends normally
struct crash {};  // the child throws

otp::proc event_child(long x, otp::pid test) {
  otp::send(test, started{x, otp::self()});
  co_await otp::receive([](go) {}, [](crash) { throw std::runtime_error("child crashed"); });
}

/// Traps exits: only a kill ends it.
otp::proc stubborn_child(long x, otp::pid test) {
  otp::trap_exit(true);
  otp::send(test, started{x, otp::self()});
  co_await otp::receive([](go) {});
}

class ConsumerSupervisor : public otp_test::stage_fixture {
 protected:
  otp::consumer_supervisor_options<long> options(otp::pid producer, std::size_t max_demand,
                                                 otp::restart_type r = otp::transient) {
    const otp::pid test = mb.self();
    return {.start = [test](const long& x) { return otp::spawn_link(event_child, x, test); },
            .restart = r,
            .subscribe_to = {{producer, {.max_demand = max_demand}}}};
  }
  started next_start() { return mb.receive<started>(); }
};

TEST_F(ConsumerSupervisor, StartsAChildPerEventAndNoMoreThanMaxDemandAtOnce) {
  auto p = start_counter(0, {}, 10);
  auto s = otp::consumer_supervisor::start_link<long>(options(p.get_pid(), 2)).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const started a = next_start();
  const started b = next_start();
  EXPECT_EQ(a.x + b.x, 0 + 1);  // events 0 and 1, in whichever order the children ran
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<started>());
  EXPECT_EQ(otp::consumer_supervisor::count_children(s.ref()).get().active, 2u);
  // One ends: min_demand is 1, so one more is asked for and started.
  otp::send(a.child, go{});
  EXPECT_EQ(next_start().x, 2);
  EXPECT_EQ(otp::consumer_supervisor::which_children(s.ref()).get().size(), 2u);
}

TEST_F(ConsumerSupervisor, ATransientChildThatCrashesIsRestartedWithItsEvent) {
  auto p = start_counter(0, {}, 1);
  auto s = otp::consumer_supervisor::start_link<long>(options(p.get_pid(), 5)).get();
  ASSERT_TRUE(s.is_ok());
  const started first = next_start();
  otp::send(first.child, crash{});
  const started again = next_start();
  EXPECT_EQ(again.x, 0);
  EXPECT_NE(again.child, first.child);
  otp::send(again.child, go{});  // a normal end is not restarted
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<started>());
  EXPECT_EQ(otp::consumer_supervisor::count_children(s.ref()).get().active, 0u);
}

TEST_F(ConsumerSupervisor, ATemporaryChildIsNotRestarted) {
  auto p = start_counter(0, {}, 1);
  auto s =
      otp::consumer_supervisor::start_link<long>(options(p.get_pid(), 5, otp::temporary)).get();
  ASSERT_TRUE(s.is_ok());
  otp::send(next_start().child, crash{});
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<started>());
}

TEST_F(ConsumerSupervisor, MoreRestartsThanMaxRestartsStopItWithShutdown) {
  auto p = start_counter(0, {}, 1);
  otp::consumer_supervisor_options<long> o = options(p.get_pid(), 5);
  o.max_restarts = 2;
  auto s = otp::consumer_supervisor::start(o).get();
  ASSERT_TRUE(s.is_ok());
  const otp::ref mon = otp::monitor(s.child);
  for (int crashes = 0; crashes < 3; ++crashes) otp::send(next_start().child, crash{});
  EXPECT_EQ(down_of(mon), exit_reason::shutdown());  // the third restart is one too many
}

TEST_F(ConsumerSupervisor, ItsEndShutsItsChildrenDown) {
  auto p = start_counter(0, {}, 3);
  auto s = otp::consumer_supervisor::start(options(p.get_pid(), 5)).get();
  ASSERT_TRUE(s.is_ok());
  std::vector<otp::ref> mons;
  for (int i = 0; i < 3; ++i) mons.push_back(otp::monitor(next_start().child));
  otp::gen_server::stop(s.ref(), exit_reason::shutdown()).get();
  for (otp::ref m : mons) EXPECT_EQ(down_of(m), exit_reason::shutdown());
}

TEST_F(ConsumerSupervisor, APermanentChildOrNoStartFunctionIsRefusedAtStart) {
  auto p = start_counter();
  auto perm = otp::consumer_supervisor::start(options(p.get_pid(), 5, otp::permanent)).get();
  EXPECT_FALSE(perm.is_ok());
  EXPECT_EQ(perm.reason, exit_reason::other("{bad_opts,\"a permanent child is not supported\"}"));
  auto none = otp::consumer_supervisor::start(otp::consumer_supervisor_options<long>{}).get();
  EXPECT_EQ(none.reason, exit_reason::other("{bad_opts,\"start is required\"}"));
}

TEST_F(ConsumerSupervisor, AStartThatThrowsIsLoggedAndItsEventCountsAsHandled) {
  auto p = start_counter(0, {}, 4);
  otp::consumer_supervisor_options<long> o = options(p.get_pid(), 1);
  const otp::pid test = mb.self();
  o.start = [test](const long& x) {
    if (x == 0) throw std::runtime_error("cannot start for 0");
    return otp::spawn_link(event_child, x, test);
  };
  auto s = otp::consumer_supervisor::start(o).get();
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(next_start().x, 1);  // 0 failed, and the demand went on
  otp::logger::flush();
  EXPECT_EQ(with_message("a child failed to start").size(), 1u);
}

TEST_F(ConsumerSupervisor, StartChildStartsAChildOutsideTheDemand) {
  auto p = start_counter(0, {}, 0);  // no events
  auto s = otp::consumer_supervisor::start_link<long>(options(p.get_pid(), 1)).get();
  ASSERT_TRUE(s.is_ok());
  const otp::child_result a = otp::consumer_supervisor::start_child(s.ref(), 42L).get();
  ASSERT_TRUE(a.ok()) << a.to_string();
  const started first = next_start();
  EXPECT_EQ(first.x, 42);
  EXPECT_EQ(first.child, a.child);
  EXPECT_TRUE(otp::consumer_supervisor::start_child(s.ref(), 43L).get().ok());  // max_demand 1
  EXPECT_EQ(next_start().x, 43);
  EXPECT_EQ(otp::consumer_supervisor::count_children(s.ref()).get().active, 2u);
  otp::send(first.child, crash{});  // transient: restarted with its event
  EXPECT_EQ(next_start().x, 42);
}

TEST_F(ConsumerSupervisor, TerminateChildStopsItWithShutdownAndDoesNotRestartIt) {
  auto p = start_counter(0, {}, 1);
  auto s = otp::consumer_supervisor::start_link<long>(options(p.get_pid(), 5)).get();
  ASSERT_TRUE(s.is_ok());
  const started child = next_start();
  const otp::ref mon = otp::monitor(child.child);
  const auto r = otp::consumer_supervisor::terminate_child(s.ref(), child.child).get();
  EXPECT_TRUE(r.ok()) << r.to_string();
  EXPECT_EQ(down_of(mon), exit_reason::shutdown());
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<started>());
  EXPECT_EQ(otp::consumer_supervisor::terminate_child(s.ref(), child.child).get().state,
            otp::child_result::status::not_found);
  EXPECT_EQ(otp::consumer_supervisor::terminate_child(s.ref(), mb.self()).get().state,
            otp::child_result::status::not_found);
}

TEST_F(ConsumerSupervisor, TerminateChildKillsAChildStillThereAfterTheGrace) {
  auto p = start_counter(0, {}, 1);
  auto o = options(p.get_pid(), 5);
  const otp::pid test = mb.self();
  o.start = [test](const long& x) { return otp::spawn_link(stubborn_child, x, test); };
  o.shutdown = std::chrono::milliseconds(100);
  auto s = otp::consumer_supervisor::start_link<long>(std::move(o)).get();
  ASSERT_TRUE(s.is_ok());
  const started child = next_start();
  const otp::ref mon = otp::monitor(child.child);
  EXPECT_TRUE(otp::consumer_supervisor::terminate_child(s.ref(), child.child).get().ok());
  EXPECT_EQ(down_of(mon), exit_reason::killed());
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<started>());  // killed, transient, and still not restarted
}

TEST_F(ConsumerSupervisor, AStartChildWhoseStartThrowsIsAnError) {
  auto p = start_counter(0, {}, 0);
  auto o = options(p.get_pid(), 5);
  o.start = [](const long&) -> otp::pid { throw otp::exit_error(exit_reason::other("no")); };
  auto s = otp::consumer_supervisor::start_link<long>(std::move(o)).get();
  ASSERT_TRUE(s.is_ok());
  const otp::child_result r = otp::consumer_supervisor::start_child(s.ref(), 1L).get();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.state, otp::child_result::status::error);
}

}  // namespace

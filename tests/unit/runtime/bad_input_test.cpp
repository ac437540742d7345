// Bad input: each misuse raises its documented error (otp::badarg or
// otp::system_limit), changes nothing, and leaves the other processes working.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "otp/otp.hpp"
#include "otp/runtime/errors.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::echo_answers;
using otp_test::echo_server;
using otp_test::stop;
using otp_test::wait_for_stop;
using otp_test::wait_forever;

TEST(BadInput, NegativeOrTooLargeTimeoutIsBadarg) {
  // Rule: a timeout must be in [0, 2^32-1] ms or infinity.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  EXPECT_THROW(otp::timeout(-1), otp::badarg);
  EXPECT_THROW(otp::timeout(-1ms), otp::badarg);
  EXPECT_THROW(otp::timeout(static_cast<long long>(otp::kMaxTimeoutMs) + 1), otp::badarg);
  EXPECT_THROW(otp::timeout(std::chrono::hours(24 * 50)), otp::badarg);
  EXPECT_NO_THROW(otp::timeout(static_cast<long long>(otp::kMaxTimeoutMs)));
  EXPECT_THROW(otp::after(-5), otp::badarg);
  EXPECT_THROW(mb.receive<int>(-1ms), otp::badarg);
  EXPECT_THROW(n.send_after(-1ms, echo, 1), otp::badarg);
  EXPECT_THROW(n.advance(-1ms), otp::badarg);
  EXPECT_EQ(n.next_timer(), std::nullopt);
  EXPECT_EQ(n.now(), 0ms);
  EXPECT_TRUE(echo_answers(mb, echo, 1));
}

TEST(BadInput, FreeFunctionsOnAThreadWithoutAMailboxAreBadarg) {
  // Rule: the otp:: free functions act for a process or mailbox; on a bare thread they
  // throw otp::badarg.
  otp::node n({.manual = true});
  otp::pid echo = n.spawn(echo_server);
  n.register_name("echo", echo);
  EXPECT_THROW(otp::self(), otp::badarg);
  EXPECT_THROW(otp::send(echo, 1), otp::badarg);
  EXPECT_THROW(otp::send("echo", 1), otp::badarg);
  EXPECT_THROW(otp::spawn(wait_forever), otp::badarg);
  EXPECT_THROW(otp::spawn_link(wait_forever), otp::badarg);
  EXPECT_THROW(otp::spawn_monitor(wait_forever), otp::badarg);
  EXPECT_THROW(otp::exit(echo, otp::exit_reason::kill()), otp::badarg);
  EXPECT_THROW(otp::link(echo), otp::badarg);
  EXPECT_THROW(otp::monitor(echo), otp::badarg);
  EXPECT_THROW(otp::trap_exit(true), otp::badarg);
  EXPECT_THROW(otp::is_alive(echo), otp::badarg);
  EXPECT_THROW(otp::whereis("echo"), otp::badarg);
  EXPECT_THROW(otp::send_after(10, echo, 1), otp::badarg);
  EXPECT_THROW(otp::make_ref(), otp::badarg);
  EXPECT_THROW(otp::processes(), otp::badarg);
  auto rx = otp::receive<int>();
  EXPECT_THROW(rx.await_ready(), otp::badarg);

  EXPECT_EQ(n.process_count(), 1u);  // nothing was spawned
  EXPECT_EQ(n.next_timer(), std::nullopt);
  otp::mailbox mb(n);
  EXPECT_TRUE(echo_answers(mb, echo, 2));
}

TEST(BadInput, RegisterMisuseIsBadargAndChangesNothing) {
  // Rule: register fails for an empty or reserved name, a taken name, a dead pid, a pid
  // that already has a name, or another node's pid; unregister fails for a free name.
  otp::node n({.manual = true});
  otp::node other({.manual = true});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  otp::pid spare = n.spawn(wait_forever);
  otp::pid dead = n.spawn(wait_for_stop);
  otp::pid foreign = other.spawn(wait_forever);
  n.send(dead, stop{});
  n.run_until_idle();
  n.register_name("svc", echo);

  EXPECT_THROW(n.register_name("", spare), otp::badarg);
  EXPECT_THROW(n.register_name("undefined", spare), otp::badarg);
  EXPECT_THROW(n.register_name("svc", spare), otp::badarg);
  EXPECT_THROW(n.register_name("second_name", echo), otp::badarg);
  EXPECT_THROW(n.register_name("ghost", dead), otp::badarg);
  EXPECT_THROW(n.register_name("foreign", foreign), otp::badarg);
  EXPECT_THROW(otp::register_name("svc", spare), otp::badarg);
  EXPECT_THROW(n.unregister_name("nobody"), otp::badarg);
  EXPECT_THROW(otp::unregister_name("nobody"), otp::badarg);

  EXPECT_EQ(n.whereis("svc"), echo);
  EXPECT_TRUE(n.whereis("second_name").is_null());
  EXPECT_TRUE(n.whereis("ghost").is_null());
  EXPECT_TRUE(n.whereis("foreign").is_null());
  auto info = n.process_info(spare);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->registered_name, "");
  n.register_name("spare", spare);  // the spare is still free to take a name
  EXPECT_EQ(n.whereis("spare"), spare);

  otp::send("svc", otp_test::ping{mb.self(), 3});
  EXPECT_EQ(mb.receive<int>(), 3);
}

TEST(BadInput, SendToAnUnregisteredNameIsBadarg) {
  // Rule: `Name ! Msg` with a free name raises badarg (unlike a send to a dead pid).
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  EXPECT_THROW(n.send("nobody", 1), otp::badarg);
  EXPECT_THROW(otp::send("nobody", 1), otp::badarg);
  n.register_name("gone", n.spawn(wait_for_stop));
  n.send("gone", stop{});
  n.run_until_idle();
  EXPECT_THROW(otp::send("gone", 1), otp::badarg);
  EXPECT_TRUE(echo_answers(mb, echo, 4));
}

TEST(BadInput, SpawnIntoAFullProcessTableIsSystemLimitUntilASlotFrees) {
  // Rule: max_processes caps live processes: one more spawn raises system_limit; once a
  // process has ended its place can be taken again.
  otp::node n({.manual = true, .max_processes = 3});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  otp::pid last = n.spawn(wait_for_stop);
  EXPECT_THROW(n.spawn(wait_forever), otp::system_limit);
  EXPECT_THROW(otp::spawn(wait_forever), otp::system_limit);
  EXPECT_EQ(n.process_count(), 3u);
  EXPECT_TRUE(echo_answers(mb, echo, 5));

  n.send(last, stop{});
  n.run_until_idle();
  ASSERT_EQ(n.process_count(), 2u);
  otp::pid again;
  EXPECT_NO_THROW(again = n.spawn(wait_forever));
  EXPECT_TRUE(n.is_alive(again));
  EXPECT_TRUE(echo_answers(mb, echo, 6));
}

TEST(BadInput, SpawnIntoAFullTableFromAProcessRaisesSystemLimitInIt) {
  // Rule: inside a process, spawn into a full table throws system_limit, which the process
  // may catch.
  otp::node n({.manual = true, .max_processes = 3});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  n.spawn(
      [](otp::pid report) -> otp::proc {
        try {
          otp::spawn(wait_forever);
          otp::send(report, std::string("spawned"));
        } catch (const otp::system_limit&) {
          otp::send(report, std::string("system_limit"));
        }
        co_await otp::receive([](otp_test::never) {});
      },
      mb.self());
  EXPECT_EQ(mb.receive<std::string>(), "system_limit");
  EXPECT_TRUE(echo_answers(mb, echo, 7));
}

TEST(BadInput, SpawnOptWithLinkOrMonitorFromABareThreadIsBadarg) {
  // Rule: node::spawn_opt with link or monitor needs a mailbox on the calling thread.
  otp::node n({.manual = true});
  EXPECT_THROW(n.spawn_opt(otp::spawn_options{.link = true}, wait_forever), otp::badarg);
  EXPECT_THROW(n.spawn_opt(otp::spawn_options{.monitor = true}, wait_forever), otp::badarg);
  EXPECT_EQ(n.process_count(), 0u);
}

TEST(BadInput, ManualSteppingOnAThreadedNodeIsBadarg) {
  // Rule: run_until_idle, advance and next_timer exist only for manual nodes.
  otp::node n({.schedulers = 1});
  EXPECT_THROW(n.run_until_idle(), otp::badarg);
  EXPECT_THROW(n.advance(1ms), otp::badarg);
  EXPECT_THROW(n.next_timer(), otp::badarg);
  otp::mailbox mb(n);
  EXPECT_TRUE(echo_answers(mb, n.spawn(echo_server), 8));
}

TEST(BadInput, NodeCallsThatWaitAreBadargFromInsideAProcess) {
  // Rule: node::process_info and the stepping functions must not be called by a process.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  n.spawn(
      [](otp::node* np, otp::pid echo, otp::pid report) -> otp::proc {
        int errors = 0;
        try {
          (void)np->process_info(echo);
        } catch (const otp::badarg&) {
          ++errors;
        }
        try {
          np->run_until_idle();
        } catch (const otp::badarg&) {
          ++errors;
        }
        try {
          np->advance(1ms);
        } catch (const otp::badarg&) {
          ++errors;
        }
        otp::send(report, errors);
        co_return;
      },
      &n, echo, mb.self());
  EXPECT_EQ(mb.receive<int>(), 3);
  EXPECT_EQ(n.now(), 0ms);
  EXPECT_TRUE(echo_answers(mb, echo, 9));
}

TEST(BadInput, MailboxReceiveThatCanNeverCompleteIsBadarg) {
  // Rule: in an idle manual node with no timer, a mailbox receive without timeout would
  // wait forever: it throws badarg instead, and the mailbox stays usable.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  EXPECT_THROW(mb.receive<int>(), otp::badarg);
  EXPECT_TRUE(n.is_alive(mb.self()));
  EXPECT_TRUE(echo_answers(mb, echo, 10));
}

TEST(BadInput, MailboxForASecondNodeOnTheSameThreadIsBadarg) {
  // Rule: a thread holding a mailbox of one node cannot open one on another node.
  otp::node a({.manual = true});
  otp::node b({.manual = true});
  otp::mailbox ma(a);
  otp::pid echo = a.spawn(echo_server);
  EXPECT_THROW(otp::mailbox mb(b), otp::badarg);
  EXPECT_EQ(b.process_count(), 0u);
  EXPECT_EQ(otp::self(), ma.self());
  EXPECT_TRUE(echo_answers(ma, echo, 11));
}

TEST(BadInput, BadargInsideAProcessEndsOnlyThatProcess) {
  // Rule: an uncaught badarg is an exception like any other: it ends the process that
  // raised it (reason type otp::badarg) and nobody else.
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid echo = n.spawn(echo_server);
  otp::pid bad_send = n.spawn([]() -> otp::proc {
    co_await otp::yield();
    otp::send("nobody", 1);
  });
  otp::pid bad_timeout = n.spawn([]() -> otp::proc {
    co_await otp::yield();
    co_await otp::receive<int>(otp::timeout(-1));
  });
  otp::monitor(bad_send);
  otp::monitor(bad_timeout);
  for (int i = 0; i < 2; ++i) {
    auto down = mb.receive<otp::down_msg>();
    ASSERT_NE(down.reason.exception(), nullptr) << down.from << " " << down.reason;
    EXPECT_EQ(down.reason.exception()->type, "otp::badarg");
  }
  EXPECT_TRUE(n.is_alive(echo));
  EXPECT_TRUE(echo_answers(mb, echo, 12));
}

}  // namespace

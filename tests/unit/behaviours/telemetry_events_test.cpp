// The telemetry events the library emits itself (docs/guide/observability.md
// lists them): supervisors' child started/restarted/terminated/escalated, a
// gen_server's opt-in call span, a pool's checkouts and overflow, and a
// table's ownership transfers. The logger's drop event is checked in
// logger_test.cpp beside the burst limit.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"
#include "support/telemetry_capture.hpp"

namespace {

using namespace std::chrono_literals;
using otp_test::event_recorder;

const std::vector<std::vector<std::string>> kSupervisorEvents = {
    {"otp", "supervisor", "child_started"},
    {"otp", "supervisor", "child_restarted"},
    {"otp", "supervisor", "child_terminated"},
    {"otp", "supervisor", "escalated"}};

class TelemetryEvents : public ::testing::Test {
 protected:
  otp_test::report_log reports;
  otp::node n{reports.options()};
  otp::mailbox mb{n};
  void SetUp() override { otp::trap_exit(true); }
};

// Rule: a supervisor tells each child's start, an unexpected death (with the
// reason) and the restart that follows (with the child's restart count),
// and which_children reports that count and the restart type.
TEST_F(TelemetryEvents, ASupervisorTellsStartsDeathsAndRestarts) {
  event_recorder rec("te-sup", kSupervisorEvents);
  auto s = otp::supervisor::start_link({.intensity = 5}, {otp_test::logged_spec(mb.self(), "a"),
                                                          otp_test::logged_spec(mb.self(), "b")})
               .get();
  ASSERT_TRUE(s.is_ok());
  const otp::supervisor::ref sup = s.ref();
  auto started = rec.named("otp.supervisor.child_started");
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].meta("child_id"), "a");
  EXPECT_EQ(started[1].meta("child_id"), "b");
  EXPECT_EQ(started[1].meta("supervisor"), s.child.to_string());
  EXPECT_EQ(started[1].meta("child_type"), "worker");
  const otp::pid old_b = otp_test::child_pid(sup, "b");
  EXPECT_EQ(started[1].meta("child_pid"), old_b.to_string());
  EXPECT_TRUE(rec.named("otp.supervisor.child_restarted").empty());

  otp_test::kill_and_wait(mb, old_b);
  const otp::pid new_b = otp_test::child_pid(sup, "b");  // the supervisor has restarted it
  const auto died = rec.named("otp.supervisor.child_terminated");
  ASSERT_EQ(died.size(), 1u);
  EXPECT_EQ(died[0].meta("child_id"), "b");
  EXPECT_EQ(died[0].meta("child_pid"), old_b.to_string());
  EXPECT_EQ(died[0].meta("reason"), "killed");
  const auto again = rec.named("otp.supervisor.child_restarted");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].meta("child_pid"), new_b.to_string());
  EXPECT_EQ(again[0].measure("restarts"), 1.0);
  EXPECT_EQ(rec.named("otp.supervisor.child_started").size(), 3u);

  const auto children = otp::supervisor::which_children(sup).get();
  ASSERT_EQ(children.size(), 2u);
  for (const auto& c : children) {
    EXPECT_EQ(c.restarts, c.id == "b" ? 1u : 0u) << c.id;
    EXPECT_EQ(c.restart, otp::permanent);
  }
}

// Rule: a supervisor past its restart intensity tells the escalation (the
// child whose death it was, reason reached_max_restart_intensity) before
// it exits with shutdown.
TEST_F(TelemetryEvents, ASupervisorPastItsIntensityTellsTheEscalation) {
  event_recorder rec("te-esc", kSupervisorEvents);
  auto s =
      otp::supervisor::start_link({.intensity = 0}, {otp_test::logged_spec(mb.self(), "a")}).get();
  ASSERT_TRUE(s.is_ok());
  const otp::ref m = otp::monitor(s.child);
  otp_test::kill_and_wait(mb, otp_test::child_pid(s.ref(), "a"));
  EXPECT_TRUE(otp_test::wait_down(mb, m).is_shutdown());
  const auto up = rec.named("otp.supervisor.escalated");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].meta("child_id"), "a");
  EXPECT_EQ(up[0].meta("reason"), "reached_max_restart_intensity");
  EXPECT_TRUE(rec.named("otp.supervisor.child_restarted").empty());
}

// Rule: a dynamic supervisor counts and tells its children's restarts too.
TEST_F(TelemetryEvents, ADynamicSupervisorCountsRestarts) {
  event_recorder rec("te-dyn", kSupervisorEvents);
  auto s = otp::dynamic_supervisor::start_link({.intensity = 5}).get();
  ASSERT_TRUE(s.is_ok());
  auto c =
      otp::dynamic_supervisor::start_child(s.ref(), otp_test::logged_spec(mb.self(), "d")).get();
  ASSERT_TRUE(c.is_ok());
  otp_test::kill_and_wait(mb, c.child);
  const auto children = otp::dynamic_supervisor::which_children(s.ref()).get();
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].restarts, 1u);
  EXPECT_NE(children[0].child, c.child);
  ASSERT_EQ(rec.named("otp.supervisor.child_restarted").size(), 1u);
  EXPECT_EQ(rec.named("otp.supervisor.child_terminated").size(), 1u);
}

// When the last te_later callback ended (telemetry's clock, ns).
std::int64_t te_later_ended_ns = 0;

struct te_server {
  struct te_ask {
    using reply = int;
  };
  struct te_fail {
    using reply = int;
  };
  struct te_later {
    using reply = int;
  };
  int handle_call(te_ask) { return 7; }
  int handle_call(te_fail) { throw std::runtime_error("te boom"); }
  otp::task<int> handle_call(te_later) {
    (void)co_await otp::receive<otp_test::never_sent>(5ms);  // suspends
    te_later_ended_ns = otp::telemetry::detail::monotonic_ns();
    co_return 9;
  }
};

const std::vector<std::vector<std::string>> kCallEvents = {
    {"otp", "gen_server", "call", "start"},
    {"otp", "gen_server", "call", "stop"},
    {"otp", "gen_server", "call", "exception"}};

// Rule (start option telemetry_calls): each handle_call runs in a span,
// start then stop with its duration, also when the callback is a coroutine
// that ends later; without the option no call event is emitted.
TEST_F(TelemetryEvents, ACallSpanIsEmittedOnlyWhenTheServerOptsIn) {
  event_recorder rec("te-call", kCallEvents);
  auto plain = otp::gen_server::start_link<te_server>().get();
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ(otp::call(plain.ref(), te_server::te_ask{}).get(), 7);
  EXPECT_TRUE(rec.all().empty());

  auto traced =
      otp::gen_server::start_link<te_server>(
          otp::start_options{.name = otp::server_name("te_traced"), .telemetry_calls = true})
          .get();
  ASSERT_TRUE(traced.is_ok());
  EXPECT_EQ(otp::call(traced.ref(), te_server::te_ask{}).get(), 7);
  EXPECT_EQ(otp::call(traced.ref(), te_server::te_later{}).get(), 9);
  const auto starts = rec.named("otp.gen_server.call.start");
  const auto stops = rec.named("otp.gen_server.call.stop");
  ASSERT_EQ(starts.size(), 2u);
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(starts[0].meta("server"), traced.child.to_string());
  EXPECT_EQ(starts[0].meta("server_name"), "te_traced");
  EXPECT_NE(starts[0].meta("request")->find("te_ask"), std::string::npos);
  EXPECT_NE(stops[1].meta("request")->find("te_later"), std::string::npos);
  EXPECT_EQ(stops[1].meta("telemetry_span_context"), starts[1].meta("telemetry_span_context"));
  // The stop came when the coroutine ended, not when handle_call made it.
  EXPECT_GE(*stops[1].measure("monotonic_time"), static_cast<double>(te_later_ended_ns));
}

// Rule: a handle_call that throws ends its span with exception (kind error,
// the reason) before the server crashes with it.
TEST_F(TelemetryEvents, AThrowingCallEndsItsSpanWithException) {
  event_recorder rec("te-throw", kCallEvents);
  auto traced =
      otp::gen_server::start_link<te_server>(otp::start_options{.telemetry_calls = true}).get();
  ASSERT_TRUE(traced.is_ok());
  EXPECT_THROW((void)otp::call(traced.ref(), te_server::te_fail{}).get(), otp::exit_error);
  const auto failed = rec.named("otp.gen_server.call.exception");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].meta("kind"), "error");
  EXPECT_NE(failed[0].meta("reason")->find("te boom"), std::string::npos);
  EXPECT_TRUE(rec.named("otp.gen_server.call.stop").empty());
}

struct te_conn {
  struct te_who {
    using reply = otp::pid;
  };
  otp::pid handle_call(te_who) { return otp::self(); }
};
using te_pool = otp::pool<te_conn>;

otp::proc te_waiter(te_pool p, otp::pid to) {
  auto w = co_await p.checkout(true, 5000ms);
  otp::send(to, w->resolve());
}

// Rule: a pool tells each checkout with its wait and outcome (ok at once,
// full, ok after waiting in line, timeout) and each overflow worker started.
TEST(TelemetryPoolEvents, CheckoutsTellTheirWaitAndOutcome) {
  event_recorder rec("te-pool", {{"otp", "pool", "checkout"}, {"otp", "pool", "overflow"}});
  otp::node n(otp_test::quiet_manual());
  otp::mailbox mb(n);
  auto s = te_pool::start_link({.size = 1, .max_overflow = 1}).get();
  ASSERT_TRUE(s.is_ok());
  te_pool p = s.ref();
  auto a = p.checkout().get();
  auto b = p.checkout().get();  // an overflow worker
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(p.checkout(false).get().has_value());
  try {
    (void)p.checkout(true, 20ms).get();
    ADD_FAILURE() << "no timeout";
  } catch (const otp::exit_error&) {
  }
  EXPECT_EQ(p.status().get().waiting, 0u);  // the cancel was handled
  n.spawn(te_waiter, p, mb.self());
  n.run_until_idle();  // the waiter is in line
  EXPECT_EQ(p.status().get().waiting, 1u);
  p.checkin(*a);
  EXPECT_EQ(mb.receive<otp::pid>(), a->resolve());

  const auto overflow = rec.named("otp.pool.overflow");
  ASSERT_EQ(overflow.size(), 1u);
  EXPECT_EQ(overflow[0].measure("overflow"), 1.0);
  EXPECT_EQ(overflow[0].meta("pool"), s.child.to_string());
  const auto outs = rec.named("otp.pool.checkout");
  ASSERT_EQ(outs.size(), 5u);
  const char* outcomes[] = {"ok", "ok", "full", "timeout", "ok"};
  for (std::size_t i = 0; i < outs.size(); ++i) EXPECT_EQ(outs[i].meta("outcome"), outcomes[i]);
  EXPECT_EQ(outs[0].measure("wait"), 0.0);
  EXPECT_GT(*outs[3].measure("wait"), 0.0);
  EXPECT_GT(*outs[4].measure("wait"), 0.0);
}

using te_table = otp::table<int, int>;
struct te_table_made {
  te_table t;
};

otp::proc te_table_owner(otp::pid parent, std::string name, otp::pid heir) {
  auto t = te_table::create({.name = std::move(name), .heir = heir});
  otp::send(parent, te_table_made{t});
  co_await otp::receive([](otp_test::never_sent) {});
}

// Rule: a table tells each change of owner, by give_away and to its heir
// when the owner dies.
TEST(TelemetryTableEvents, TransfersAreTold) {
  event_recorder rec("te-table", {{"otp", "table", "transfer"}});
  otp::node n;
  otp::mailbox mb(n);
  const otp::pid owner = n.spawn(te_table_owner, mb.self(), std::string("te_inherited"), mb.self());
  auto made = mb.receive<te_table_made>();
  const otp::ref m = otp::monitor(owner);
  otp::exit(owner, otp::exit_reason::kill());
  (void)mb.receive<otp::ets_transfer<te_table>>();  // comes before the DOWN
  (void)otp_test::wait_down(mb, m);
  const otp::pid other = n.spawn(te_table_owner, mb.self(), std::string("te_other"), otp::pid());
  (void)mb.receive<te_table_made>();
  made.t.give_away(other);
  const auto moves = rec.named("otp.table.transfer");
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0].meta("how"), "heir");
  EXPECT_EQ(moves[0].meta("table"), "te_inherited");
  EXPECT_EQ(moves[0].meta("from"), owner.to_string());
  EXPECT_EQ(moves[0].meta("to"), mb.self().to_string());
  EXPECT_EQ(moves[1].meta("how"), "give_away");
  EXPECT_EQ(moves[1].meta("to"), other.to_string());
  otp::exit(other, otp::exit_reason::kill());
}

}  // namespace

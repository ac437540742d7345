// Links, monitors and exit signals between processes of two C++ nodes over
// the distribution protocol: the same semantics as between local processes,
// plus noconnection when the connection goes.
#include <gtest/gtest.h>

#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;

/// Exits with the reason it receives (as a term).
otp::proc exits_with_what_it_gets() {
  term t = co_await otp::receive<term>();
  throw otp::exit_error(otp::from_term<otp::exit_reason>(t));
}

TEST(DistSignalsCpp, AMonitorAcrossNodesGetsTheRealReason) {
  otp_test::cpp_pair t("sig", "sig_cookie");
  otp::mailbox mb(t.an);
  const otp::pid v = t.on_b(t.bn.spawn(exits_with_what_it_gets));
  const otp::ref r = otp::monitor(v);
  otp::send(v, otp::to_term(otp::exit_reason::shutdown("maintenance")));
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r);
  EXPECT_EQ(down->from, v);
  EXPECT_EQ(down->reason, otp::exit_reason::shutdown("maintenance"));
  // Dead now: a new monitor is DOWN noproc.
  otp::monitor(v);
  auto again = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->reason, otp::exit_reason::noproc());
}

TEST(DistSignalsCpp, ADemonitoredProcessesEndIsNotReported) {
  otp_test::cpp_pair t("sig", "sig_cookie");
  otp::mailbox mb(t.an);
  const otp::pid v = t.on_b(t.bn.spawn(exits_with_what_it_gets));
  const otp::ref r1 = otp::monitor(v);
  const otp::ref r2 = otp::monitor(v);
  otp::demonitor(r1);
  otp::send(v, term::atom("gone"));
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r2);
  EXPECT_FALSE(mb.receive<otp::down_msg>(0ms).has_value());
}

TEST(DistSignalsCpp, ALinkAcrossNodesCarriesTheReasonBothWays) {
  otp_test::cpp_pair t("sig", "sig_cookie");
  otp::mailbox mb(t.an);
  otp::trap_exit(true);
  const otp::pid v = t.on_b(t.bn.spawn(exits_with_what_it_gets));
  otp::link(v);
  otp::send(v, term::tuple({term::atom("bad"), term(7)}));
  auto ex = mb.receive<otp::exit_msg>(10s);
  ASSERT_TRUE(ex.has_value());
  EXPECT_EQ(ex->from, v);
  EXPECT_EQ(ex->reason.to_string(), "{bad,7}");
}

TEST(DistSignalsCpp, AnExitSignalAcrossNodesKills) {
  otp_test::cpp_pair t("sig", "sig_cookie");
  otp::mailbox mb(t.an);
  const otp::pid v = t.on_b(t.bn.spawn([]() -> otp::proc { co_await otp::receive<int>(); }));
  otp::monitor(v);
  otp::exit(v, otp::exit_reason::kill());
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->reason, otp::exit_reason::killed());
}

TEST(DistSignalsCpp, ALinkToADeadRemotePidIsNoproc) {
  otp_test::cpp_pair t("sig", "sig_cookie");
  otp::mailbox mb(t.an);
  otp::trap_exit(true);
  const otp::pid v = t.on_b(t.bn.spawn(exits_with_what_it_gets));
  otp::monitor(v);
  otp::send(v, term::atom("normal"));
  ASSERT_TRUE(mb.receive<otp::down_msg>(10s).has_value());
  otp::link(v);
  auto ex = mb.receive<otp::exit_msg>(10s);
  ASSERT_TRUE(ex.has_value());
  EXPECT_EQ(ex->reason, otp::exit_reason::noproc());
}

TEST(DistSignalsCpp, DisconnectingFiresNoconnectionOnBothSides) {
  otp_test::cpp_pair t("sig", "sig_cookie");
  otp::mailbox mb(t.an);
  otp::trap_exit(true);
  // A process of b monitors a's mailbox, and reports its DOWN to it (over a
  // new connection); a links to and monitors it.
  const otp::term mb_on_b = otp::to_term(mb.self());
  const otp::pid watcher = t.bn.spawn(
      [](otp::term who) -> otp::proc {
        const otp::pid p = otp::from_term<otp::pid>(who);
        otp::trap_exit(true);  // the link a makes fires too: survive it to report
        otp::monitor(p);
        otp::send(p, term::atom("watching"));
        auto d = co_await otp::receive<otp::down_msg>();
        // The connection is down: this report reconnects to tell a.
        otp::send(p, term::tuple({term::atom("seen"), otp::to_term(d.reason)}));
      },
      mb_on_b);
  auto watching = mb.receive<term>(10s);
  ASSERT_TRUE(watching.has_value());
  const otp::pid w = t.on_b(watcher);
  otp::link(w);
  otp::monitor(w);
  ASSERT_TRUE(t.a.disconnect_node(t.b.name()));
  auto ex = mb.receive<otp::exit_msg>(10s);
  ASSERT_TRUE(ex.has_value());
  EXPECT_EQ(ex->reason, otp::exit_reason::noconnection());
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->reason, otp::exit_reason::noconnection());
  auto seen = mb.receive<term>(10s);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->to_string(), "{seen,noconnection}");
}

}  // namespace

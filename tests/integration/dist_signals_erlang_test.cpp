// Links, monitors and exit signals between C++ and real erl processes:
// term reasons both ways, noproc for a dead target, monitors by name,
// exit/2, unlink, and noconnection when a node goes away.
#include <gtest/gtest.h>

#include <csignal>

#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;

struct erl_and_cpp : otp_test::erl_and_cpp {
  explicit erl_and_cpp(const std::string& tag) : otp_test::erl_and_cpp(tag, "sig_cookie") {}
};

term atom(const char* a) { return term::atom(a); }

/// Exits with `r` once something (the Erlang side's {linked, _} or
/// {monitoring, _}) reaches it: by then the link or monitor is in place.
otp::proc exits_when_told(otp::exit_reason r) {
  co_await otp::receive<term>();
  throw otp::exit_error(r);
}

TEST(DistSignalsErlang, AnErlangLinkGetsTheCppProcessesTermReason) {
  erl_and_cpp t("sl");
  const otp::pid v = t.n.spawn(exits_when_told, otp::exit_reason::shutdown("db_down"));
  t.to_peer({atom("link_to"), otp::to_term(v)});
  EXPECT_EQ(t.erl.line_with("exit ", 10s), "exit {shutdown,db_down}");
}

TEST(DistSignalsErlang, AnErlangMonitorGetsTheRealReasonAndNoprocForTheDead) {
  erl_and_cpp t("sm");
  const otp::pid v = t.n.spawn(exits_when_told, otp::exit_reason::other("boom"));
  t.to_peer({atom("monitor"), otp::to_term(v), otp::to_term(v)});
  EXPECT_EQ(t.erl.line_with("down ", 10s), "down boom");
  // v is dead now (the DOWN said so): a new monitor of it is noproc at once.
  otp::mailbox mb(t.n);
  t.to_peer({atom("monitor"), otp::to_term(v), otp::to_term(mb.self())});
  EXPECT_EQ(t.erl.line_with("down ", 10s), "down noproc");
}

TEST(DistSignalsErlang, AnErlangMonitorByNameOfACppProcess) {
  erl_and_cpp t("sn");
  const otp::pid v = t.n.spawn(exits_when_told, otp::exit_reason::other("bye"));
  t.n.register_name("named_victim", v);
  const term by_name = term::tuple({atom("named_victim"), term::atom(t.k.name())});
  t.to_peer({atom("monitor"), by_name, otp::to_term(v)});
  EXPECT_EQ(t.erl.line_with("down ", 10s), "down bye");
  t.to_peer(
      {atom("monitor"), term::tuple({atom("nobody"), term::atom(t.k.name())}), otp::to_term(v)});
  EXPECT_EQ(t.erl.line_with("down ", 10s), "down noproc");
}

TEST(DistSignalsErlang, ACppMonitorAndLinkGetTheErlangTermReason) {
  erl_and_cpp t("cm");
  otp::mailbox mb(t.n);
  otp::trap_exit(true);
  const otp::pid v = t.erlang_pid(mb, {atom("victim")});
  const otp::ref r = otp::monitor(v);
  otp::link(v);
  const term reason = term::tuple({atom("custom"), term(1), term::binary("x")});
  otp::send(v, term::tuple({atom("die"), reason}));
  auto ex = mb.receive<otp::exit_msg>(10s);
  ASSERT_TRUE(ex.has_value());
  EXPECT_EQ(ex->from, v);
  EXPECT_EQ(otp::to_term(ex->reason), reason);
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r);
  EXPECT_EQ(down->from, v);
  EXPECT_EQ(down->reason.to_string(), "{custom,1,<<120>>}");  // as ~w prints it
  EXPECT_EQ(otp::to_term(down->reason), reason);
}

TEST(DistSignalsErlang, AnErlangLinkFromThereAndItsExitArrive) {
  erl_and_cpp t("el");
  otp::mailbox mb(t.n);
  otp::trap_exit(true);
  t.to_peer({atom("link_back"), otp::to_term(mb.self())});
  auto linked = mb.receive<term>(10s);
  ASSERT_TRUE(linked.has_value());
  const otp::pid w = otp::from_term<otp::pid>(linked->get_if<otp::tuple_value>()->items[1]);
  otp::send(w, term::tuple({atom("die"), atom("bye")}));
  auto ex = mb.receive<otp::exit_msg>(10s);
  ASSERT_TRUE(ex.has_value());
  EXPECT_EQ(ex->from, w);
  EXPECT_EQ(ex->reason.to_string(), "bye");
}

TEST(DistSignalsErlang, ErlangExit2KillsACppProcess) {
  erl_and_cpp t("ex");
  otp::mailbox mb(t.n);
  const otp::pid v = t.n.spawn([]() -> otp::proc { co_await otp::receive<int>(); });
  const otp::ref r = otp::monitor(v);
  t.to_peer({atom("exit2"), otp::to_term(v), atom("kill")});
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r);
  EXPECT_EQ(down->reason, otp::exit_reason::killed());
}

TEST(DistSignalsErlang, AnUnlinkedErlangProcessesDeathIsNotAnExit) {
  erl_and_cpp t("ul");
  otp::mailbox mb(t.n);
  otp::trap_exit(true);
  const otp::pid v = t.erlang_pid(mb, {atom("victim")});
  otp::link(v);
  otp::unlink(v);
  otp::monitor(v);
  otp::send(v, term::tuple({atom("die"), atom("boom")}));
  ASSERT_TRUE(mb.receive<otp::down_msg>(10s).has_value());
  // An EXIT from v would have come before its DOWN (one sender, in order).
  EXPECT_FALSE(mb.receive<otp::exit_msg>(0ms).has_value());
}

TEST(DistSignalsErlang, LinksAndMonitorsFireNoconnectionWhenErlangDies) {
  erl_and_cpp t("nc");
  otp::mailbox mb(t.n);
  otp::trap_exit(true);
  const otp::pid v = t.erlang_pid(mb, {atom("victim")});
  otp::link(v);
  otp::monitor(v);
  // The link and monitor are recorded when sent: the kill may come first.
  t.erl.proc().signal(SIGKILL);
  auto ex = mb.receive<otp::exit_msg>(10s);
  ASSERT_TRUE(ex.has_value());
  EXPECT_EQ(ex->reason, otp::exit_reason::noconnection());
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->reason, otp::exit_reason::noconnection());
}

TEST(DistSignalsErlang, ErlangMonitorsFireNoconnectionWhenTheCppNodeDies) {
  otp_test::private_epmd epmd;
  otp_test::erl_peer erl(epmd, "erl_cd", "sig_cookie");
  otp_test::cpp_node_process cpp(epmd, erl, "cd", "sig_cookie");
  erl.command("monitor_echo " + cpp.node);
  ASSERT_EQ(erl.line_with("monitoring", 10s), "monitoring");
  cpp.proc.signal(SIGKILL);
  EXPECT_EQ(erl.line_with("down ", 10s), "down noconnection");
}

}  // namespace

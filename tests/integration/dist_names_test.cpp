// Processes registered on another node, {Name, Node} (otp::remote_name):
// monitors by name from C++ of Erlang and C++ processes (the real reason,
// noproc, noconnection, demonitor), and gen_server calls and casts by name.
#include <gtest/gtest.h>

#include <csignal>

#include "otp/dist/gen_call.hpp"
#include "otp/dist/net_kernel.hpp"
#include "otp/dist/remote_name.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;

struct names_pair : otp_test::erl_and_cpp {
  explicit names_pair(const std::string& tag) : otp_test::erl_and_cpp(tag, "names_cookie") {}
  /// An Erlang process registered as `name` that exits with R on {die, R}.
  otp::pid named_victim(otp::mailbox& mb, const char* name) {
    return erlang_pid(mb, {term::atom("named_victim"), term::atom(name)});
  }
  otp::remote_name on_erl(const char* name) { return {name, erl.node()}; }
};

TEST(DistNames, ACppMonitorByNameOfAnErlangProcessGetsItsReason) {
  names_pair t("mn");
  otp::mailbox mb(t.n);
  const otp::pid v = t.named_victim(mb, "target");
  const otp::ref r = otp::monitor(t.on_erl("target"));
  // MONITOR_P goes before the message on the one connection: it is in place.
  otp::send(v, term::tuple({term::atom("die"),
                            term::tuple({term::atom("shutdown"), term::atom("maintenance")})}));
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r);
  EXPECT_EQ(down->name, "target");
  EXPECT_EQ(otp::to_term(down->reason).to_string(), "{shutdown,maintenance}");
  // The name is free now: a new monitor is DOWN noproc.
  const otp::ref r2 = otp::monitor(t.on_erl("target"));
  auto gone = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->monitor, r2);
  EXPECT_EQ(gone->reason, otp::exit_reason::noproc());
}

TEST(DistNames, ADemonitoredNameMonitorIsNotReported) {
  names_pair t("md");
  otp::mailbox mb(t.n);
  const otp::pid v = t.named_victim(mb, "quiet");
  const otp::ref r = otp::monitor(t.on_erl("quiet"));
  EXPECT_TRUE(otp::demonitor(r));
  otp::send(v, term::tuple({term::atom("die"), term::atom("boom")}));
  // A monitor by pid made after: its DOWN is the only one to come.
  const otp::ref by_pid = otp::monitor(v);
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, by_pid);
  auto more = mb.receive<otp::down_msg>(200ms);
  EXPECT_FALSE(more.has_value());
}

TEST(DistNames, ANameMonitorFiresNoconnectionWhenTheNodeDiesOrCannotBeReached) {
  names_pair t("mx");
  otp::mailbox mb(t.n);
  t.named_victim(mb, "doomed");
  const otp::ref r = otp::monitor(t.on_erl("doomed"));
  t.erl.proc().signal(SIGKILL);
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r);
  EXPECT_EQ(down->reason, otp::exit_reason::noconnection());
  // A node epmd does not know: noconnection too.
  const otp::ref r2 = otp::monitor(otp::remote_name{"x", "nobody_here@localhost"});
  auto none = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->monitor, r2);
  EXPECT_EQ(none->reason, otp::exit_reason::noconnection());
}

/// Exits with the reason it receives (as a term).
otp::proc names_exits_with_what_it_gets() {
  term t = co_await otp::receive<term>();
  throw otp::exit_error(otp::from_term<otp::exit_reason>(t));
}

TEST(DistNames, ACppMonitorByNameOfAProcessOfAnotherCppNode) {
  otp_test::cpp_pair t("names", "names_cookie");
  const otp::pid v = t.bn.spawn(names_exits_with_what_it_gets);
  t.bn.register_name("worker", v);
  otp::mailbox mb(t.an);
  const otp::ref r = otp::monitor(otp::remote_name{"worker", t.b.name()});
  otp::send(t.on_b(v), otp::to_term(otp::exit_reason::shutdown("done")));
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r);
  EXPECT_EQ(down->name, "worker");
  EXPECT_EQ(down->reason, otp::exit_reason::shutdown("done"));
  // Its own node's name: a local monitor by name.
  otp::monitor(otp::remote_name{"nobody", t.a.name()});
  auto local = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->reason, otp::exit_reason::noproc());
}

TEST(DistNames, GenServerCallsAndCastsByName) {
  names_pair t("gc");
  otp::mailbox mb(t.n);
  t.n.spawn(
      [](otp::remote_name counter, otp::remote_name nobody, otp::pid report) -> otp::proc {
        term added = co_await otp::gen_call(counter, term::tuple({term::atom("add"), term(5)}));
        otp::gen_cast(counter, term::tuple({term::atom("add"), term(1)}));
        term got = co_await otp::gen_call(counter, term::atom("get"));
        term missing;
        try {
          co_await otp::gen_call(nobody, term::atom("get"));
        } catch (const otp::exit_error& e) {
          missing = otp::to_term(e.reason());
        }
        otp::send(report, term::tuple({added, got, missing}));
      },
      t.on_erl("counter"), t.on_erl("nobody"), mb.self());
  auto r = mb.receive<term>(15s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->to_string(), "{ok,6,noproc}");
  // {Name, node()}: this node's own registered process.
  t.n.register_name("here", t.n.spawn([]() -> otp::proc {
    term m = co_await otp::receive<term>();
    if (auto c = otp::as_gen_call(m)) otp::reply(*c, term::atom("local"));
  }));
  t.n.spawn(
      [](otp::remote_name here, otp::pid report) -> otp::proc {
        otp::send(report, co_await otp::gen_call(here, term::atom("where")));
      },
      otp::remote_name{"here", t.k.name()}, mb.self());
  auto local = mb.receive<term>(10s);
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->to_string(), "local");
}

}  // namespace

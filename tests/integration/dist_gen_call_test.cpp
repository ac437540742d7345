// gen_server calls and casts between C++ and real erl processes in OTP 25's
// wire format: Erlang calls and casts a C++ server; C++ calls and casts an
// Erlang gen_server; timeouts, late replies dropped on both sides, a
// server that stops, a dead server, a node that dies mid-call.
#include <gtest/gtest.h>

#include <csignal>

#include "otp/dist/gen_call.hpp"
#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;

struct call_pair : otp_test::erl_and_cpp {
  explicit call_pair(const std::string& tag) : otp_test::erl_and_cpp(tag, "call_cookie") {}
  /// The pid of the Erlang process registered as `name` on the peer.
  otp::pid erlang_pid(otp::mailbox& mb, const char* name) {
    return otp_test::erl_and_cpp::erlang_pid(mb, {term::atom("whereis"), term::atom(name)});
  }
};

/// A C++ server for Erlang's gen_server:call/cast: `get` answers the sum of
/// the casts so far, `slow` answers only when `release` is cast, any other
/// request is answered {got, Request}.
otp::proc cpp_server() {
  std::int64_t sum = 0;
  std::vector<otp::remote_call> waiting;
  for (;;) {
    term m = co_await otp::receive<term>();
    if (auto c = otp::as_gen_call(m)) {
      if (c->request.is_atom("get"))
        otp::reply(*c, term(sum));
      else if (c->request.is_atom("slow"))
        waiting.push_back(*c);
      else
        otp::reply(*c, term::tuple({term::atom("got"), c->request}));
    } else if (auto r = otp::as_gen_cast(m)) {
      if (r->is_atom("release")) {
        for (const auto& w : waiting) otp::reply(w, term::atom("late"));
        waiting.clear();
      } else {
        ++sum;
      }
    }
  }
}

TEST(DistGenCall, ErlangCallsAndCastsACppServer) {
  call_pair t("ec");
  t.n.register_name("cpp_server", t.n.spawn(cpp_server));
  t.erl.command("call cpp_server " + t.k.name() + " hello");
  EXPECT_EQ(t.erl.line_with("reply ", 10s), "reply {got,hello}");
  t.erl.command("cast cpp_server " + t.k.name() + " one");
  t.erl.command("cast cpp_server " + t.k.name() + " two");
  t.erl.command("call cpp_server " + t.k.name() + " get");
  EXPECT_EQ(t.erl.line_with("reply ", 10s), "reply 2");
  t.erl.command("call cpp_server " + t.k.name() + " nobody_there_is_fine");
  EXPECT_EQ(t.erl.line_with("reply ", 10s), "reply {got,nobody_there_is_fine}");
}

TEST(DistGenCall, AnErlangCallTimesOutAndItsLateReplyIsDropped) {
  call_pair t("et");
  t.n.register_name("cpp_server", t.n.spawn(cpp_server));
  t.erl.command("call_timeout cpp_server " + t.k.name() + " slow");
  EXPECT_EQ(t.erl.line_with("call_exit ", 10s), "call_exit timeout");
  t.erl.command("cast cpp_server " + t.k.name() + " release");  // the late reply goes now
  t.erl.command("call cpp_server " + t.k.name() + " get");      // answered after it
  EXPECT_EQ(t.erl.line_with("reply ", 10s), "reply 0");
  t.erl.command("mailbox");
  EXPECT_EQ(t.erl.line_with("mailbox ", 10s), "mailbox []");
  t.erl.command("call nobody " + t.k.name() + " x");
  EXPECT_EQ(t.erl.line_with("call_exit ", 10s), "call_exit noproc");
}

TEST(DistGenCall, CppCallsAndCastsAnErlangGenServer) {
  call_pair t("cc");
  otp::mailbox mb(t.n);
  const otp::pid counter = t.erlang_pid(mb, "counter");
  t.n.spawn(
      [](otp::pid server, otp::pid report) -> otp::proc {
        term added = co_await otp::gen_call(server, term::tuple({term::atom("add"), term(5)}));
        otp::gen_cast(server, term::tuple({term::atom("add"), term(1)}));
        term got = co_await otp::gen_call(server, term::atom("get"));
        otp::send(report, term::tuple({added, got}));
      },
      counter, mb.self());
  auto r = mb.receive<term>(10s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->to_string(), "{ok,6}");
}

/// Runs gen_call(server, request, t) in a process and reports its answer,
/// or {exit, Reason}, and then what else reached its mailbox, to `report`.
otp::proc call_and_report(otp::pid server, term request, std::chrono::milliseconds t,
                          otp::pid report, otp::pid release) {
  term outcome;
  try {
    outcome = co_await otp::gen_call(server, request, t);
  } catch (const otp::exit_error& e) {
    outcome = term::tuple({term::atom("exit"), otp::to_term(e.reason())});
  }
  if (!release.is_null()) {
    otp::gen_cast(release, term::atom("release"));       // the late reply is sent now...
    co_await otp::gen_call(release, term::atom("get"));  // ...and arrives before this one
  }
  auto stray = co_await otp::receive<term>(otp::timeout(0ms));
  otp::send(report, term::tuple({outcome, stray ? *stray : term::atom("none")}));
}

TEST(DistGenCall, ACppCallTimesOutAndItsLateReplyIsDropped) {
  call_pair t("ct");
  otp::mailbox mb(t.n);
  const otp::pid counter = t.erlang_pid(mb, "counter");
  t.n.spawn(call_and_report, counter, term::atom("slow"), 100ms, mb.self(), counter);
  auto r = mb.receive<term>(10s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->to_string(), "{{exit,timeout},none}");
}

TEST(DistGenCall, ACppCallToAServerThatStopsOrIsGoneExits) {
  call_pair t("cs");
  otp::mailbox mb(t.n);
  const otp::pid counter = t.erlang_pid(mb, "counter");
  const term stop = term::tuple({term::atom("stop"), term::atom("bye")});
  t.n.spawn(call_and_report, counter, stop, 5000ms, mb.self(), otp::pid());
  auto r = mb.receive<term>(10s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->to_string(), "{{exit,bye},none}");
  t.n.spawn(call_and_report, counter, term::atom("get"), 5000ms, mb.self(), otp::pid());
  auto again = mb.receive<term>(10s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->to_string(), "{{exit,noproc},none}");
}

TEST(DistGenCall, ACppCallToANodeThatDiesExitsWithNodedown) {
  call_pair t("cn");
  otp::mailbox mb(t.n);
  const otp::pid counter = t.erlang_pid(mb, "counter");
  t.n.spawn(call_and_report, counter, term::atom("slow"), 30000ms, mb.self(), otp::pid());
  t.erl.proc().signal(SIGKILL);
  auto r = mb.receive<term>(10s);
  ASSERT_TRUE(r.has_value());
  // gen:do_call's form: {nodedown, Node}.
  EXPECT_EQ(r->to_string(), "{{exit,{nodedown," + t.erl.node() + "}},none}");
}

}  // namespace

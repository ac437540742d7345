// Spawning across nodes (SPAWN_REQUEST/SPAWN_REPLY): a C++ process spawns a
// registered function on another C++ node and an Erlang function on erl,
// with a monitor or a link set up before the child runs; erl spawns a C++
// function; an unknown function exits undef; an unreachable node is
// noconnection.
#include <gtest/gtest.h>

#include "otp/dist/net_kernel.hpp"
#include "otp/dist/remote_spawn.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;

/// args [Report, X]: tells Report {spawned, X, self()}, then exits with the
/// reason it receives (a term).
otp::task<void> spawned_report(term args) {
  const auto& items = args.get_if<otp::list_value>()->items;
  otp::send(otp::from_term<otp::pid>(items[0]),
            term::tuple({term::atom("spawned"), items[1], otp::to_term(otp::self())}));
  term reason = co_await otp::receive<term>();
  throw otp::exit_error(otp::from_term<otp::exit_reason>(reason));
}

/// args [Reason]: exits with it at once.
otp::task<void> exits_at_once(term args) {
  throw otp::exit_error(otp::from_term<otp::exit_reason>(args.get_if<otp::list_value>()->items[0]));
  co_return;
}

/// Runs spawn_remote in a process of `n` and sends {ok, Child, MonitorRef}
/// or {exit, Reason} to `report`.
void spawn_from(otp::node& n, otp::pid report, std::string node, std::string module,
                std::string function, std::vector<term> args, otp::remote_spawn_options o) {
  n.spawn(
      [](otp::pid report, std::string node, std::string m, std::string f, std::vector<term> args,
         otp::remote_spawn_options o) -> otp::proc {
        term out;
        try {
          const otp::remote_spawned s = co_await otp::spawn_remote(node, m, f, args, o);
          out = term::tuple({term::atom("ok"), otp::to_term(s.child),
                             s.monitor.is_null() ? term::atom("none") : otp::to_term(s.monitor)});
        } catch (const otp::exit_error& e) {
          out = term::tuple({term::atom("exit"), otp::to_term(e.reason())});
        }
        otp::send(report, out);
        if (o.link) co_await otp::receive<otp::exit_msg>();  // trapping: stays for the report
      },
      report, std::move(node), std::move(module), std::move(function), std::move(args), o);
}

/// The spawner's {ok, Child, Monitor} and the child's {spawned, ...}, which
/// reach `mb` in either order: {ok, ...} first.
std::pair<term, term> ok_and_spawned(otp::mailbox& mb) {
  auto first = mb.receive<term>(10s);
  auto second = mb.receive<term>(10s);
  if (!first || !second) return {term::atom("none"), term::atom("none")};
  if (first->get_if<otp::tuple_value>()->items[0].is_atom("spawned")) std::swap(first, second);
  return {*first, *second};
}

TEST(DistSpawn, ACppNodeSpawnsARegisteredFunctionOnAnother) {
  otp_test::cpp_pair t("spawn", "spawn_cookie");
  t.b.register_spawnable("t", "report", spawned_report);
  otp::mailbox mb(t.an);
  spawn_from(t.an, mb.self(), t.b.name(), "t", "report", {otp::to_term(mb.self()), term(7)},
             {.link = false, .monitor = true});
  const auto [started, hello] = ok_and_spawned(mb);
  const auto* ok = started.get_if<otp::tuple_value>();
  ASSERT_TRUE(ok != nullptr && ok->items[0].is_atom("ok")) << started.to_string();
  const otp::pid child = otp::from_term<otp::pid>(ok->items[1]);
  EXPECT_EQ(hello.to_string(), "{spawned,7," + otp::to_term(child).to_string() + "}");
  // A monitor ref came back (its DOWN is the next test's subject).
  EXPECT_TRUE(ok->items[2].is<otp::ext_ref>()) << started.to_string();
  otp::send(child, otp::to_term(otp::exit_reason::normal()));
}

/// In a process that traps exits: spawn_remote(node, t, quick/report, ...)
/// with a monitor and a link, then reports the DOWN and EXIT reasons.
otp::proc spawn_and_watch(std::string node, std::string f, std::vector<term> args,
                          otp::pid report) {
  otp::trap_exit(true);
  const otp::remote_spawned s =
      co_await otp::spawn_remote(node, "t", f, std::move(args), {.link = true, .monitor = true});
  auto down = co_await otp::receive<otp::down_msg>();
  auto exit = co_await otp::receive<otp::exit_msg>();
  otp::send(report,
            term::tuple({term::boolean(down.monitor == s.monitor), otp::to_term(down.reason),
                         term::boolean(exit.from == s.child), otp::to_term(exit.reason)}));
}

TEST(DistSpawn, AChildThatEndsAtOnceGivesItsMonitorAndLinkItsRealReason) {
  otp_test::cpp_pair t("spawnq", "spawn_cookie");
  t.b.register_spawnable("t", "quick", exits_at_once);
  otp::mailbox mb(t.an);
  t.an.spawn(spawn_and_watch, t.b.name(), std::string("quick"),
             std::vector<term>{otp::to_term(otp::exit_reason::shutdown("quick"))}, mb.self());
  auto r = mb.receive<term>(10s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->to_string(), "{true,{shutdown,quick},true,{shutdown,quick}}");
  // A function the node does not have: the child exits undef.
  t.an.spawn(spawn_and_watch, t.b.name(), std::string("missing"), std::vector<term>{term(1)},
             mb.self());
  auto u = mb.receive<term>(10s);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->to_string(),
            "{true,{undef,[{t,missing,[1],[]}]},true,{undef,[{t,missing,[1],[]}]}}");
  // On the caller's own node: the same guarantees, without the wire.
  t.a.register_spawnable("t", "quick", exits_at_once);
  t.an.spawn(spawn_and_watch, t.a.name(), std::string("quick"),
             std::vector<term>{otp::to_term(otp::exit_reason::shutdown("here"))}, mb.self());
  auto h = mb.receive<term>(10s);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->to_string(), "{true,{shutdown,here},true,{shutdown,here}}");
}

TEST(DistSpawn, CppSpawnsAnErlangFunctionAndErlangSpawnsACppOne) {
  otp_test::erl_and_cpp t("sp", "spawn_cookie");
  otp::mailbox mb(t.n);
  spawn_from(t.n, mb.self(), t.erl.node(), "dist_peer", "spawned_report",
             {otp::to_term(mb.self()), term(5)}, {.link = false, .monitor = false});
  const auto [started, hello] = ok_and_spawned(mb);
  ASSERT_TRUE(started.get_if<otp::tuple_value>() != nullptr &&
              started.get_if<otp::tuple_value>()->items[0].is_atom("ok"))
      << started.to_string();
  const auto& h = hello.get_if<otp::tuple_value>()->items;
  EXPECT_EQ(h[1], term(5));
  const otp::pid child = otp::from_term<otp::pid>(h[2]);
  const otp::ref r = otp::monitor(child);
  otp::send(child, term::tuple({term::atom("die"), term::atom("boom")}));
  auto down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, r);
  EXPECT_EQ(otp::to_term(down->reason).to_string(), "boom");
  // A BEAM child that prints is answered by this node's io server (its
  // group leader): it ends normally instead of waiting forever.
  std::vector<term> text;
  for (char ch : std::string("hello from beam~n")) text.push_back(term(std::int64_t{ch}));
  spawn_from(t.n, mb.self(), t.erl.node(), "io", "format", {term::list(text)},
             {.link = false, .monitor = false});
  auto printed = mb.receive<term>(10s);
  ASSERT_TRUE(printed.has_value());
  const auto* p = printed->get_if<otp::tuple_value>();
  ASSERT_TRUE(p != nullptr && p->items[0].is_atom("ok")) << printed->to_string();
  const otp::ref printer = otp::monitor(otp::from_term<otp::pid>(p->items[1]));
  auto printer_down = mb.receive<otp::down_msg>(10s);
  ASSERT_TRUE(printer_down.has_value());
  EXPECT_EQ(printer_down->monitor, printer);
  EXPECT_TRUE(printer_down->reason.is_normal() ||
              printer_down->reason == otp::exit_reason::noproc())  // it may be over already
      << printer_down->reason.to_string();
  // erl spawns a C++ function with spawn_monitor/4.
  t.k.register_spawnable("t", "quick", exits_at_once);
  t.erl.command("spawn_monitor " + t.k.name() + " t quick bye");
  EXPECT_EQ(t.erl.line_with("down ", 10s), "down bye");
}

TEST(DistSpawn, ASpawnOnANodeThatCannotBeReachedIsNoconnection) {
  otp_test::cpp_pair t("spawnn", "spawn_cookie");
  otp::mailbox mb(t.an);
  spawn_from(t.an, mb.self(), "nobody_here@localhost", "t", "report", {},
             {.link = false, .monitor = true});
  auto r = mb.receive<term>(10s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->to_string(), "{exit,noconnection}");
}

}  // namespace

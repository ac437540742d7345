// Two C++ nodes in one program speaking the distribution protocol to each
// other through a private epmd: sends by name and by pid, order, both nodes
// connecting at once, node monitoring, and start-up errors.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;

otp::net_kernel_options options_for(const otp_test::private_epmd& epmd, std::string name) {
  otp::net_kernel_options o;
  o.name = std::move(name);
  o.cookie = "cpp_cookie";
  o.epmd_port = epmd.port();
  return o;
}

/// {From, X} -> From ! {self(), X}
otp::proc pid_echo() {
  for (;;) {
    term t = co_await otp::receive<term>();
    const auto& items = t.get_if<otp::tuple_value>()->items;
    otp::send(otp::from_term<otp::pid>(items[0]),
              term::tuple({otp::to_term(otp::self()), items[1]}));
  }
}

struct two_nodes {
  otp_test::private_epmd epmd;
  otp::node a_node, b_node;
  otp::net_kernel a{a_node, options_for(epmd, "cpp_one")};
  otp::net_kernel b{b_node, options_for(epmd, "cpp_two")};
};

TEST(DistCpp, SendsByNameThenByTheRemotePid) {
  two_nodes t;
  const otp::pid echo = t.b_node.spawn(pid_echo);
  t.b_node.register_name("echo", echo);
  otp::mailbox mb(t.a_node);
  t.a.send("echo", t.b.name(), std::make_tuple(mb.self(), 1));
  auto r1 = mb.receive<term>(10s);
  ASSERT_TRUE(r1.has_value());
  const auto& items = r1->get_if<otp::tuple_value>()->items;
  const otp::pid remote = otp::from_term<otp::pid>(items[0]);
  EXPECT_EQ(items[1], term(1));
  EXPECT_NE(remote.node(), t.a_node.id());
  EXPECT_EQ(remote.slot(), echo.slot());
  EXPECT_EQ(remote.serial(), echo.serial());
  // A pid of the other node works with the node's own send.
  t.a_node.send(remote, otp::to_term(std::make_tuple(mb.self(), std::string("two"))));
  auto r2 = mb.receive<term>(10s);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->get_if<otp::tuple_value>()->items[1], term::binary("two"));
  EXPECT_EQ(t.a.nodes(), std::vector<std::string>{t.b.name()});
  EXPECT_EQ(t.b.nodes(), std::vector<std::string>{t.a.name()});
}

TEST(DistCpp, MessagesFromOneProcessArriveInOrder) {
  two_nodes t;
  otp::mailbox mb(t.b_node);
  const otp::term to = otp::to_term(mb.self());
  constexpr int kCount = 20000;
  t.a_node.spawn(
      [](otp::pid dest) -> otp::proc {
        for (int i = 0; i < kCount; ++i) otp::send(dest, term(i));
        co_return;
      },
      otp::from_term<otp::pid>(to));
  for (int i = 0; i < kCount; ++i) {
    auto m = mb.receive<term>(10s);
    ASSERT_TRUE(m.has_value()) << i;
    ASSERT_EQ(*m, term(i));
  }
}

TEST(DistCpp, BothNodesConnectingAtOnceEndWithOneConnection) {
  for (int round = 0; round < 5; ++round) {
    two_nodes t;
    std::barrier go(2);
    constexpr int kCount = 200;
    auto run = [&](otp::node& mine, otp::net_kernel& k, const std::string& other) {
      otp::mailbox mb(mine);
      mine.register_name("sink", mb.self());
      go.arrive_and_wait();
      for (int i = 0; i < kCount; ++i) k.send("sink", other, i);
      for (int i = 0; i < kCount; ++i) {
        auto m = mb.receive<term>(10s);
        ASSERT_TRUE(m.has_value()) << round << " " << i;
        ASSERT_EQ(*m, term(i));
      }
      go.arrive_and_wait();  // neither mailbox goes before both are done
    };
    std::thread other([&] { run(t.b_node, t.b, t.a.name()); });
    run(t.a_node, t.a, t.b.name());
    other.join();
    EXPECT_EQ(t.a.nodes(), std::vector<std::string>{t.b.name()});
    EXPECT_EQ(t.b.nodes(), std::vector<std::string>{t.a.name()});
  }
}

TEST(DistCpp, MonitorNodesSeesUpAndDownWithTheReason) {
  two_nodes t;
  otp::mailbox mb(t.a_node);
  t.a.monitor_nodes(mb.self(), true);
  ASSERT_TRUE(t.a.connect_node(t.b.name()));
  auto up = mb.receive<otp::nodeup_msg>(10s);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->node, t.b.name());
  EXPECT_TRUE(up->hidden);
  ASSERT_TRUE(t.b.connect_node(t.a.name()));  // b has installed its side too
  EXPECT_TRUE(t.b.disconnect_node(t.a.name()));
  auto down = mb.receive<otp::nodedown_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->node, t.b.name());
  EXPECT_EQ(down->reason, "connection_closed");
  EXPECT_FALSE(t.b.disconnect_node(t.a.name()));
}

TEST(DistCpp, MonitoringANodeThatDoesNotExistIsANodedown) {
  otp_test::private_epmd epmd;
  otp::node n;
  otp::net_kernel k(n, options_for(epmd, "cpp_alone"));
  otp::mailbox mb(n);
  k.monitor_node(mb.self(), "nobody@" + k.name().substr(k.name().find('@') + 1), true);
  auto down = mb.receive<otp::nodedown_msg>(10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->reason, "connection_setup_failed");
  EXPECT_FALSE(k.connect_node("nobody@nohost.invalid"));
}

TEST(DistCpp, StartingFailsClearly) {
  otp_test::private_epmd epmd;
  otp::node n;
  otp::net_kernel k(n, options_for(epmd, "cpp_taken"));
  otp::node m;
  EXPECT_THROW(otp::net_kernel(m, options_for(epmd, "cpp_taken")), otp::dist_error);
  EXPECT_THROW(otp::net_kernel(n, options_for(epmd, "cpp_second")), otp::dist_error);
  EXPECT_THROW(otp::net_kernel(m, options_for(epmd, "bad name")), otp::dist_error);
  EXPECT_THROW(otp::net_kernel(m, options_for(epmd, "x@host.with.dots")), otp::dist_error);
  auto no_epmd = options_for(epmd, "cpp_lost");
  no_epmd.epmd_port = otp_test::free_port();
  EXPECT_THROW(otp::net_kernel(m, no_epmd), otp::dist_error);
  // The first node's distribution is untouched by the failures.
  otp::net_kernel later(m, options_for(epmd, "cpp_later"));
  EXPECT_TRUE(later.connect_node(k.name()));
}

}  // namespace

namespace {

TEST(DistCpp, ANodeWhoseSchedulersAreAllHeldStillReadsItsSockets) {
  // Rule: the scheduler threads read the sockets, but when a process holds
  // every one without yielding, the I/O thread reads them itself.
  std::atomic<bool> holding{false};  // outlive the node, whose process reads them
  std::atomic<bool> release{false};
  otp_test::private_epmd epmd;
  otp::node held_node({.schedulers = 1});
  otp::node other_node;
  auto held_options = options_for(epmd, "cpp_held");
  held_options.ticktime = 1s;  // the I/O thread's round: 125 ms
  otp::net_kernel held(held_node, held_options);
  otp::net_kernel other(other_node, options_for(epmd, "cpp_other"));
  ASSERT_TRUE(other.connect_node(held.name()));
  otp::mailbox on_held(held_node);  // a thread's mailbox: needs no scheduler
  held_node.spawn([&]() -> otp::proc {
    holding.store(true);
    while (!release.load()) std::this_thread::yield();
    co_return;
  });
  while (!holding.load()) std::this_thread::yield();
  const otp::pid to = otp::from_term<otp::pid>(otp::to_term(on_held.self()));
  other_node.send(to, term(42));
  const auto got = on_held.receive<term>(5s);
  release.store(true);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, term(42));
}

}  // namespace

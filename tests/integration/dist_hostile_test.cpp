// A C++ node under hostile peers: bytes that are not the protocol before
// and after the handshake, bad and oversized frames, a peer that stops
// halfway or never speaks, a peer without the cookie. Each costs only its
// own connection, with one log line; the node and its other connections go on.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <random>

#include "dist/epmd.hpp"
#include "dist/handshake.hpp"
#include "dist/node_table.hpp"
#include "dist/socket.hpp"
#include "otp/dist/etf.hpp"
#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "support/captured_log.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;
using otp::term;
namespace dd = otp::dist_detail;

otp::net_kernel_options hostile_options(const otp_test::private_epmd& epmd, std::string name) {
  otp::net_kernel_options o;
  o.name = std::move(name);
  o.cookie = "guarded";
  o.epmd_port = epmd.port();
  o.setup_time = 1000ms;
  o.max_frame_bytes = 1 << 20;
  return o;
}

dd::deadline soon() { return std::chrono::steady_clock::now() + 5s; }

/// True when the node closes `fd` within 5 s (whatever it sent before).
bool closed_by_node(int fd) {
  const auto until = soon();
  char buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return true;
  }
  return false;
}

/// A peer that completes the handshake as `evil@host`, then writes as told.
dd::fd_handle handshaken(const otp_test::private_epmd&, const otp::net_kernel& k,
                         const std::string& cookie = "guarded") {
  const std::string host = k.name().substr(k.name().find('@') + 1);
  dd::handshake_self self{"evil@" + host, 77, cookie, dd::kOurFlags};
  // lost_race: the node connects to evil (to answer a signal) until epmd says no.
  for (const auto deadline = soon();;) {
    dd::fd_handle fd = dd::connect_tcp(host, k.port(), deadline);
    try {
      (void)dd::handshake_connect(fd.get(), self, k.name(), deadline, [] { return true; });
      return fd;
    } catch (const dd::lost_race&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
  }
}

void write_frame(int fd, std::vector<std::uint8_t> body) {
  std::vector<std::uint8_t> f;
  dd::put_u32(f, static_cast<std::uint32_t>(body.size()));
  f.insert(f.end(), body.begin(), body.end());
  dd::write_all(fd, f, soon());
}

class DistHostile : public otp_test::captured_log {
 protected:
  /// The node under attack still serves a well-behaved peer.
  void expect_still_serving() {
    otp::node other;
    otp::net_kernel k2(other, hostile_options(epmd, "well_behaved"));
    otp::mailbox mb(other);
    node.register_name("victim_echo", node.spawn([]() -> otp::proc {
      term t = co_await otp::receive<term>();
      otp::send(otp::from_term<otp::pid>(t), term::atom("alive"));
    }));
    k2.send("victim_echo", k.name(), mb.self());
    auto r = mb.receive<term>(10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->to_string(), "alive");
  }

  otp_test::private_epmd epmd;
  otp::node node;
  otp::net_kernel k{node, hostile_options(epmd, "victim")};
};

TEST_F(DistHostile, BytesThatAreNotAHandshakeCloseTheConnection) {
  const std::string host = k.name().substr(k.name().find('@') + 1);
  dd::fd_handle fd = dd::connect_tcp(host, k.port(), soon());
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  dd::write_all(fd.get(), {reinterpret_cast<const std::uint8_t*>(http.data()), http.size()},
                soon());
  EXPECT_TRUE(closed_by_node(fd.get()));
  expect_still_serving();
}

TEST_F(DistHostile, APeerThatNeverSpeaksIsDroppedAfterTheSetupTime) {
  const std::string host = k.name().substr(k.name().find('@') + 1);
  dd::fd_handle fd = dd::connect_tcp(host, k.port(), soon());
  EXPECT_TRUE(closed_by_node(fd.get()));
  expect_still_serving();
}

TEST_F(DistHostile, AWrongCookieFailsTheHandshake) {
  EXPECT_THROW(handshaken(epmd, k, "not_the_cookie"), dd::setup_error);
  EXPECT_EQ(with_message("does not have this node's cookie").size(), 1u);
  EXPECT_TRUE(k.nodes().empty());
}

TEST_F(DistHostile, BadFramesDropOnlyTheirConnectionWithOneLogLine) {
  const std::vector<std::vector<std::uint8_t>> bad = {
      {'x', 'y', 'z'},                      // not a pass-through frame
      {'p', 131, 104, 5},                   // a tuple of 5 with no elements
      {'p', 131, 100, 0, 2, 'o', 'k'},      // a control message that is an atom
      {'p', 131, 104, 1, 97, 2},            // SEND without its fields or message
      {'p', 131, 104, 3, 97, 2, 106, 100},  // a truncated atom
  };
  for (const auto& frame : bad) {
    dd::fd_handle fd = handshaken(epmd, k);
    write_frame(fd.get(), frame);
    EXPECT_TRUE(closed_by_node(fd.get()));
  }
  EXPECT_EQ(with_message("sent a bad frame").size(), bad.size());
  EXPECT_TRUE(k.nodes().empty());
  expect_still_serving();
}

TEST_F(DistHostile, AnOversizedFrameIsRefusedBeforeItsBody) {
  dd::fd_handle fd = handshaken(epmd, k);
  std::vector<std::uint8_t> len;
  dd::put_u32(len, 0x7fffffff);
  dd::write_all(fd.get(), len, soon());
  EXPECT_TRUE(closed_by_node(fd.get()));
  EXPECT_EQ(with_message("sent a frame of 2147483647 bytes").size(), 1u);
  expect_still_serving();
}

TEST_F(DistHostile, APeerThatStopsHalfwayThroughAFrameIsANodedown) {
  {
    otp::mailbox mb(node);
    k.monitor_nodes(mb.self(), true);
    {
      dd::fd_handle fd = handshaken(epmd, k);
      ASSERT_TRUE(mb.receive<otp::nodeup_msg>(10s).has_value());
      std::vector<std::uint8_t> half;
      dd::put_u32(half, 100);
      half.insert(half.end(), 10, 'p');
      dd::write_all(fd.get(), half, soon());
    }
    auto down = mb.receive<otp::nodedown_msg>(10s);
    ASSERT_TRUE(down.has_value());
    EXPECT_EQ(down->reason, "connection_closed");
  }
  expect_still_serving();
}

TEST_F(DistHostile, AMessageToAPidOfAnotherIncarnationIsDropped) {
  dd::fd_handle fd = handshaken(epmd, k);
  otp::mailbox mb(node);
  // A pid naming this node with another creation: an earlier incarnation.
  const term stale(otp::ext_pid{k.name(), mb.self().slot(), mb.self().serial(), k.creation() + 1});
  const term control = term::tuple({term(2), term::atom(""), stale});
  std::vector<std::uint8_t> frame{'p'};
  for (const term& t : {control, term::atom("stale")}) {
    auto b = otp::term_to_binary(t);
    frame.insert(frame.end(), b.begin(), b.end());
  }
  write_frame(fd.get(), frame);
  const term live = term::tuple({term(2), term::atom(""), otp::to_term(mb.self())});
  frame = {'p'};
  for (const term& t : {live, term::atom("fresh")}) {
    auto b = otp::term_to_binary(t);
    frame.insert(frame.end(), b.begin(), b.end());
  }
  write_frame(fd.get(), frame);
  auto m = mb.receive<term>(10s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->to_string(), "fresh");  // the stale one never arrived
}

TEST_F(DistHostile, PidsOfEndlessNodesDoNotGrowTheNodeTable) {
  dd::fd_handle fd = handshaken(epmd, k);
  otp::mailbox mb(node);
  auto send_to = [&](const term& to, const term& msg) {
    std::vector<std::uint8_t> frame{'p'};
    for (const term& t : {term::tuple({term(2), term::atom(""), to}), msg}) {
      auto b = otp::term_to_binary(t);
      frame.insert(frame.end(), b.begin(), b.end());
    }
    write_frame(fd.get(), frame);
  };
  // Once a message went through, the peer's own incarnation is in the table.
  send_to(otp::to_term(mb.self()), term::atom("first"));
  ASSERT_TRUE(mb.receive<term>(10s).has_value());
  const std::size_t before = dd::node_incarnations();
  for (int i = 0; i < 2000; ++i)  // sends to pids of 2000 nodes that do not exist
    send_to(term(otp::ext_pid{"ghost" + std::to_string(i) + "@nowhere", 1, 0, 1}), term(i));
  send_to(otp::to_term(mb.self()), term::atom("done"));  // arrives after all of them
  auto m = mb.receive<term>(10s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->to_string(), "done");
  EXPECT_EQ(dd::node_incarnations(), before);
}

TEST_F(DistHostile, AMessageThatIsNotATermIsDroppedWithOneLogLinePerType) {
  struct not_a_term {
    int x;
  };
  otp::node other;
  otp::net_kernel k2(other, hostile_options(epmd, "receiver"));
  otp::mailbox mb(other);
  const otp::pid remote = otp::from_term<otp::pid>(otp::to_term(mb.self()));
  node.send(remote, not_a_term{1});
  node.send(remote, not_a_term{2});
  node.send(remote, term::atom("as_a_term"));
  auto m = mb.receive<term>(10s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->to_string(), "as_a_term");
  EXPECT_EQ(with_message("only otp::term goes over the wire").size(), 1u);
}

TEST_F(DistHostile, RandomControlMessagesAndMutatedFramesNeverHurtTheNode) {
  // Seeded mutations of every control message the node takes (spawn
  // requests and replies included), with fields of the wrong kind, pids of
  // this node, of the peer and of nobody, and random bytes flipped; each
  // connection sends a few and then goes away.
  std::mt19937 rng(20261205);
  // The victim survives what peers send it (exits trapped), and ends when
  // the node shuts down.
  const otp::pid victim = node.spawn([]() -> otp::proc {
    otp::trap_exit(true);
    for (bool stop = false; !stop;)
      co_await otp::receive([&](const otp::exit_msg& m) { stop = m.reason.is_shutdown(); },
                            [](const otp::any_message&) {});
  });
  node.register_name("victim", victim);
  const std::string host = k.name().substr(k.name().find('@') + 1);
  const std::vector<term> fields = {
      otp::to_term(victim),
      term(otp::ext_pid{"evil@" + host, 5, 0, 77}),
      term(otp::ext_pid{"third@elsewhere", 1, 1, 1}),
      term::atom("victim"),
      term::atom("nobody"),
      term(otp::ext_ref{"evil@" + host, {1, 2, 3}, 77}),
      otp::to_term(otp::exit_reason::kill()),
      term(-1),
      term::binary("x"),
      term::tuple({}),
  };
  const std::vector<std::int64_t> ops = {1, 2, 3, 6, 8, 19, 20, 21, 22, 29, 31, 33, 35, 36, 99};
  // Well-formed SPAWN_REQUEST and SPAWN_REPLY shapes, one field then swapped.
  const term evil = fields[1];
  const term req = fields[5];
  const std::vector<std::vector<term>> shapes = {
      {term(29), req, evil, evil, term::tuple({term::atom("m"), term::atom("f"), term(0)}),
       term::list({term::atom("link"), term::atom("monitor")})},
      {term(31), req, otp::to_term(victim), term(3), evil},
  };
  for (int conn = 0; conn < 40; ++conn) {
    dd::fd_handle fd = handshaken(epmd, k);
    for (int f = 0; f < 5; ++f) {
      std::vector<term> control{term(ops[rng() % ops.size()])};
      if (rng() % 4 == 0) {
        control = shapes[rng() % shapes.size()];
        control[1 + rng() % (control.size() - 1)] = fields[rng() % fields.size()];
      }
      for (int i = control.size() == 1 ? rng() % 6 : 0; i > 0; --i)
        control.push_back(fields[rng() % fields.size()]);
      std::vector<std::uint8_t> frame{'p'};
      auto c = otp::term_to_binary(term::tuple(control));
      frame.insert(frame.end(), c.begin(), c.end());
      if (rng() % 2 == 0) {  // a payload: a field, or an argument list
        auto m = otp::term_to_binary(rng() % 2 == 0 ? fields[rng() % fields.size()]
                                                    : term::list({term(1)}));
        frame.insert(frame.end(), m.begin(), m.end());
      }
      if (rng() % 3 == 0) frame[rng() % frame.size()] = static_cast<std::uint8_t>(rng());
      try {
        write_frame(fd.get(), frame);
      } catch (const dd::setup_error&) {
        break;  // the node closed this connection on an earlier frame
      }
    }
  }
  EXPECT_FALSE(with_message("sent a bad frame").empty());  // the refusals were exercised
  expect_still_serving();
}

}  // namespace

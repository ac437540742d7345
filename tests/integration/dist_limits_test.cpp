// A C++ node out of file descriptors (its own OS process, under prlimit):
// connections it cannot accept wait in the listen queue while the node
// rests instead of spinning, and once descriptors free up it accepts again.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "dist/epmd.hpp"
#include "dist/node_table.hpp"
#include "dist/socket.hpp"
#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "support/dist_nodes.hpp"

namespace {

using namespace std::chrono_literals;

/// User plus system CPU time of process `id`, in clock ticks.
long cpu_ticks(pid_t id) {
  std::ifstream f("/proc/" + std::to_string(id) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream rest(all.substr(all.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 3.. after "pid (comm)"
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

TEST(DistLimits, OutOfDescriptorsTheNodeRestsThenAcceptsAgain) {
  if (OTP_SANITIZED)  // their runtime needs descriptors too, and fails without them
    GTEST_SKIP() << "not under the sanitizers";
  otp_test::private_epmd epmd;
  // Descriptors 0-7 are the node's own (stdio, listener, eventfd, epmd, the
  // readers' epoll set, the idle workers' eventfd): 12 leaves room for four
  // connections.
  otp_test::os_process node("/usr/bin/prlimit",
                            {"--nofile=12", OTP_DIST_NODE, "cpp_fd", "fd_cookie", "60000"},
                            {epmd.env()});
  const std::string ready = otp_test::line_with(node, "ready ", 10s);
  ASSERT_EQ(ready.rfind("ready ", 0), 0U) << node.standard_error();
  const std::string name = ready.substr(6);
  const std::uint16_t port = otp::dist_detail::epmd_port_please(
      "localhost", epmd.port(), "cpp_fd", std::chrono::steady_clock::now() + 5s);
  // Connections that never say a word: four are accepted, the rest wait.
  std::vector<otp::dist_detail::fd_handle> flood;
  for (int i = 0; i < 12; ++i)
    flood.push_back(
        otp::dist_detail::connect_tcp("127.0.0.1", port, std::chrono::steady_clock::now() + 5s));
  ASSERT_TRUE(node.stderr_has("pausing accepts", 10s)) << node.standard_error();
  // Over half a second (a measurement window, not a wait for an event), a
  // node that polled its listener in a loop would use about all of it.
  const long before = cpu_ticks(node.id());
  ::poll(nullptr, 0, 500);
  const long used_ms = (cpu_ticks(node.id()) - before) * 1000 / ::sysconf(_SC_CLK_TCK);
  EXPECT_LT(used_ms, 150);
  // The descriptors free up: a well-behaved node connects.
  flood.clear();
  otp::node n;
  otp::net_kernel_options o;
  o.name = "cpp_fd_peer";
  o.cookie = "fd_cookie";
  o.epmd_port = epmd.port();
  otp::net_kernel k(n, o);
  EXPECT_TRUE(k.connect_node(name));
  // One line per shortage, however long it lasts, not one per attempt: the
  // twelve connections make a few short ones as the queue drains, more when
  // a loaded machine's setup threads free their descriptors late.
  const std::string err = node.standard_error();
  int lines = 0;
  for (auto at = err.find("pausing accepts"); at != std::string::npos;
       at = err.find("pausing accepts", at + 1))
    ++lines;
  EXPECT_LE(lines, 12) << err;
}

TEST(DistLimits, ANewNodeIncarnationBeyondTheLimitIsRefused) {
  // The program-wide table is not filled here (its limit is 65,536): the
  // same check, with the limit at what it holds now.
  const auto known = otp::dist_detail::node_id_if_room("limit@host", 1);
  ASSERT_TRUE(known.has_value());
  const std::size_t full = otp::dist_detail::node_incarnations();
  EXPECT_FALSE(otp::dist_detail::node_id_if_room("limit@host", 2, full).has_value());
  EXPECT_EQ(otp::dist_detail::node_id_if_room("limit@host", 1, full), known);  // known: kept
  EXPECT_EQ(otp::dist_detail::node_incarnations(), full);
}

}  // namespace

// What the distribution tests run: a private epmd on a free port, and real
// erl nodes running tests/integration/dist_peer.erl against it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"
#include "support/os_process.hpp"
#include "support/temp_dir.hpp"

namespace otp_test {

/// A port no socket is bound to now (the kernel's pick for port 0).
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

/// The first line of `p`'s output that holds `needle` (empty when the output
/// ends or `limit` passes first).
inline std::string line_with(os_process& p, const std::string& needle,
                             std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    auto l = p.read_line(left);
    if (!l) return {};
    if (l->find(needle) != std::string::npos) return *l;
  }
}

/// epmd in the foreground on a private port, for one test; it is ready when
/// its debug output (-d -d) says it entered its main loop. A port taken
/// meanwhile (another test's pick) is retried with another.
class private_epmd {
 public:
  private_epmd() {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      proc_ = std::make_unique<os_process>(
          "/bin/sh", std::vector<std::string>{
                         "-c", "exec epmd -port " + std::to_string(port_) + " -d -d 2>&1"});
      const std::string l = line_with(*proc_, "main select() loop", std::chrono::seconds(10));
      if (!l.empty()) return;
    }
    throw std::runtime_error("epmd did not start");
  }
  std::uint16_t port() const noexcept { return port_; }
  std::string env() const { return "ERL_EPMD_PORT=" + std::to_string(port_); }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<os_process> proc_;
};

/// A real erl node, `sname@vm`, running dist_peer (compiled once per test
/// program into a temporary directory).
class erl_peer {
 public:
  erl_peer(const private_epmd& epmd, const std::string& sname, const std::string& cookie,
           int ticktime_s = 60) {
    static temp_dir beams;
    static const bool compiled = std::system(("erlc -o " + beams.path.string() + " " +
                                              OTP_TESTS_SOURCE_DIR "/integration/dist_peer.erl")
                                                 .c_str()) == 0;
    if (!compiled) throw std::runtime_error("erlc failed on dist_peer.erl");
    proc_ = std::make_unique<os_process>(
        "/usr/bin/erl",
        std::vector<std::string>{"-sname", sname, "-setcookie", cookie, "-noshell", "-kernel",
                                 "net_ticktime", std::to_string(ticktime_s), "-pa",
                                 beams.path.string(), "-run", "dist_peer", "start"},
        // A peer whose output closes as the test ends may crash: no dump file.
        std::vector<std::string>{epmd.env(), "ERL_CRASH_DUMP_SECONDS=0"});
    const std::string ready = otp_test::line_with(*proc_, "ready ", std::chrono::seconds(30));
    if (ready.rfind("ready ", 0) != 0)
      throw std::runtime_error("erl did not start: " + proc_->standard_error());
    node_ = ready.substr(6);
  }

  /// Its node name, sname@host.
  const std::string& node() const noexcept { return node_; }
  os_process& proc() noexcept { return *proc_; }
  /// Sends a dist_peer command (a line on its standard input).
  void command(const std::string& line) { proc_->write_stdin(line + "\n"); }
  /// The first output line that holds `needle`, waiting up to `limit`.
  std::string line_with(const std::string& needle, std::chrono::milliseconds limit) {
    return otp_test::line_with(*proc_, needle, limit);
  }

 private:
  std::unique_ptr<os_process> proc_;
  std::string node_;
};

/// An erl peer `erl_TAG` and a C++ node `cpp_TAG` of this program (`n`,
/// with its net_kernel `k`) on one private epmd, sharing `cookie`.
struct erl_and_cpp {
  erl_and_cpp(const std::string& tag, const std::string& cookie)
      : erl(epmd, "erl_" + tag, cookie), k(n, [&] {
          otp::net_kernel_options o;
          o.name = "cpp_" + tag;
          o.cookie = cookie;
          o.epmd_port = epmd.port();
          return o;
        }()) {}

  /// Sends {Items...} to dist_peer's `peer` process.
  void to_peer(std::vector<otp::term> items) {
    k.send("peer", erl.node(), otp::term::tuple(std::move(items)));
  }

  /// Asks dist_peer for the pid of `{Ask, Mailbox}` and returns the pid in
  /// its answer {_, Pid}: `victim` (a process that exits with R on {die, R})
  /// or, through `whereis`, a registered process.
  otp::pid erlang_pid(otp::mailbox& mb, std::vector<otp::term> ask) {
    ask.push_back(otp::to_term(mb.self()));
    to_peer(std::move(ask));
    auto r = mb.receive<otp::term>(std::chrono::seconds(10));
    if (!r) throw std::runtime_error("dist_peer did not answer");
    return otp::from_term<otp::pid>(r->get_if<otp::tuple_value>()->items[1]);
  }

  private_epmd epmd;
  erl_peer erl;
  otp::node n;
  otp::net_kernel k;
};

/// Two C++ nodes of this program, `TAG_one` (an, its net_kernel a) and
/// `TAG_two` (bn, b), on one private epmd, sharing `cookie`.
struct cpp_pair {
  cpp_pair(const std::string& tag, const std::string& cookie)
      : a(an, options(tag + "_one", cookie)), b(bn, options(tag + "_two", cookie)) {}
  otp::net_kernel_options options(std::string name, const std::string& cookie) const {
    otp::net_kernel_options o;
    o.name = std::move(name);
    o.cookie = cookie;
    o.epmd_port = epmd.port();
    return o;
  }
  /// A pid of node bn as node an's processes hold it.
  otp::pid on_b(otp::pid p) { return otp::from_term<otp::pid>(otp::to_term(p)); }

  private_epmd epmd;
  otp::node an, bn;
  otp::net_kernel a, b;
};

/// tests/dist/dist_node.cpp as a C++ node of its own OS process, `cpp_TAG`,
/// connected to `erl` (erl pinged it).
struct cpp_node_process {
  cpp_node_process(const private_epmd& epmd, erl_peer& erl, const std::string& tag,
                   const std::string& cookie)
      : proc(OTP_DIST_NODE, {"cpp_" + tag, cookie, "60000"}, {epmd.env()}) {
    const std::string ready = line_with(proc, "ready ", std::chrono::seconds(10));
    if (ready.empty()) throw std::runtime_error("dist_node did not start");
    node = ready.substr(6);
    erl.command("ping " + node);
    if (erl.line_with("ping ", std::chrono::seconds(10)) != "ping pong")
      throw std::runtime_error("erl cannot reach " + node);
  }
  os_process proc;
  std::string node;
};

}  // namespace otp_test

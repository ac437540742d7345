// order_service as an operator runs it: a real executable whose supervision
// tree can give up, over real HTTP.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/child_process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A fresh directory for one test's files, removed afterwards.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string t = (fs::temp_directory_path() / "otp_service_XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

/// Starts `exe` (a child_process) with its stderr written to `log`.
std::unique_ptr<order_system::child_process> start_logged(const std::string& exe,
                                                          std::vector<std::string> args,
                                                          const fs::path& log) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int saved = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  std::unique_ptr<order_system::child_process> p;
  try {
    p = std::make_unique<order_system::child_process>(exe, std::move(args));
  } catch (...) {
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    throw;
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  return p;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Rule: when the root supervisor gives up, the OS process ends with status 3
// and says why on stderr (as an Erlang node halts when a permanent
// application's supervisor dies), so a service manager can start it again;
// it never stays alive with its tree gone.
TEST(OrderServiceProcess, ExitsWithStatus3WhenItsSupervisionTreeGivesUp) {
  temp_dir dir;
  order_system::child_process gateway(OTP_PAYMENT_GATEWAY, {});
  // Chaos at 1,000 kills/s, all of them supervisors: the root's intensity
  // (20 restarts in 10 s) is spent within a second.
  auto service = start_logged(OTP_ORDER_SERVICE,
                              {"--db", (dir.path / "orders.db").string(), "--gateway",
                               "http://127.0.0.1:" + std::to_string(gateway.port()), "--catalogue",
                               std::string(OTP_ORDER_DATA) + "/catalogue.json", "--chaos-rate",
                               "1000", "--chaos-supervisors", "1"},
                              dir.path / "service.log");
  const std::optional<int> status = service->wait_exit(60s);
  ASSERT_TRUE(status.has_value()) << "order_service still runs after its tree gave up";
  ASSERT_TRUE(WIFEXITED(*status)) << "ended by signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_NE(
      read_all(dir.path / "service.log")
          .find("order_service: the supervision tree gave up (shutdown): exiting with status 3"),
      std::string::npos)
      << read_all(dir.path / "service.log").substr(0, 2000);
}

/// True when process `pid` ignores `sig` (its SigIgn mask in /proc).
bool ignores(pid_t pid, int sig) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("SigIgn:", 0) == 0)
      return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1u;
  return false;
}

// Rule: a peer that closes its end of a connection makes a write fail, never
// ends a server: both ignore SIGPIPE (order_service died of it when the
// gateway closed a keep-alive connection its HTTP client was writing to).
TEST(OrderServiceProcess, TheServersIgnoreSigpipe) {
  temp_dir dir;
  order_system::child_process gateway(OTP_PAYMENT_GATEWAY, {});
  auto service =
      start_logged(OTP_ORDER_SERVICE,
                   {"--db", (dir.path / "orders.db").string(), "--gateway",
                    "http://127.0.0.1:" + std::to_string(gateway.port()), "--catalogue",
                    std::string(OTP_ORDER_DATA) + "/catalogue.json", "--chaos-rate", "0"},
                   dir.path / "service.log");
  // Both have printed their port, so both are past their signal setup.
  EXPECT_TRUE(ignores(gateway.os_pid(), SIGPIPE));
  EXPECT_TRUE(ignores(service->os_pid(), SIGPIPE));
}

}  // namespace

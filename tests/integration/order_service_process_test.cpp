// order_service as an operator runs it: a real executable whose supervision
// tree can give up, over real HTTP.
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

#include "service_process.hpp"

namespace {

using namespace std::chrono_literals;
using otp_test::read_all;
using otp_test::service_args;
using otp_test::start_logged;
using otp_test::temp_dir;

// Rule: when the root supervisor gives up, the OS process ends with status 3
// and says why on stderr (as an Erlang node halts when a permanent
// application's supervisor dies), so a service manager can start it again;
// it never stays alive with its tree gone.
TEST(OrderServiceProcess, ExitsWithStatus3WhenItsSupervisionTreeGivesUp) {
  temp_dir dir;
  order_system::child_process gateway(OTP_PAYMENT_GATEWAY, {});
  // Chaos at 1,000 kills/s, all of them supervisors: the root's intensity
  // (20 restarts in 10 s) is spent within a second.
  auto service = start_logged(
      OTP_ORDER_SERVICE,
      service_args(dir.path / "orders.db", gateway.port(),
                   {"--set", "order_chaos.rate=1000", "--set", "order_chaos.supervisors=1"}),
      dir.path / "service.log");
  const std::optional<int> status = service->wait_exit(60s);
  ASSERT_TRUE(status.has_value()) << "order_service still runs after its tree gave up";
  ASSERT_TRUE(WIFEXITED(*status)) << "ended by signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_NE(read_all(dir.path / "service.log")
                .find("order_service: {application_terminated,order_system,shutdown}"),
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
      start_logged(OTP_ORDER_SERVICE, service_args(dir.path / "orders.db", gateway.port()),
                   dir.path / "service.log");
  // Both have printed their port, so both are past their signal setup.
  EXPECT_TRUE(ignores(gateway.os_pid(), SIGPIPE));
  EXPECT_TRUE(ignores(service->os_pid(), SIGPIPE));
}

}  // namespace

// order_service and payment_gateway as an operator runs them: real
// executables started as child processes, order_service from its
// configuration file (examples/order_system/config/order_service.toml) with
// `--set` for what a test varies, each server's stderr in a log file.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "common/set_flag.hpp"
#include "support/temp_dir.hpp"

namespace otp_test {

/// Starts `exe` (a child_process on a free port, told it as `how` says) with
/// its stderr appended to `log`.
inline std::unique_ptr<order_system::child_process> start_logged(
    const std::string& exe, std::vector<std::string> args, const std::filesystem::path& log,
    const order_system::port_flag& how = order_system::port_flag::service()) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int saved = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  std::unique_ptr<order_system::child_process> p;
  try {
    p = std::make_unique<order_system::child_process>(exe, std::move(args), 0, how);
  } catch (...) {
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    throw;
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  return p;
}

/// order_service's command line: the shipped configuration file, the
/// database `db`, the gateway on `gateway_port`, the source tree's
/// catalogue, then `extra` (more `--set` flags).
inline std::vector<std::string> service_args(const std::filesystem::path& db, int gateway_port,
                                             std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--config", OTP_ORDER_CONFIG};
  order_system::set_string(a, "order_system.db_path", db.string());
  order_system::set_string(a, "order_system.gateway_url",
                           "http://127.0.0.1:" + std::to_string(gateway_port));
  order_system::set_string(a, "order_system.catalogue_path",
                           std::string(OTP_ORDER_DATA) + "/catalogue.json");
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

/// The whole of file `p` ("" when it cannot be read).
inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace otp_test

// The servers order_demo runs: started as child processes with their stderr
// in a log file, stopped within a grace period, and order_service kept
// running as a service manager would.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/child_process.hpp"
#include "otp/services/boot.hpp"

namespace order_demo {

namespace fs = std::filesystem;

/// The run could not be set up (exit status 2).
class setup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs `exe` with `args` as a child_process whose stderr goes to `log`.
/// @throws setup_error when it cannot start or reports no port.
/// @param port the port it listens on (0: any free one).
/// @param append add to `log` instead of starting it afresh.
/// @param how how `exe` takes its port (payment_gateway's `--port` by default).
inline std::unique_ptr<order_system::child_process> start_server(
    const std::string& exe, const std::vector<std::string>& args, const fs::path& log, int port = 0,
    bool append = false, const order_system::port_flag& how = order_system::port_flag::gateway()) {
  const int fd =
      open(log.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0644);
  if (fd < 0) throw setup_error("cannot write " + log.string());
  std::fflush(stderr);
  const int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
  dup2(fd, STDERR_FILENO);  // the child inherits fd 2; ours is restored below
  close(fd);
  const auto restore = [saved] {
    dup2(saved, STDERR_FILENO);
    close(saved);
  };
  try {
    auto p = std::make_unique<order_system::child_process>(exe, args, port, how);
    restore();
    return p;
  } catch (const std::exception& e) {
    restore();
    throw setup_error(std::string(e.what()) + " (its log: " + log.string() + ")");
  }
}

/// Stops `p` (SIGTERM, then wait) and SIGKILLs it if it is still running after `grace`.
/// @returns its wait status.
inline int stop_within(order_system::child_process& p, std::chrono::seconds grace) {
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  const pid_t pid = p.os_pid();
  std::thread watchdog([&] {
    std::unique_lock l(mu);
    if (!cv.wait_for(l, grace, [&] { return stopped; })) kill(pid, SIGKILL);
  });
  const int status = p.stop();
  {
    std::lock_guard l(mu);
    stopped = true;
  }
  cv.notify_one();
  watchdog.join();
  return status;
}

/// The exit status order_service ends with when its supervision tree gives
/// up (otp::boot's, for a permanent application that ended).
constexpr int kTreeGaveUp = otp::boot_halted;

/// Keeps order_service running as a service manager would (systemd's
/// Restart=on-failure, for that one status): when the service exits with
/// status 3 (its root supervisor gave up), starts it again on the same port
/// and database; any other end (a signal, another status) is kept for the
/// report and not hidden by a restart.
class service_keeper {
 public:
  service_keeper(std::string exe, std::vector<std::string> args, fs::path log)
      : exe_(std::move(exe)), args_(std::move(args)), log_(std::move(log)) {
    child_ = start_server(exe_, args_, log_, 0, false, order_system::port_flag::service());
    port_ = child_->port();
    watcher_ = std::thread([this] { watch(); });
  }
  ~service_keeper() { stop_watching(); }
  service_keeper(const service_keeper&) = delete;
  service_keeper& operator=(const service_keeper&) = delete;

  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }
  /// Restarts from now on run without chaos (the drain has begun).
  void chaos_off() { chaos_off_ = true; }
  /// Times the tree gave up and the service was started again.
  int restarts() const { return restarts_.load(); }
  /// True once the service has ended for good (not restarted).
  bool ended() const { return ended_.load(); }
  /// The running service's OS pid, or -1.
  pid_t os_pid() {
    std::lock_guard l(mu_);
    return child_ ? child_->os_pid() : -1;
  }

  /// Stops watching, then stops the service (SIGTERM; SIGKILL after `grace`).
  /// @returns its wait status (the kept one if it had already ended).
  int stop(std::chrono::seconds grace) {
    stop_watching();
    std::lock_guard l(mu_);
    if (child_ == nullptr) return final_status_;
    return stop_within(*child_, grace);
  }

 private:
  void watch() {
    while (!stopping_.load()) {
      order_system::child_process* c;
      {
        std::lock_guard l(mu_);
        c = child_.get();
      }
      if (c == nullptr) return;
      const std::optional<int> st = c->wait_exit(std::chrono::milliseconds(200));
      if (!st) continue;
      std::lock_guard l(mu_);
      child_.reset();
      if (!WIFEXITED(*st) || WEXITSTATUS(*st) != kTreeGaveUp || stopping_.load()) {
        final_status_ = *st;
        ended_ = true;
        return;
      }
      std::vector<std::string> args = args_;
      if (chaos_off_.load())
        for (std::string& a : args)
          if (a.rfind("order_chaos.rate=", 0) == 0) a = "order_chaos.rate=0";
      try {
        // Counted first: the new service answers as soon as it listens, and
        // whoever sees an answer from it must see the restart too.
        ++restarts_;
        child_ = start_server(exe_, args, log_, port_, true, order_system::port_flag::service());
      } catch (const std::exception&) {
        final_status_ = *st;
        ended_ = true;
        return;
      }
    }
  }
  void stop_watching() {
    stopping_ = true;
    if (watcher_.joinable()) watcher_.join();
  }

  std::string exe_;
  std::vector<std::string> args_;
  fs::path log_;
  int port_ = 0;
  std::mutex mu_;
  std::unique_ptr<order_system::child_process> child_;  // null once ended
  int final_status_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> chaos_off_{false};
  std::atomic<bool> ended_{false};
  std::atomic<int> restarts_{0};
  std::thread watcher_;
};

}  // namespace order_demo

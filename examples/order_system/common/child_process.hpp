// Runs one of the order system's servers (payment_gateway, order_service) as
// a child process on a free loopback port, and stops it (SIGTERM, then wait)
// when the object goes. The child also stops by itself when this process
// dies without stopping it (`--stop-on-eof`: its standard input is a pipe
// whose only write end is held here). The demo driver and the integration
// tests use it. payment_gateway takes its port as `--port N`, order_service
// (an otp::boot release) as `--set order_system.port=N`: see port_flag.
#pragma once

#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace order_system {

/// How a server is told the port to listen on: `FLAG PREFIXPORT`.
struct port_flag {
  std::string flag = "--port";
  std::string prefix;

  /// payment_gateway's own flag: `--port N`.
  static port_flag gateway() { return {}; }
  /// order_service's: the port key of its application, `--set order_system.port=N`.
  static port_flag service() { return {"--set", "order_system.port="}; }
  std::vector<std::string> args(int port) const { return {flag, prefix + std::to_string(port)}; }
};

class child_process {
 public:
  /// Runs `exe` with its port flag (`how`), `--stop-on-eof` and `args`, and
  /// waits for the first line it prints, which must end in ":PORT" ("...
  /// listening on HOST:PORT"). Its stderr is this process's stderr.
  /// @param port the port to listen on; 0 lets the child pick a free one.
  /// @throws std::runtime_error when it cannot start or prints no port.
  child_process(const std::string& exe, std::vector<std::string> args, int port = 0,
                const port_flag& how = port_flag::gateway()) {
    // Close-on-exec, so that no other child inherits these ends; dup2 onto
    // the child's stdin and stdout clears the flag there.
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (pipe2(out, O_CLOEXEC) != 0) {
      close(in[0]);
      close(in[1]);
      throw std::runtime_error("pipe failed");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    std::vector<std::string> all{exe};
    for (std::string& a : how.args(port)) all.push_back(std::move(a));
    all.emplace_back("--stop-on-eof");
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    if (rc == 0) pid_ = pid;
    if (rc != 0) {
      close(out[0]);
      close_stdin();
      throw std::runtime_error("cannot start " + all[0]);
    }
    FILE* f = fdopen(out[0], "r");
    char line[256] = {};
    const bool got = f != nullptr && std::fgets(line, sizeof line, f) != nullptr;
    if (f != nullptr) std::fclose(f);
    const std::string s = got ? line : "";
    const auto colon = s.rfind(':');
    if (!got || colon == std::string::npos) {
      stop();
      throw std::runtime_error(exe + " did not report its port: " + s);
    }
    try {
      port_ = std::stoi(s.substr(colon + 1));
    } catch (const std::exception&) {
      stop();
      throw std::runtime_error(exe + " printed no port: " + s);
    }
  }
  ~child_process() { stop(); }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  int port() const { return port_; }
  pid_t os_pid() const { return pid_; }
  /// A client for it, with a 10 s read timeout.
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }

  /// Waits up to `limit` for the child to exit by itself, reaping it.
  /// @returns its wait status, or nullopt if it is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    const pid_t pid = pid_;
    if (pid <= 0) return std::nullopt;
    // A pidfd becomes readable when the child exits.
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      (void)poll(&p, 1, static_cast<int>(limit.count()));
      close(fd);
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
    pid_ = -1;
    close_stdin();
    return status;
  }

  /// Sends SIGTERM and waits for it to exit. @returns its wait status
  /// (-1 when it was already stopped).
  /// Its standard input is closed only after it exited: with --stop-on-eof,
  /// the end of input is itself a stop request, and otp::boot takes a
  /// SIGTERM after one as the second request, which ends it at once (130).
  int stop() {
    const pid_t pid = pid_;
    if (pid <= 0) {
      close_stdin();
      return -1;
    }
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    pid_ = -1;
    close_stdin();
    return status;
  }

 private:
  void close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

  // Atomic: a watcher thread reaps the child while another reads its pid.
  std::atomic<pid_t> pid_{-1};
  int port_ = 0;
  int stdin_ = -1;  // write end of the child's standard input
};

}  // namespace order_system

// A program run as a child process for a test: its standard output read
// line by line, its standard error kept, signals sent, its exit awaited.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace otp_test {

class os_process {
 public:
  /// Starts `exe` with `args`; its stdin is a pipe this object holds open.
  /// @throws std::runtime_error when it cannot start.
  os_process(const std::string& exe, const std::vector<std::string>& args,
             const std::vector<std::string>& env = {}) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
      throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
    std::vector<std::string> all{exe};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) envs.emplace_back(*e);
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];
    if (rc != 0) throw std::runtime_error("cannot run " + exe);
  }
  os_process(const os_process&) = delete;
  os_process& operator=(const os_process&) = delete;
  ~os_process() {
    if (!status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdin_);
    close(stdout_);
    close(stderr_);
  }

  /// The next line of its standard output (without the newline), or nullopt
  /// when it closed its output or `limit` passed first.
  std::optional<std::string> read_line(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char c[512];
      const ssize_t n = read(stdout_, c, sizeof c);
      if (n <= 0) return std::nullopt;
      buf_.append(c, static_cast<std::size_t>(n));
    }
  }

  /// Reads lines until one equals `want`; the lines before it are returned.
  /// @throws std::runtime_error when the output ends or `limit` passes first.
  std::vector<std::string> lines_until(const std::string& want, std::chrono::milliseconds limit) {
    std::vector<std::string> seen;
    while (auto l = read_line(limit)) {
      if (*l == want) return seen;
      seen.push_back(*l);
    }
    throw std::runtime_error("no line '" + want + "' in the output");
  }

  void signal(int sig) const { kill(pid_, sig); }
  /// Writes `text` to its standard input. @returns false when it is closed.
  bool write_stdin(const std::string& text) {
    return stdin_ >= 0 &&
           ::write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }
  void close_stdin() {
    close(stdin_);
    stdin_ = -1;
  }

  /// Waits for it to exit. @returns its wait status, or nullopt after `limit`.
  std::optional<int> wait(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!status_) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = st;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      pollfd p{stderr_, POLLIN, 0};  // wakes on its output or its end
      if (poll(&p, 1, 10) > 0) drain_stderr();
    }
    return status_;
  }

  /// Waits until its standard error holds `needle`. @returns false when
  /// `limit` passes first.
  bool stderr_has(const std::string& needle, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      drain_stderr();
      if (err_.find(needle) != std::string::npos) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{stderr_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) > 0 && (p.revents & POLLIN) == 0) {
        drain_stderr();  // closed: what it wrote is all there will be
        return err_.find(needle) != std::string::npos;
      }
    }
  }

  /// Its process id.
  pid_t id() const noexcept { return pid_; }

  /// Everything it wrote to standard error (complete once it has exited).
  std::string standard_error() {
    drain_stderr();
    return err_;
  }

 private:
  void drain_stderr() {
    const int flags = fcntl(stderr_, F_GETFL);
    fcntl(stderr_, F_SETFL, flags | O_NONBLOCK);
    char c[512];
    ssize_t n;
    while ((n = read(stderr_, c, sizeof c)) > 0) err_.append(c, static_cast<std::size_t>(n));
  }

  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1, stderr_ = -1;
  std::string buf_, err_;
  std::optional<int> status_;
};

}  // namespace otp_test

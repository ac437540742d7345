// Lets a server started by another program (child_process) stop when that
// program is gone, even when it died without stopping it: the parent holds
// the write end of the server's standard input, and the kernel closes it
// when the parent exits for any reason (a crash, a sanitizer abort, SIGKILL).
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace order_system {

/// Starts a detached thread that reads standard input until end of file,
/// then sends SIGTERM to this process, so the server's own SIGTERM handling
/// shuts it down. Data read from standard input is discarded.
inline void stop_on_stdin_eof() {
  std::thread([] {
    char buf[256];
    for (;;) {
      const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    kill(getpid(), SIGTERM);
  }).detach();
}

}  // namespace order_system

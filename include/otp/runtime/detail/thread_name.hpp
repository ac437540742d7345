// The names the library gives its own threads, as `top -H`, `ps -L`, perf,
// gdb and /proc/<pid>/task/<tid>/comm show them: otp-sched-<n> (the
// schedulers), otp-watchdog, otp-stdin, otp-http-io and otp-http-work (an
// otp::http_server), otp-observer (the observer's sampler).
#pragma once

#include <pthread.h>

#include <cstdio>

namespace otp::detail {

/// Names the calling thread `name`, cut to the kernel's 15 characters.
inline void name_this_thread(const char* name) noexcept {
  char cut[16];
  std::snprintf(cut, sizeof cut, "%s", name);
  pthread_setname_np(pthread_self(), cut);
}

}  // namespace otp::detail

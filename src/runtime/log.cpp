#include "runtime/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace otp::detail {

spdlog::logger& runtime_log() {
  static const std::shared_ptr<spdlog::logger> log = [] {
    if (auto registered = spdlog::get("otp")) return registered;
    try {
      return spdlog::stderr_color_mt("otp");
    } catch (const spdlog::spdlog_ex&) {  // registered meanwhile by another thread
      return spdlog::get("otp");
    }
  }();
  return *log;
}

void internal_error(const char* what) noexcept {
  std::fprintf(stderr, "otp: internal error: %s\n", what);  // no allocation: memory may be out
  std::fflush(stderr);
  std::abort();
}

}  // namespace otp::detail

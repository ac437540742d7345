// The runtime's own log: what it prints when the program set no handler
// (crash and supervisor reports without node_options::on_report, long_schedule
// warnings). It goes to standard error, never standard output, which belongs
// to the program (a server may print its port there for a parent to read).
#pragma once

#include <spdlog/logger.h>

namespace otp::detail {

/// The spdlog logger named "otp": the one the program registered under that
/// name before the first use, otherwise a colour logger on standard error.
spdlog::logger& runtime_log();

}  // namespace otp::detail

// otp::report: a structured event a behaviour logs (crash and supervisor reports).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

/// One report, as OTP's logger receives them from proc_lib and supervisor.
///
/// A node sends each report to `node_options::on_report` when set, else to
/// the log (the spdlog logger named "otp", on standard error unless the
/// program registered its own; error level); `node_options::reports = false` drops them
/// all before they are built.
/// @threadsafe Value type.
/// @mirrors crash_report (proc_lib) and supervisor_report (supervisor)
struct report {
  enum class kind : std::uint8_t {
    crash,       ///< a behaviour process ended abnormally (proc_lib crash report)
    supervisor,  ///< a supervisor saw a child fail (child_terminated, start_error, ...)
    error,       ///< any other error a behaviour logs (e.g. an unexpected message)
  };
  kind what = kind::error;
  /// The process the report is about (the crasher, or the supervisor).
  pid from;
  /// One line, e.g. "gen_server counter terminated".
  std::string headline;
  /// The exit reason involved, if any.
  exit_reason reason;
  /// Ordered details: ("name", "counter"), ("ancestors", "[<0.1.1>]"), ...
  std::vector<std::pair<std::string, std::string>> fields;

  /// The value of field `key`, or empty when absent.
  std::string field(const std::string& key) const;
  /// Multi-line text, as logged; ends with the stack trace of `reason` when
  /// it is an exception (symbolised here, so handlers that never print pay
  /// nothing for it).
  std::string to_string() const;
};

}  // namespace otp

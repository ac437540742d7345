// otp::report: a structured event a behaviour logs (crash, supervisor,
// progress and application reports).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/log_level.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

/// One report, as OTP's logger receives them from proc_lib and supervisor.
///
/// A node sends each report to `node_options::on_report` when set, else to
/// the logger (otp/runtime/logger.hpp) at the report's `severity`, through
/// the named logger "otp", with its fields as the event's metadata;
/// `node_options::reports = false` drops them all before they are built.
/// Progress reports are built only when the "otp" logger allows `info`
/// (off by default, the primary level being `notice`), whichever the
/// destination.
/// @threadsafe Value type.
/// @mirrors crash_report (proc_lib), supervisor_report and progress
///   (supervisor), and the application controller's reports
struct report {
  enum class kind : std::uint8_t {
    crash,        ///< a behaviour process ended abnormally (proc_lib crash report)
    supervisor,   ///< a supervisor saw a child fail (child_terminated, start_error, ...)
    error,        ///< any other error a behaviour logs (e.g. an unexpected message)
    progress,     ///< a supervisor started a child (info)
    application,  ///< an application started or exited (application_started/_exited)
  };
  kind what = kind::error;
  /// The level it is logged at: error for crash, supervisor and error
  /// reports, info for progress reports, see application_exited.
  log_level severity = log_level::error;
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

  /// The report "application `app` started" (info), fields application and
  /// started_at (`node`, e.g. the node's name or id).
  /// @mirrors the application controller's progress report
  ///   `{application, App}, {started_at, Node}`
  static report application_started(pid from, std::string app, std::string node);
  /// The report "application `app` exited" with `reason`, fields
  /// application, exited and type (`type` is permanent, transient or
  /// temporary). Its severity: notice when the reason is normal or
  /// `stopped` (application:stop) or the application temporary (nothing
  /// else stops with it), error otherwise.
  /// @mirrors the application controller's "Application ~p exited with
  ///   reason ~p" report
  static report application_exited(pid from, std::string app, exit_reason reason, std::string type);
  /// The name of `k`: crash, supervisor, error, progress or application.
  static const char* kind_name(kind k) noexcept;
};

}  // namespace otp

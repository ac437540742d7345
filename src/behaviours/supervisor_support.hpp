// What supervisor and dynamic_supervisor share: the supervisor and progress reports, the
// restart-intensity window and the auto_shutdown rule. Private to src/behaviours.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/supervisor.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

/// The fields of a supervisor report about one child.
struct child_report {
  std::string_view id;  ///< the child's id ("undefined" for dynamic children)
  pid child;
  restart_type restart = restart_type::permanent;
  shutdown_spec shutdown = shutdown_spec(timeout(0));
  child_type type = child_type::worker;
  std::uint64_t restarts = 0;  ///< times the supervisor restarted it so far
};

/// Emits a supervisor report from the calling supervisor process (no-op when
/// the node's reports are off): `context` is start_error, child_terminated,
/// shutdown_error or shutdown. child_terminated also emits the telemetry
/// event otp.supervisor.child_terminated, and shutdown (the restart
/// intensity reached) otp.supervisor.escalated, whether reports are on or not.
/// @mirrors the supervisor_report of supervisor:report_error/4
void supervisor_report(const char* context, const exit_reason& reason, const child_report& c);

/// Tells that the calling supervisor process started a child (`restarted`:
/// after the child died, by the supervisor's own decision): emits the
/// telemetry events otp.supervisor.child_started and, when restarted,
/// otp.supervisor.child_restarted; then a progress report "supervisor S
/// started child Id", built only when reports are on and the "otp" logger
/// allows info (off by default, as in OTP since 21).
/// @mirrors the progress report of supervisor:report_progress/2
void child_started(const child_report& c, bool restarted);

/// The start error for an invalid intensity (< 0) or period (<= 0):
/// `{bad_flags, {intensity|period, V}}`; nothing when both are valid.
std::optional<exit_reason> check_intensity_flags(int intensity, std::chrono::milliseconds period);

/// Whether a significant child that has just ended for good ends its
/// supervisor: always with any_significant, with all_significant once no
/// other significant child runs (`significant_running` false), never with
/// never. @mirrors the auto_shutdown flag of supervisor
bool auto_shutdown_due(enum auto_shutdown a, bool significant_running) noexcept;

/// The restarts within the last `period`, for the intensity check.
/// @threadsafe Owner only (the supervisor process).
class restart_window {
 public:
  restart_window(int intensity, std::chrono::milliseconds period)
      : intensity_(intensity), period_(period) {}
  /// Records a restart now. False when that exceeds the intensity.
  bool add();
  /// Restarts recorded within the period (as of the last add).
  std::size_t size() const noexcept { return times_.size(); }
  bool empty() const noexcept { return times_.empty(); }

 private:
  int intensity_;
  std::chrono::milliseconds period_;
  std::deque<std::chrono::milliseconds> times_;
};

}  // namespace otp::detail

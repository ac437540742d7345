#include "behaviours/supervisor_support.hpp"

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "otp/behaviours/proc_lib.hpp"
#include "otp/runtime/logger.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/report.hpp"
#include "otp/runtime/telemetry.hpp"

namespace otp::detail {

bool auto_shutdown_due(enum auto_shutdown a, bool significant_running) noexcept {
  switch (a) {
    case auto_shutdown::never:
      return false;
    case auto_shutdown::any_significant:
      return true;
    case auto_shutdown::all_significant:
      return !significant_running;
  }
  return false;
}

namespace {

// The name a supervisor's reports and events give it: its registered or via
// name, or empty.
std::string_view supervisor_name_of(process& me) {
  const auto* info = static_cast<const behaviour_info*>(behaviour_slot(me));
  return info != nullptr ? std::string_view(info->name) : std::string_view();
}

// Emits otp.supervisor.<what> about child `c` of the calling supervisor.
void supervisor_event(process& me, std::string_view what, const child_report& c,
                      const exit_reason* reason) {
  if (telemetry::detail::attached.load(std::memory_order_relaxed) == 0) return;
  const std::string_view name[] = {"otp", "supervisor", what};
  const telemetry::measurement m[] = {{"restarts", c.restarts}};
  std::vector<telemetry::metadata_entry> md{
      {"supervisor", me.self()},
      {"supervisor_name", supervisor_name_of(me)},
      {"child_id", c.id},
      {"child_pid", c.child},
      {"child_type", c.type == child_type::supervisor ? "supervisor" : "worker"}};
  if (reason != nullptr) md.push_back({"reason", *reason});
  telemetry::execute(name, m, md);
}

}  // namespace

void supervisor_report(const char* context, const exit_reason& reason, const child_report& c) {
  process& me = require_process("supervisor");
  const std::string_view ctx(context);
  if (ctx == "child_terminated") supervisor_event(me, "child_terminated", c, &reason);
  if (ctx == "shutdown") supervisor_event(me, "escalated", c, &reason);
  if (!reports_enabled(*me.node)) return;
  const auto* info = static_cast<const behaviour_info*>(behaviour_slot(me));
  otp::report r;
  r.what = otp::report::kind::supervisor;
  r.from = me.self();
  r.reason = reason;
  const std::string name =
      info != nullptr && !info->name.empty() ? info->name : me.self().to_string();
  r.headline = "** supervisor " + name + ": " + context;
  r.fields.emplace_back("supervisor", name);
  r.fields.emplace_back("errorContext", context);
  r.fields.emplace_back("reason", reason.to_string());
  r.fields.emplace_back("id", std::string(c.id));
  r.fields.emplace_back("pid", c.child.to_string());
  r.fields.emplace_back("restart_type", std::string(to_string(c.restart)));
  r.fields.emplace_back("shutdown", c.shutdown.to_string());
  r.fields.emplace_back("child_type", c.type == child_type::supervisor ? "supervisor" : "worker");
  emit_report(*me.node, r);
}

void child_started(const child_report& c, bool restarted) {
  static const logger::named otp_log("otp");
  process& me = require_process("supervisor");
  supervisor_event(me, "child_started", c, nullptr);
  if (restarted) supervisor_event(me, "child_restarted", c, nullptr);
  if (!otp_log.allows(log_level::info)) return;  // the common case: nothing built
  if (!reports_enabled(*me.node)) return;
  const auto* info = static_cast<const behaviour_info*>(behaviour_slot(me));
  otp::report r;
  r.what = otp::report::kind::progress;
  r.severity = log_level::info;
  r.from = me.self();
  const std::string name =
      info != nullptr && !info->name.empty() ? info->name : me.self().to_string();
  r.headline = "supervisor " + name + " started child " + std::string(c.id);
  r.fields.emplace_back("supervisor", name);
  r.fields.emplace_back("started", c.child.to_string());
  r.fields.emplace_back("id", std::string(c.id));
  r.fields.emplace_back("restart_type", std::string(to_string(c.restart)));
  r.fields.emplace_back("shutdown", c.shutdown.to_string());
  r.fields.emplace_back("child_type", c.type == child_type::supervisor ? "supervisor" : "worker");
  emit_report(*me.node, r);
}

bool restart_window::add() {
  const auto now = monotonic_time();
  times_.push_back(now);
  while (!times_.empty() && times_.front() <= now - period_) times_.pop_front();
  return static_cast<int>(times_.size()) <= intensity_;
}

std::optional<exit_reason> check_intensity_flags(int intensity, std::chrono::milliseconds period) {
  if (intensity < 0)
    return exit_reason::other("{bad_flags,{intensity," + std::to_string(intensity) + "}}");
  if (period.count() <= 0)
    return exit_reason::other("{bad_flags,{period," + std::to_string(period.count()) + "}}");
  return std::nullopt;
}

}  // namespace otp::detail

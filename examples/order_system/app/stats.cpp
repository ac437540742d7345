#include "stats.hpp"

namespace order_system {

void service_stats::count(const otp::report& r) {
  if (r.what != otp::report::kind::supervisor) return;
  const std::string context = r.field("errorContext");
  const std::string supervisor = r.field("supervisor");
  if (context == "child_terminated") {
    if (supervisor == "orders") ++order_crashes;
    if (r.field("restart_type") != "temporary") restarted(r.field("id"));
  } else if (context == "shutdown" && r.reason.to_string() == "reached_max_restart_intensity") {
    // The supervisor gives up instead of restarting the child that failed.
    ++escalations;
    std::lock_guard l(mu_);
    auto it = restarts_.find(r.field("id"));
    if (it != restarts_.end() && it->second > 0) --it->second;
  }
}

}  // namespace order_system

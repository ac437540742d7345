// The order system's counters: what the /stats endpoint and the demo report
// show. A plain shared object (atomics and a locked map) that outlives the
// supervision tree, so a restarted process does not reset the figures; it
// plays the part OTP's `counters` module or a telemetry handler plays.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "otp/otp.hpp"

namespace order_system {

/// Counters shared by the service's processes and its report handler.
/// @threadsafe Every member.
class service_stats {
 public:
  /// Processes killed by the chaos process.
  std::atomic<std::int64_t> crashes_injected{0};
  /// Orders accepted and not yet paid or failed: the count the reconciler
  /// found at its last sweep, plus those accepted since (an estimate that
  /// admission control reads on every POST /orders).
  std::atomic<std::int64_t> backlog{0};
  /// POST /orders answered 503 because the backlog was full.
  std::atomic<std::int64_t> shed{0};
  /// Bytes of pool slabs given back to the system after the backlog drained.
  std::atomic<std::int64_t> memory_released{0};
  /// Order processes that ended abnormally (killed or crashed).
  std::atomic<std::int64_t> order_crashes{0};
  /// Supervisors that gave up (reached_max_restart_intensity).
  std::atomic<std::int64_t> escalations{0};
  /// Times the payment circuit opened.
  std::atomic<std::int64_t> circuit_openings{0};
  /// Orders the reconciler started again.
  std::atomic<std::int64_t> resumed_by_reconciler{0};
  /// Notifications that could not be queued (the queue down, or full for 5 s).
  std::atomic<std::int64_t> notifications_dropped{0};
  /// Notification lines written, and their lag (queued to written) in ms.
  std::atomic<std::int64_t> notifications_sent{0};
  std::atomic<std::int64_t> notification_lag_ms_sum{0};
  std::atomic<std::int64_t> notification_lag_ms_max{0};

  /// Counts one notification written `lag` after it was queued.
  void notification_sent(std::chrono::milliseconds lag) {
    notifications_sent.fetch_add(1, std::memory_order_relaxed);
    notification_lag_ms_sum.fetch_add(lag.count(), std::memory_order_relaxed);
    std::int64_t seen = notification_lag_ms_max.load(std::memory_order_relaxed);
    while (lag.count() > seen && !notification_lag_ms_max.compare_exchange_weak(
                                     seen, lag.count(), std::memory_order_relaxed)) {
    }
  }

  /// Counts one restart of the static child `id`.
  void restarted(const std::string& id) {
    std::lock_guard l(mu_);
    ++restarts_[id];
  }
  /// Restarts per child id so far.
  std::map<std::string, std::int64_t> restarts() const {
    std::lock_guard l(mu_);
    return restarts_;
  }

  /// Counts what a report says: a permanent or transient child of a static
  /// supervisor that terminated (it is restarted), a supervisor that gave up,
  /// a crashed order process. order_service calls it from a logger handler
  /// (see applications.cpp); a test may call it from node_options::on_report.
  void count(const otp::report& r);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> restarts_;
};

}  // namespace order_system

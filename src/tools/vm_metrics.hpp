// The node's own Prometheus metrics (otp_vm_*), built at scrape time from
// otp::statistics: no telemetry handler and no cost between scrapes.
//
// Invariants:
//  1. `previous_` holds the scheduler wall times of the last collect(), so
//     the utilisation gauge covers the time between two scrapes; it is
//     guarded by `mu_`.
// Callers: any thread (collect() serialises on `mu_`).
#pragma once

#include <prometheus/metric_family.h>

#include <mutex>
#include <vector>

#include "otp/runtime/statistics.hpp"

namespace otp {
class node;
}

namespace otp::tools_detail {

class vm_metrics {
 public:
  explicit vm_metrics(const node& n) : n_(n) {}

  /// The otp_vm_* families, from a fresh statistics snapshot of the node.
  std::vector<prometheus::MetricFamily> collect();

 private:
  const node& n_;
  std::mutex mu_;
  std::vector<scheduler_wall_time> previous_;
};

}  // namespace otp::tools_detail

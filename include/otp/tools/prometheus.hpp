// otp::prometheus_exporter: aggregates metric definitions (otp/tools/metrics.hpp)
// from telemetry events and renders them, with the node's own gauges, in the
// Prometheus text exposition format 0.0.4 (through prometheus-cpp).
//
//   otp::prometheus_exporter exporter(node, {
//       otp::metrics::counter("payment.processed.count", {.tags = {"method"}}),
//       otp::metrics::distribution("payment.processed.duration",
//                                  {.unit = {otp::metrics::unit::nanosecond,
//                                            otp::metrics::unit::second}}),
//   });
//   std::string text = exporter.scrape();  // what GET /metrics answers
//
// | metric kind   | Prometheus type | exported name                             |
// |---------------|-----------------|-------------------------------------------|
// | counter       | counter         | name with dots as _, + unit, + "_total"   |
// | sum           | counter         | as counter (negative measurements dropped)|
// | last_value    | gauge           | name + unit                               |
// | summary       | summary         | name + unit (quantiles over 60 s)         |
// | distribution  | histogram       | name + unit (_bucket{le}, _sum, _count)   |
//
// The unit appended is the conversion's target in the plural
// ("_seconds", "_bytes"), unless the name already ends with it. An event the
// metric cannot record (a tag missing from the metadata and from tag_values,
// no measurement, a negative one for a sum) is skipped for that metric and
// counted in otp_metrics_dropped_events_total{metric="<exported name>"}.
// The node's gauges (otp_vm_*) are read at scrape time from
// otp::statistics; docs/guide/observability.md lists them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "otp/tools/metrics.hpp"

namespace otp {

class node;

/// Settings of a prometheus_exporter.
struct prometheus_options {
  /// Whether scrape() includes the node's otp_vm_* metrics.
  bool vm_metrics = true;
};

/// Follows telemetry events for a set of metric definitions and renders
/// them, with the node's statistics, as Prometheus text.
///
/// @threadsafe scrape() may be called from any thread, concurrently with
///   events on any thread. Constructing and destroying are the owner's.
/// @mirrors TelemetryMetricsPrometheus.Core (its init/2 and scrape/1)
class prometheus_exporter {
 public:
  /// Attaches one telemetry handler per event the definitions follow (ids
  /// starting "otp.prometheus_exporter."). `n` must outlive the exporter.
  /// @param n the node whose statistics the otp_vm_* metrics show
  /// @param definitions the metrics to aggregate
  /// @throws otp::badarg when two definitions export the same name, one
  ///   exports a name of the exporter's own (otp_vm_*,
  ///   otp_metrics_dropped_events_total), or a name is no valid Prometheus
  ///   metric name once its dots are underscores
  prometheus_exporter(const node& n, std::vector<metrics::definition> definitions,
                      prometheus_options o = {});
  /// Detaches the handlers: later events are not recorded. A handler
  /// running on another thread at that moment finishes on state it owns.
  ~prometheus_exporter();
  prometheus_exporter(const prometheus_exporter&) = delete;
  prometheus_exporter& operator=(const prometheus_exporter&) = delete;

  /// The metrics in the text exposition format 0.0.4 (content type
  /// "text/plain; version=0.0.4"): HELP and TYPE lines, label values
  /// escaped. Reads otp::statistics(n) when vm_metrics is on (O(processes)
  /// for otp_vm_messages_queued). otp_vm_scheduler_utilisation_ratio
  /// covers the time since the previous scrape (since each scheduler
  /// started, for the first).
  /// @throws std::bad_alloc
  std::string scrape() const;

  /// The content type of scrape()'s text, for an HTTP response.
  static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace otp

// otp::metrics: metric definitions over telemetry events, in the style of
// Elixir's Telemetry.Metrics. A definition says which event to follow, which
// measurement to take, how to convert its unit and which metadata keys break
// it down (tags); a reporter (otp::prometheus_exporter) attaches handlers for
// the definitions and aggregates.
//
//   using namespace otp::metrics;
//   std::vector<definition> defs = {
//       counter("payment.processed.count", {.tags = {"method"}}),
//       sum("payment.processed.amount_cents", {.tags = {"method"}}),
//       distribution("payment.processed.duration",
//                    {.unit = {unit::nanosecond, unit::second}, .buckets = {0.001, 0.01, 0.1}}),
//   };
//
// | otp                          | Telemetry.Metrics                          |
// |------------------------------|--------------------------------------------|
// | counter(name, opts)          | counter/2: counts the events               |
// | sum(name, opts)              | sum/2: adds up the measurement             |
// | last_value(name, opts)       | last_value/2: the latest measurement       |
// | summary(name, opts)          | summary/2: quantiles, count and sum        |
// | distribution(name, opts)     | distribution/2: a histogram with buckets   |
// | options::event_name          | :event_name                                |
// | options::measurement         | :measurement (a key or a function)         |
// | options::tags / tag_values   | :tags / :tag_values                        |
// | options::keep                | :keep (its negation is :drop)              |
// | options::unit                | :unit as {from, to}                        |
// | options::description         | :description                               |
// | options::buckets             | reporter_options: [buckets: ...]           |
//
// The name is the event name and the measurement key joined by dots: the
// metric "payment.processed.amount_cents" follows the event
// {"payment", "processed"} and takes its measurement "amount_cents".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/runtime/telemetry.hpp"

namespace otp::metrics {

/// The five kinds of metric. @mirrors Telemetry.Metrics' metric types
enum class kind : std::uint8_t { counter, sum, last_value, summary, distribution };
/// "counter", "sum", "last_value", "summary" or "distribution".
std::string_view to_string(kind k) noexcept;

/// Units a measurement may be converted between. Time units convert among
/// themselves, byte units among themselves (1 kilobyte = 1000 bytes).
enum class unit : std::uint8_t {
  none,
  nanosecond,
  microsecond,
  millisecond,
  second,
  byte,
  kilobyte,
  megabyte
};
/// "", "nanoseconds", ..., "seconds", "bytes", "kilobytes", "megabytes":
/// the plural the Prometheus exporter appends to a metric's name.
std::string_view to_string(unit u) noexcept;

/// A unit conversion: the measurement is in `from` and is reported in `to`.
/// The default converts nothing.
struct conversion {
  unit from = unit::none;
  unit to = unit::none;
};

/// Extra tag values computed from an event, consulted before its metadata.
using tag_values_fn =
    std::function<std::vector<std::pair<std::string, std::string>>(const telemetry::event&)>;
/// A measurement computed from an event; nullopt when it has none.
using measurement_fn = std::function<std::optional<double>(const telemetry::event&)>;

/// The optional parts of a definition.
struct options {
  /// The event to follow; by default the name's segments but the last.
  std::vector<std::string> event_name{};
  /// The measurement key; by default the name's last segment. Ignored when
  /// `measure` is set.
  std::string measurement{};
  /// Computes the measurement instead of reading a key.
  measurement_fn measure{};
  /// Metadata keys whose values break the metric down, one series per set
  /// of values. Each must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*).
  std::vector<std::string> tags{};
  /// Computes tag values (from metadata that is not a plain value, say).
  tag_values_fn tag_values{};
  /// Only events it returns true for are recorded (all when empty).
  std::function<bool(const telemetry::event&)> keep{};
  /// The conversion applied to every measurement (before buckets apply).
  conversion unit{};
  /// The help text; by default one naming the kind and the event.
  std::string description{};
  /// A distribution's bucket upper bounds, ascending, in the converted
  /// unit. By default Prometheus' {.005, .01, .025, .05, .1, .25, .5, 1,
  /// 2.5, 5, 10}.
  std::vector<double> buckets{};
  /// A summary's quantiles, each in (0, 1). By default {0.5, 0.9, 0.99}.
  std::vector<double> quantiles{};
};

/// One metric definition: what a reporter aggregates.
struct definition {
  metrics::kind kind = kind::counter;
  std::string name;                     ///< dotted name, as given
  std::vector<std::string> event_name;  ///< the event followed
  std::string measurement;              ///< the key read (unless measure)
  measurement_fn measure;
  std::vector<std::string> tags;
  tag_values_fn tag_values;
  std::function<bool(const telemetry::event&)> keep;
  conversion unit;
  std::string description;
  std::vector<double> buckets;    ///< distribution only
  std::vector<double> quantiles;  ///< summary only
};

/// Counts the events (the measurement is not read; an event without it still counts).
/// @param name dotted name, at least two segments ("event.segments.measurement")
/// @throws otp::badarg for a name with fewer than two segments or an empty
///   segment, a tag that is no valid label name, or a conversion across
///   dimensions (time to bytes)
/// @threadsafe Pure function. @mirrors Telemetry.Metrics.counter/2
definition counter(std::string_view name, options o = {});
/// Adds the measurements up. @throws otp::badarg as counter.
/// @threadsafe Pure function. @mirrors Telemetry.Metrics.sum/2
definition sum(std::string_view name, options o = {});
/// Keeps the latest measurement. @throws otp::badarg as counter.
/// @threadsafe Pure function. @mirrors Telemetry.Metrics.last_value/2
definition last_value(std::string_view name, options o = {});
/// Quantiles of the measurements over a sliding window, with their count
/// and sum. @throws otp::badarg as counter, or for a quantile outside (0, 1).
/// @threadsafe Pure function. @mirrors Telemetry.Metrics.summary/2
definition summary(std::string_view name, options o = {});
/// A histogram of the measurements over `buckets`. @throws otp::badarg as
/// counter, or for buckets not strictly ascending.
/// @threadsafe Pure function. @mirrors Telemetry.Metrics.distribution/2
definition distribution(std::string_view name, options o = {});

/// `value` in `c.from` expressed in `c.to` (unchanged without a conversion).
/// @threadsafe Pure function.
double convert(double value, conversion c) noexcept;

/// The measurement `d` takes from `e`, converted; nullopt when the event
/// has none (or `d.measure` returns none). A counter's is 1.
/// @threadsafe As d.measure.
std::optional<double> measure(const definition& d, const telemetry::event& e);

/// The values of `d`'s tags for `e`, in the order of `d.tags`, into `out`
/// (cleared first): from d.tag_values' result, else the event's metadata
/// (integers in decimal, doubles shortest round-trip, booleans true/false,
/// pids <a.b.c>, exit reasons as otp::exit_reason::to_string).
/// @returns false when a tag has no value (the event is then not recorded
///   by a reporter, which counts it as dropped)
/// @threadsafe As d.tag_values.
bool tag_values(const definition& d, const telemetry::event& e, std::vector<std::string>& out);

}  // namespace otp::metrics

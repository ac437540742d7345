// otp::metrics: definitions in the manner of Telemetry.Metrics, unit
// conversion, and the tag values a reporter reads from an event.
#include "otp/tools/metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "otp/runtime/errors.hpp"

namespace {

namespace om = otp::metrics;
namespace telem = otp::telemetry;

// Calls `fn` with an event built from the given parts (a handler's view).
template <class F>
void metrics_test_with_event(std::vector<telem::measurement> ms,
                             std::vector<telem::metadata_entry> md, F&& fn) {
  const std::string_view name[] = {"metrics_test", "event"};
  fn(telem::event{name, ms, md});
}

}  // namespace

// The name splits into the event followed and the measurement taken.
TEST(Metrics, TheNameGivesTheEventAndTheMeasurement) {
  const om::definition d = om::sum("http.request.stop.duration");
  EXPECT_EQ(d.kind, om::kind::sum);
  EXPECT_EQ(d.event_name, (std::vector<std::string>{"http", "request", "stop"}));
  EXPECT_EQ(d.measurement, "duration");
  const om::definition o =
      om::last_value("queue.depth", {.event_name = {"queue", "sampled"}, .measurement = "length"});
  EXPECT_EQ(o.event_name, (std::vector<std::string>{"queue", "sampled"}));
  EXPECT_EQ(o.measurement, "length");
}

// Malformed definitions are refused when they are made, not when events come.
TEST(Metrics, MalformedDefinitionsAreBadarg) {
  EXPECT_THROW((void)om::counter("single"), otp::badarg);
  EXPECT_THROW((void)om::counter("a..b"), otp::badarg);
  EXPECT_THROW((void)om::counter("a.b", {.tags = {"1st"}}), otp::badarg);
  EXPECT_THROW((void)om::counter("a.b", {.tags = {"__reserved"}}), otp::badarg);
  EXPECT_THROW((void)om::sum("a.b", {.unit = {om::unit::nanosecond, om::unit::byte}}), otp::badarg);
  EXPECT_THROW((void)om::distribution("a.b", {.buckets = {1, 1, 2}}), otp::badarg);
  EXPECT_THROW((void)om::summary("a.b", {.quantiles = {0.5, 1.0}}), otp::badarg);
}

// Distributions default to Prometheus' buckets, summaries to three quantiles.
TEST(Metrics, DistributionAndSummaryHaveDefaults) {
  EXPECT_EQ(om::distribution("a.b").buckets.size(), 11u);
  EXPECT_EQ(om::summary("a.b").quantiles, (std::vector<double>{0.5, 0.9, 0.99}));
  EXPECT_TRUE(om::counter("a.b").buckets.empty());
}

// Conversions scale between units of one dimension.
TEST(Metrics, ConversionScalesWithinADimension) {
  EXPECT_DOUBLE_EQ(om::convert(1.5e9, {om::unit::nanosecond, om::unit::second}), 1.5);
  EXPECT_DOUBLE_EQ(om::convert(250, {om::unit::millisecond, om::unit::microsecond}), 250000);
  EXPECT_DOUBLE_EQ(om::convert(2048, {om::unit::byte, om::unit::kilobyte}), 2.048);
  EXPECT_DOUBLE_EQ(om::convert(7, {}), 7);
}

// measure reads the key and converts it; a counter's measure is 1 even
// when the event has no such measurement.
TEST(Metrics, MeasureReadsConvertsOrCountsOne) {
  const auto d = om::distribution("job.done.duration",
                                  {.unit = {om::unit::nanosecond, om::unit::millisecond}});
  metrics_test_with_event({{"duration", 3'000'000}}, {}, [&](const telem::event& e) {
    EXPECT_DOUBLE_EQ(*om::measure(d, e), 3.0);
    EXPECT_DOUBLE_EQ(*om::measure(om::counter("job.done.missing"), e), 1.0);
    EXPECT_FALSE(om::measure(om::sum("job.done.missing"), e).has_value());
  });
  const auto f = om::sum("job.done.twice", {.measure = [](const telem::event& e) {
                           return std::optional<double>(2 * *e.measurement_of("duration"));
                         }});
  metrics_test_with_event({{"duration", 4}}, {}, [&](const telem::event& e) {
    EXPECT_DOUBLE_EQ(*om::measure(f, e), 8.0);
  });
}

// Tag values come from tag_values first, then the metadata, formatted as text;
// a tag found in neither makes tag_values false.
TEST(Metrics, TagValuesFormatMetadataAndReportAMissingTag) {
  const auto d = om::counter(
      "a.b", {.tags = {"n", "ok", "ratio", "who", "region"}, .tag_values = [](const telem::event&) {
                return std::vector<std::pair<std::string, std::string>>{{"region", "eu"}};
              }});
  std::vector<std::string> out;
  metrics_test_with_event(
      {},
      {{"n", std::int64_t{-42}}, {"ok", true}, {"ratio", 0.25}, {"who", std::string_view("ann")}},
      [&](const telem::event& e) { EXPECT_TRUE(om::tag_values(d, e, out)); });
  EXPECT_EQ(out, (std::vector<std::string>{"-42", "true", "0.25", "ann", "eu"}));
  metrics_test_with_event({}, {{"n", std::int64_t{1}}},
                          [&](const telem::event& e) { EXPECT_FALSE(om::tag_values(d, e, out)); });
}

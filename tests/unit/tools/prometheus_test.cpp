// otp::prometheus_exporter: each metric kind aggregated per tag values, in
// the Prometheus text format that promtool accepts, and the node's gauges.
#include "otp/tools/prometheus.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/supervision.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace om = otp::metrics;
namespace telem = otp::telemetry;
using otp_test::quiet_manual;

// The value of the line `series value` in a scrape, or NaN when absent.
double prom_test_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return std::nan("");
}

otp::prometheus_options prom_test_no_vm() { return {.vm_metrics = false}; }

}  // namespace

// A counter counts the events per value of its tag, and moves after an event.
TEST(PrometheusExporter, CounterCountsEventsPerTagValue) {
  otp::node n(quiet_manual());
  otp::prometheus_exporter ex(n, {om::counter("ptest.orders.count", {.tags = {"method"}})},
                              prom_test_no_vm());
  EXPECT_TRUE(
      std::isnan(prom_test_value(ex.scrape(), R"(ptest_orders_count_total{method="card"})")));
  telem::execute({"ptest", "orders"}, {}, {{"method", std::string_view("card")}});
  EXPECT_EQ(prom_test_value(ex.scrape(), R"(ptest_orders_count_total{method="card"})"), 1);
  telem::execute({"ptest", "orders"}, {}, {{"method", std::string_view("card")}});
  telem::execute({"ptest", "orders"}, {}, {{"method", std::string_view("cash")}});
  const std::string text = ex.scrape();
  EXPECT_EQ(prom_test_value(text, R"(ptest_orders_count_total{method="card"})"), 2);
  EXPECT_EQ(prom_test_value(text, R"(ptest_orders_count_total{method="cash"})"), 1);
  EXPECT_NE(text.find("# TYPE ptest_orders_count_total counter"), std::string::npos);
  EXPECT_NE(text.find("# HELP ptest_orders_count_total "), std::string::npos);
}

// A sum adds the measurements (a negative one is dropped and counted); a
// last_value keeps the latest.
TEST(PrometheusExporter, SumAddsAndLastValueKeepsTheLatest) {
  otp::node n(quiet_manual());
  otp::prometheus_exporter ex(
      n, {om::sum("ptest.pay.amount"), om::last_value("ptest.pay.balance", {.tags = {"acct"}})},
      prom_test_no_vm());
  telem::execute({"ptest", "pay"}, {{"amount", 1250}, {"balance", 10}},
                 {{"acct", std::int64_t{7}}});
  telem::execute({"ptest", "pay"}, {{"amount", 300}, {"balance", 4}}, {{"acct", std::int64_t{7}}});
  telem::execute({"ptest", "pay"}, {{"amount", -5}, {"balance", 9}}, {{"acct", std::int64_t{8}}});
  const std::string text = ex.scrape();
  EXPECT_EQ(prom_test_value(text, "ptest_pay_amount_total"), 1550);
  EXPECT_EQ(prom_test_value(text, R"(ptest_pay_balance{acct="7"})"), 4);
  EXPECT_EQ(prom_test_value(text, R"(ptest_pay_balance{acct="8"})"), 9);
  EXPECT_EQ(
      prom_test_value(text, R"(otp_metrics_dropped_events_total{metric="ptest_pay_amount_total"})"),
      1);
  EXPECT_NE(text.find("# TYPE ptest_pay_balance gauge"), std::string::npos);
}

// A distribution converts ns to seconds, names the unit, and counts each
// observation in every bucket whose bound it does not exceed.
TEST(PrometheusExporter, DistributionFillsCumulativeBucketsInSeconds) {
  otp::node n(quiet_manual());
  otp::prometheus_exporter ex(
      n,
      {om::distribution("ptest.job.duration", {.unit = {om::unit::nanosecond, om::unit::second},
                                               .buckets = {0.001, 0.01, 0.1, 1}})},
      prom_test_no_vm());
  for (double ns : {5e5, 5e6, 5e7, 2e9}) telem::execute({"ptest", "job"}, {{"duration", ns}});
  const std::string text = ex.scrape();
  const std::string b = "ptest_job_duration_seconds_bucket";
  EXPECT_EQ(prom_test_value(text, b + R"({le="0.001"})"), 1);
  EXPECT_EQ(prom_test_value(text, b + R"({le="0.01"})"), 2);
  EXPECT_EQ(prom_test_value(text, b + R"({le="0.1"})"), 3);
  EXPECT_EQ(prom_test_value(text, b + R"({le="1"})"), 3);
  EXPECT_EQ(prom_test_value(text, b + R"({le="+Inf"})"), 4);
  EXPECT_EQ(prom_test_value(text, "ptest_job_duration_seconds_count"), 4);
  EXPECT_NEAR(prom_test_value(text, "ptest_job_duration_seconds_sum"), 2.0555, 1e-9);
  EXPECT_NE(text.find("# TYPE ptest_job_duration_seconds histogram"), std::string::npos);
}

// A summary reports its quantiles, count and sum.
TEST(PrometheusExporter, SummaryReportsQuantilesCountAndSum) {
  otp::node n(quiet_manual());
  otp::prometheus_exporter ex(n, {om::summary("ptest.req.size", {.quantiles = {0.5}})},
                              prom_test_no_vm());
  for (int i = 1; i <= 99; ++i) telem::execute({"ptest", "req"}, {{"size", i}});
  const std::string text = ex.scrape();
  EXPECT_EQ(prom_test_value(text, "ptest_req_size_count"), 99);
  EXPECT_EQ(prom_test_value(text, "ptest_req_size_sum"), 99 * 100 / 2);
  EXPECT_NEAR(prom_test_value(text, R"(ptest_req_size{quantile="0.5"})"), 50, 5);  // an estimate
  EXPECT_NE(text.find("# TYPE ptest_req_size summary"), std::string::npos);
}

// An event without a tag is skipped by that metric and counted as dropped.
TEST(PrometheusExporter, AnEventMissingATagIsDroppedAndCounted) {
  otp::node n(quiet_manual());
  otp::prometheus_exporter ex(n, {om::counter("ptest.login.count", {.tags = {"user"}})},
                              prom_test_no_vm());
  telem::execute({"ptest", "login"});
  const std::string text = ex.scrape();
  EXPECT_EQ(prom_test_value(
                text, R"(otp_metrics_dropped_events_total{metric="ptest_login_count_total"})"),
            1);
  EXPECT_EQ(text.find("ptest_login_count_total{"), std::string::npos);
}

// Quotes, backslashes and newlines in a tag value are escaped.
TEST(PrometheusExporter, OddTagValuesAreEscaped) {
  otp::node n(quiet_manual());
  otp::prometheus_exporter ex(n, {om::counter("ptest.odd.count", {.tags = {"who"}})},
                              prom_test_no_vm());
  telem::execute({"ptest", "odd"}, {}, {{"who", std::string_view("a\"b\\c\nd")}});
  EXPECT_EQ(prom_test_value(ex.scrape(), R"(ptest_odd_count_total{who="a\"b\\c\nd"})"), 1);
}

// Events from several threads while another scrapes all add up.
TEST(PrometheusExporter, EventsFromSeveralThreadsAddUpWhileScraping) {
  otp::node n(quiet_manual());
  otp::prometheus_exporter ex(n, {om::counter("ptest.par.count", {.tags = {"side"}})},
                              prom_test_no_vm());
  auto emit = [](std::string_view side) {
    for (int i = 0; i < 2000; ++i) telem::execute({"ptest", "par"}, {}, {{"side", side}});
  };
  std::thread a(emit, "left"), b(emit, "right");
  for (int i = 0; i < 20; ++i) (void)ex.scrape();
  a.join();
  b.join();
  const std::string text = ex.scrape();
  EXPECT_EQ(prom_test_value(text, R"(ptest_par_count_total{side="left"})"), 2000);
  EXPECT_EQ(prom_test_value(text, R"(ptest_par_count_total{side="right"})"), 2000);
}

// Destroying the exporter detaches its handlers.
TEST(PrometheusExporter, DestroyingTheExporterDetachesItsHandlers) {
  otp::node n(quiet_manual());
  {
    otp::prometheus_exporter ex(n, {om::counter("ptest.gone.count"), om::sum("ptest.gone.size")});
    EXPECT_EQ(telem::list_handlers({"ptest", "gone"}).size(), 1u);  // one per event
  }
  EXPECT_TRUE(telem::list_handlers({"ptest", "gone"}).empty());
}

// Two definitions with one exported name are refused.
TEST(PrometheusExporter, TwoMetricsWithOneNameAreBadarg) {
  otp::node n(quiet_manual());
  EXPECT_THROW(
      otp::prometheus_exporter(n, {om::counter("ptest.dup.count"), om::sum("ptest.dup.count")}),
      otp::badarg);
  EXPECT_THROW(otp::prometheus_exporter(n, {om::last_value("otp.vm.processes")}), otp::badarg);
  EXPECT_TRUE(telem::list_handlers({"ptest", "dup"}).empty());
}

// The node's gauges come from otp::statistics at scrape time.
TEST(PrometheusExporter, VmMetricsShowTheNodesProcessesAndQueues) {
  otp::node n(quiet_manual());
  for (int i = 0; i < 3; ++i) n.spawn(otp_test::wait_forever);
  otp::prometheus_exporter ex(n, {});
  std::string text = ex.scrape();
  EXPECT_EQ(prom_test_value(text, "otp_vm_processes"), 3);
  EXPECT_EQ(prom_test_value(text, R"(otp_vm_run_queue_length{queue="global"})"), 3);
  EXPECT_EQ(prom_test_value(text, "otp_vm_processes_spawned_total"), 3);
  n.run_until_idle();
  text = ex.scrape();
  EXPECT_EQ(prom_test_value(text, R"(otp_vm_run_queue_length{queue="global"})"), 0);
  EXPECT_GT(prom_test_value(text, R"(otp_vm_memory_bytes{kind="process_table"})"), 0);
  EXPECT_EQ(prom_test_value(text, "otp_vm_process_limit"), n.options().max_processes);
}

// promtool accepts the output, with no lint complaint about our names.
TEST(PrometheusExporter, PromtoolChecksTheScrapeWithoutComplaint) {
  if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "promtool is not installed";
  otp::node n({.schedulers = 2, .on_report = [](const otp::report&) {}});
  otp::prometheus_exporter ex(
      n, {om::counter("ptest.lint.count", {.tags = {"who"}}),
          om::sum("ptest.lint.bytes", {.unit = {om::unit::byte, om::unit::byte}}),
          om::last_value("ptest.lint.depth"), om::summary("ptest.lint.size"),
          om::distribution("ptest.lint.duration",
                           {.unit = {om::unit::nanosecond, om::unit::second}})});
  telem::execute({"ptest", "lint"}, {{"bytes", 10}, {"depth", 3}, {"size", 7}, {"duration", 1e6}},
                 {{"who", std::string_view("x\"y\\z\n")}});
  otp_test::temp_dir dir;
  const auto file = dir.path / "scrape.prom";
  const auto report = dir.path / "promtool.out";
  std::ofstream(file) << ex.scrape();
  const std::string cmd =
      "/usr/bin/promtool check metrics < " + file.string() + " > " + report.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(report);
  const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << said;
  EXPECT_EQ(said, "");
}

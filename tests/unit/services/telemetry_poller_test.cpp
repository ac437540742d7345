// otp::telemetry_poller against telemetry_poller's rules: measurements every
// period after init_delay, the VM events, and a failing custom measurement
// removed.
#include "otp/services/telemetry_poller.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "otp/otp.hpp"
#include "support/supervision.hpp"
#include "support/telemetry_capture.hpp"

namespace {

using namespace std::chrono_literals;

otp::proc poller_test_quick() { co_return; }

// Rule: every period the poller emits the VM events it was given; the
// otp.processes event counts the processes spawned and exited during that
// period only.
TEST(TelemetryPoller, EmitsTheVmEventsEveryPeriod) {
  otp_test::event_recorder rec("tp-vm", {{"vm", "memory"},
                                         {"vm", "total_run_queue_lengths"},
                                         {"vm", "system_counts"},
                                         {"otp", "processes"}});
  otp::node n(otp_test::quiet_manual());
  otp::mailbox mb(n);
  auto p = otp::telemetry_poller::start_link({.period = 100ms, .init_delay = 10ms}).get();
  ASSERT_TRUE(p.is_ok());
  n.run_until_idle();
  EXPECT_TRUE(rec.all().empty());  // init_delay has not passed
  n.advance(10ms);
  ASSERT_EQ(rec.all().size(), 4u);
  const auto counts = rec.named("vm.system_counts");
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].measure("process_count"), static_cast<double>(n.process_count()));
  EXPECT_GT(*counts[0].measure("process_limit"), 0.0);
  EXPECT_GT(*rec.named("vm.memory")[0].measure("total"), 0.0);
  EXPECT_EQ(rec.named("vm.total_run_queue_lengths")[0].measure("io"), 0.0);

  for (int i = 0; i < 3; ++i) n.spawn(poller_test_quick);
  n.run_until_idle();
  n.advance(99ms);
  EXPECT_EQ(rec.named("otp.processes").size(), 1u);  // the period has not passed
  n.advance(1ms);
  const auto procs = rec.named("otp.processes");
  ASSERT_EQ(procs.size(), 2u);
  EXPECT_EQ(procs[1].measure("spawned"), 3.0);
  EXPECT_EQ(procs[1].measure("exited"), 3.0);
}

// Rule: only the measurements asked for are taken; a custom measurement
// runs every round, and one that throws is removed (and logged) while the
// others go on.
TEST(TelemetryPoller, AThrowingCustomMeasurementIsRemoved) {
  otp_test::event_recorder rec("tp-custom", {{"vm", "memory"}, {"tp", "custom"}});
  otp::node n(otp_test::quiet_manual());
  otp::mailbox mb(n);
  int calls = 0;
  auto p = otp::telemetry_poller::start_link(
               {.period = 50ms,
                .vm = {otp::vm_measurement::system_counts},
                .custom = {[&] {
                             ++calls;
                             otp::telemetry::execute({"tp", "custom"}, {{"calls", calls}});
                           },
                           [] { throw std::runtime_error("tp broken probe"); }}})
               .get();
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(otp::telemetry_poller::custom_count(p.ref()).get(), 2u);
  n.advance(1ms);
  n.advance(50ms);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(rec.named("tp.custom").size(), 2u);
  EXPECT_TRUE(rec.named("vm.memory").empty());
  EXPECT_EQ(otp::telemetry_poller::custom_count(p.ref()).get(), 1u);
}

// Rule: a period <= 0 or a negative init_delay fails the start.
TEST(TelemetryPoller, ABadPeriodFailsTheStart) {
  otp::node n(otp_test::quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto p = otp::telemetry_poller::start_link({.period = 0ms}).get();
  ASSERT_TRUE(p.is_error());
  EXPECT_EQ(p.reason.to_string(), "{bad_period,0,0}");
}

}  // namespace

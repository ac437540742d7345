// Stages: how demand flows upstream and events downstream. A consumer asks
// for max_demand, handles events in batches of max - min and asks again
// when its demand falls to min_demand; a producer_consumer handles events
// only while its own consumers have demand; manual demand; a producer's
// accumulated demand.
//
// Mirrors the "producer-to-consumer demand",
// "producer-producer_consumer-consumer demand", "demand" and "manual demand"
// groups of GenStage's test suite.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

#include "otp/otp.hpp"
#include "support/stages.hpp"

namespace {

using otp_test::consumed;
using otp_test::counter;
using otp_test::demanded;
using otp_test::doubler;
using otp_test::forwarder;
using otp_test::passed;
using otp_test::range;

class GenStageDemand : public otp_test::stage_fixture {};

TEST_F(GenStageDemand, WithDefaultMaxAndMinDemandBatchesAre500) {
  const otp::pid p = start_counter().get_pid();
  start_forwarder({.subscribe_to = {{p}}});
  EXPECT_EQ(next_batch(), range(0, 499));
  EXPECT_EQ(next_batch(), range(500, 999));
}

TEST_F(GenStageDemand, With80PercentMinDemandBatchesAre20AndTheRefillIsAskedAt80) {
  const otp::pid p = start_counter().get_pid();
  start_forwarder({.subscribe_to = {{p, {.max_demand = 100, .min_demand = 80}}}});
  EXPECT_EQ(mb.receive<demanded>().n, 100u);  // the first ask: max_demand
  EXPECT_EQ(next_batch(), range(0, 19));
  EXPECT_EQ(next_batch(), range(20, 39));
  EXPECT_EQ(mb.receive<demanded>().n, 20u);  // after the first batch: back to 100
}

TEST_F(GenStageDemand, With20PercentMinDemandBatchesAre80ThenTheRest) {
  const otp::pid p = start_counter().get_pid();
  start_forwarder({.subscribe_to = {{p, {.max_demand = 100, .min_demand = 20}}}});
  EXPECT_EQ(next_batch(), range(0, 79));
  EXPECT_EQ(next_batch(), range(80, 99));
  EXPECT_EQ(next_batch(), range(100, 179));
  EXPECT_EQ(next_batch(), range(180, 259));
  EXPECT_EQ(next_batch(), range(260, 279));
}

TEST_F(GenStageDemand, WithMax1AndMin0EventsComeOneByOne) {
  const otp::pid p = start_counter().get_pid();
  auto c = start_forwarder();
  auto r = otp::gen_stage::sync_subscribe(c, otp::stage_ref<counter>(p),
                                          {.max_demand = 1, .min_demand = 0})
               .get();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(next_batch(), std::vector<long>{0});
  EXPECT_EQ(next_batch(), std::vector<long>{1});
  EXPECT_EQ(next_batch(), std::vector<long>{2});
}

std::vector<long> twice(const std::vector<long>& v) {
  std::vector<long> out;
  for (long x : v) {
    out.push_back(x);
    out.push_back(x);
  }
  return out;
}

TEST_F(GenStageDemand, AProducerConsumerPassesEventsThroughWithInitSubscriptions) {
  const otp::pid p = start_counter().get_pid();
  auto d = otp::gen_stage::start<doubler>(
               {}, mb.self(),
               otp::stage_options{.subscribe_to = {{p, {.max_demand = 100, .min_demand = 80}}}})
               .get();
  ASSERT_TRUE(d.is_ok());
  start_forwarder({.subscribe_to = {{d.child, {.max_demand = 100, .min_demand = 50}}}});
  EXPECT_EQ(mb.receive<passed>().events, range(0, 19));
  EXPECT_EQ(next_batch(), twice(range(0, 19)));
}

TEST_F(GenStageDemand, AProducerConsumerSubscribedLateStillBatchesByItsOptions) {
  const otp::pid p = start_counter().get_pid();
  auto d = otp::gen_stage::start<doubler>({}, mb.self(), otp::stage_options{}).get();
  auto c = start_forwarder();
  ASSERT_TRUE(
      otp::gen_stage::sync_subscribe(c, d.ref(), {.max_demand = 100, .min_demand = 50}).get().ok());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(d.ref(), otp::stage_ref<counter>(p),
                                             {.max_demand = 100, .min_demand = 20})
                  .get()
                  .ok());
  EXPECT_EQ(mb.receive<passed>().events, range(0, 79));
  // 160 emitted, 100 asked: the consumer's batches are 50.
  EXPECT_EQ(next_batch(), twice(range(0, 24)));
  EXPECT_EQ(next_batch(), twice(range(25, 49)));
}

// A producer_consumer handles upstream events only while its consumers have
// demand: once its one consumer stops asking, it stops asking upstream too.
TEST_F(GenStageDemand, AProducerConsumerStopsAskingWhenItsConsumerStopsAsking) {
  const otp::pid p = start_counter().get_pid();
  auto d = otp::gen_stage::start<doubler>(
               {}, mb.self(),
               otp::stage_options{.subscribe_to = {{p, {.max_demand = 10, .min_demand = 8}}}})
               .get();
  ASSERT_TRUE(d.is_ok());
  auto c = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c, d.ref(), {.max_demand = 10}).get().ok());
  const auto from = mb.receive<otp::stage_from>();
  otp::gen_stage::ask(from, 10);  // once, and never again
  // The 10 events first asked come in 5 batches of 2; their 20 copies
  // exceed the 10 asked, so the rest is buffered and nothing more handled.
  for (long i = 0; i < 10; i += 2) EXPECT_EQ(mb.receive<passed>().events, range(i, i + 1));
  std::vector<long> got;
  while (got.size() < 10) {
    auto b = next_batch();
    got.insert(got.end(), b.begin(), b.end());
  }
  EXPECT_EQ(got, twice(range(0, 4)));
  idle_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(none_queued<passed>()) << "the producer_consumer handled events nobody asked for";
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(d.ref()).get(), 10u);
}

TEST_F(GenStageDemand, ManualDemandSendsNothingUntilTheConsumerAsks) {
  const otp::pid p = start_counter().get_pid();
  auto c = start_forwarder({.subscribe_to = {{p}}}, otp::demand_mode::manual);
  (void)c;
  const auto from = mb.receive<otp::stage_from>();
  idle_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(none_queued<consumed>());
  otp::gen_stage::ask(from, 3);
  EXPECT_EQ(next_batch(), range(0, 2));  // one batch, however large
  otp::gen_stage::ask(from, 2000);
  EXPECT_EQ(next_batch(), range(3, 2002));
}

TEST_F(GenStageDemand, AccumulateOnInitHoldsDemandUntilForwardThenHandsItOnInOrder) {
  auto p = otp::gen_stage::start<counter>(
               {}, 0L, mb.self(), otp::stage_options{.demand = otp::producer_demand::accumulate})
               .get();
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(otp::gen_stage::demand(p.ref()).get(), otp::producer_demand::accumulate);
  start_forwarder({.subscribe_to = {{p.child, {.max_demand = 10}}}});
  start_forwarder({.subscribe_to = {{p.child, {.max_demand = 10}}}});
  idle_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(none_queued<demanded>()) << "handle_demand ran while accumulating";
  otp::gen_stage::demand(p.ref(), otp::producer_demand::forward).get();
  // Each consumer's ask, in the order they came, not combined.
  EXPECT_EQ(mb.receive<demanded>().n, 10u);
  EXPECT_EQ(mb.receive<demanded>().n, 10u);
  EXPECT_EQ(otp::gen_stage::demand(p.ref()).get(), otp::producer_demand::forward);
}

}  // namespace

// Stages: the broadcast dispatcher (every event to every consumer, through
// its selector; the slowest consumer sets the pace) and the partition
// dispatcher (each event to the consumer of its partition).
//
// Mirrors the cases of GenStage's broadcast_dispatcher_test and
// partition_dispatcher_test, through whole stages.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/stages.hpp"

namespace {

using otp_test::counter;
using otp_test::range;

/// What a labelled consumer got.
struct got {
  std::string label;
  std::vector<long> events;
};

/// Sends each batch to the test with its label; demand as told.
struct labelled {
  using in = long;
  otp::pid test;
  std::string label;
  otp::demand_mode mode;
  labelled(otp::pid t, std::string l, otp::demand_mode m = otp::demand_mode::automatic)
      : test(t), label(std::move(l)), mode(m) {}
  otp::demand_mode handle_subscribe(otp::stage_peer, const otp::subscription_options&,
                                    otp::stage_from from) {
    otp::send(test, from);
    return mode;
  }
  void handle_events(std::vector<long> events, otp::stage_from) {
    otp::send(test, got{label, std::move(events)});
  }
};

/// A counter whose partition is the event modulo 3 (none for 5: dropped).
struct mod3_counter : counter {
  using counter::counter;
  std::optional<std::size_t> partition(const long& e) const {
    if (e == 5) return std::nullopt;
    return static_cast<std::size_t>(e % 3);
  }
};

class GenStageDispatcher : public otp_test::stage_fixture {
 protected:
  otp::stage_ref<labelled> start_labelled(const std::string& l,
                                          otp::demand_mode m = otp::demand_mode::automatic) {
    auto s = otp::gen_stage::start<labelled>(mb.self(), l, m).get();
    EXPECT_TRUE(s.is_ok());
    return s.ref();
  }
  /// Every event `label` got until nothing more comes.
  std::vector<long> all_of(const std::string& label) {
    std::vector<long> out;
    for (;;) {
      auto g = mb.receive(otp::when([&](const got& x) { return x.label == label; },
                                    [](got&& x) { return std::optional(std::move(x)); }),
                          otp::after(100, [] { return std::optional<got>(); }));
      if (!g) return out;
      out.insert(out.end(), g->events.begin(), g->events.end());
    }
  }
};

TEST_F(GenStageDispatcher, BroadcastSendsEveryEventToEveryConsumer) {
  auto p = start_counter(
      0, {.demand = otp::producer_demand::accumulate, .dispatcher = otp::broadcast_dispatch{}},
      100);
  auto a = start_labelled("a");
  auto b = start_labelled("b");
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(a, p, {.max_demand = 10}).get().ok());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(b, p, {.max_demand = 10}).get().ok());
  otp::gen_stage::demand(p, otp::producer_demand::forward).get();
  EXPECT_EQ(all_of("a"), range(0, 99));
  EXPECT_EQ(all_of("b"), range(0, 99));
}

TEST_F(GenStageDispatcher, BroadcastGoesAtThePaceOfTheSlowestConsumer) {
  auto p = start_counter(0, {.dispatcher = otp::broadcast_dispatch{}}, 100);
  auto slow = start_labelled("slow", otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(slow, p, {.max_demand = 10}).get().ok());
  const auto from = mb.receive<otp::stage_from>();
  auto fast = start_labelled("fast");
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(fast, p, {.max_demand = 10}).get().ok());
  otp::gen_stage::ask(from, 3);
  EXPECT_EQ(all_of("fast"), range(0, 2));  // no more than the slow one asked for
  EXPECT_EQ(all_of("slow"), range(0, 2));
  otp::gen_stage::ask(from, 4);
  EXPECT_EQ(all_of("fast"), range(3, 6));
}

TEST_F(GenStageDispatcher, ABroadcastSelectorFiltersAndTheFilteredOutAreAskedAgain) {
  auto p = start_counter(
      0, {.demand = otp::producer_demand::accumulate, .dispatcher = otp::broadcast_dispatch{}}, 40);
  auto evens = start_labelled("evens");
  auto all = start_labelled("all");
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(
                  evens, p, {.max_demand = 10, .selector = otp::selector<long>([](const long& x) {
                                                 return x % 2 == 0;
                                               })})
                  .get()
                  .ok());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(all, p, {.max_demand = 10}).get().ok());
  otp::gen_stage::demand(p, otp::producer_demand::forward).get();
  std::vector<long> even_numbers;
  for (long x = 0; x < 40; x += 2) even_numbers.push_back(x);
  EXPECT_EQ(all_of("evens"), even_numbers);
  EXPECT_EQ(all_of("all"), range(0, 39));
}

TEST_F(GenStageDispatcher, ASecondBroadcastSubscriptionOfOneConsumerIsRefusedAndTheFirstKept) {
  auto p = start_counter(0, {.dispatcher = otp::broadcast_dispatch{}}, 30);
  auto c = start_labelled("c", otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c, p, {.max_demand = 10}).get().ok());
  const auto first = mb.receive<otp::stage_from>();
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c, p, {.max_demand = 10}).get().ok());
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(otp::is_alive(c.get_pid()));
  otp::gen_stage::ask(first, 5);
  EXPECT_EQ(all_of("c"), range(0, 4));
}

TEST_F(GenStageDispatcher, EachEventGoesToTheConsumerOfItsPartition) {
  auto s = otp::gen_stage::start<mod3_counter>(
               0L, mb.self(),
               otp::stage_options{.demand = otp::producer_demand::accumulate,
                                  .dispatcher = otp::partition_dispatch{3}},
               12L)
               .get();
  ASSERT_TRUE(s.is_ok());
  for (std::size_t i = 0; i < 3; ++i) {
    auto c = start_labelled("p" + std::to_string(i));
    ASSERT_TRUE(
        otp::gen_stage::sync_subscribe(c, s.ref(), {.max_demand = 10, .partition = i}).get().ok());
  }
  otp::gen_stage::demand(s.ref(), otp::producer_demand::forward).get();
  EXPECT_EQ(all_of("p0"), (std::vector<long>{0, 3, 6, 9}));
  EXPECT_EQ(all_of("p1"), (std::vector<long>{1, 4, 7, 10}));
  EXPECT_EQ(all_of("p2"), (std::vector<long>{2, 8, 11}));  // 5: no partition, dropped
}

TEST_F(GenStageDispatcher, WithoutAPartitionFunctionEventsArePartitionedByTheirHash) {
  auto p = start_counter(
      0, {.demand = otp::producer_demand::accumulate, .dispatcher = otp::partition_dispatch{2}},
      10);
  auto a = start_labelled("a");
  auto b = start_labelled("b");
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(a, p, {.partition = 0}).get().ok());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(b, p, {.partition = 1}).get().ok());
  otp::gen_stage::demand(p, otp::producer_demand::forward).get();
  std::vector<long> in_a;
  std::vector<long> in_b;
  for (long x = 0; x < 10; ++x) (std::hash<long>{}(x) % 2 == 0 ? in_a : in_b).push_back(x);
  EXPECT_EQ(all_of("a"), in_a);
  EXPECT_EQ(all_of("b"), in_b);
}

TEST_F(GenStageDispatcher, AMissingTakenOrUnknownPartitionCancelsTheSubscription) {
  auto p = start_counter(0, {.dispatcher = otp::partition_dispatch{2}});
  auto none = start_labelled("none");
  const otp::ref m1 = otp::monitor(none.get_pid());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(none, p).get().ok());
  EXPECT_EQ(down_of(m1), otp::exit_reason::other("{bad_partition,none}"));

  auto far = start_labelled("far");
  const otp::ref m2 = otp::monitor(far.get_pid());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(far, p, {.partition = 7}).get().ok());
  EXPECT_EQ(down_of(m2), otp::exit_reason::other("{bad_partition,7}"));

  auto first = start_labelled("first");
  auto second = start_labelled("second");
  const otp::ref m3 = otp::monitor(second.get_pid());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(first, p, {.partition = 0}).get().ok());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(second, p, {.partition = 0}).get().ok());
  EXPECT_EQ(down_of(m3), otp::exit_reason::other("{partition_taken,0}"));
  EXPECT_TRUE(otp::is_alive(p.get_pid()));
}

TEST_F(GenStageDispatcher, EventsOfAPartitionWithoutAConsumerWaitForOne) {
  auto p = start_counter(0, {.dispatcher = otp::partition_dispatch{2}}, 10);
  auto a = start_labelled("a");
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(a, p, {.max_demand = 10, .partition = 0}).get().ok());
  std::vector<long> in_b;
  for (long x : range(0, 9))
    if (std::hash<long>{}(x) % 2 == 1) in_b.push_back(x);
  (void)all_of("a");
  auto b = start_labelled("b");
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(b, p, {.max_demand = 10, .partition = 1}).get().ok());
  EXPECT_EQ(all_of("b"), in_b);
}

}  // namespace

// Stages fed from plain code: gen_stage::from_enumerable and from_generator
// emit a container's or a generator's items as consumers ask, then stop
// with reason normal once the last ones have gone out; async_info and
// sync_info queue a message behind the events a producer has buffered.
//
// Mirrors the "from_enumerable/2" and "async_info/2" cases of GenStage's
// test suite.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "otp/services/enumerable_stage.hpp"
#include "support/stages.hpp"

namespace {

using otp::cancel_mode;
using otp::exit_reason;
using otp_test::counter;
using otp_test::forwarder;
using otp_test::range;

class GenStageEnumerable : public otp_test::stage_fixture {
 protected:
  /// A forwarder subscribed to `p` (max_demand `max`, cancel `mode`).
  template <class P>
  otp::stage_ref<forwarder> consumer_of(const otp::stage_ref<P>& p, std::size_t max,
                                        cancel_mode mode = cancel_mode::permanent) {
    auto c = start_forwarder();
    EXPECT_TRUE(
        otp::gen_stage::sync_subscribe(c, p, {.max_demand = max, .cancel = mode}).get().ok());
    EXPECT_EQ(next_seen(), "subscribe producer");
    (void)mb.receive<otp::stage_from>();
    return c;
  }
  /// The events the consumer gets until it has `n`.
  std::vector<long> collect(std::size_t n) {
    std::vector<long> all;
    while (all.size() < n) {
      auto b = next_batch();
      all.insert(all.end(), b.begin(), b.end());
    }
    return all;
  }
};

TEST_F(GenStageEnumerable, FromEnumerableEmitsTheItemsInOrderThenStopsNormal) {
  auto p = otp::gen_stage::from_enumerable(range(1, 25), {.link = false}).get();
  ASSERT_TRUE(p.is_ok()) << p.to_string();
  const otp::ref pm = otp::monitor(p.child);
  auto c = consumer_of(p.ref(), 10, cancel_mode::transient);
  EXPECT_EQ(collect(25), range(1, 25));
  EXPECT_TRUE(down_of(pm).is_normal());
  EXPECT_EQ(next_seen(), "cancel down normal");  // transient: the consumer goes on
  EXPECT_TRUE(otp::is_alive(c.get_pid()));
}

TEST_F(GenStageEnumerable, APermanentConsumerStopsNormalWithTheEnumerable) {
  auto p =
      otp::gen_stage::from_enumerable(std::vector<long>{7, 8, 9},
                                      {.link = false, .demand = otp::producer_demand::accumulate})
          .get();
  auto c = consumer_of(p.ref(), 10);
  const otp::ref cm = otp::monitor(c.get_pid());
  otp::gen_stage::demand(p.ref(), otp::producer_demand::forward).get();
  EXPECT_EQ(next_batch(), (std::vector<long>{7, 8, 9}));
  EXPECT_TRUE(down_of(cm).is_normal());
}

TEST_F(GenStageEnumerable, AGeneratorIsCalledOnlyForWhatConsumersAsk) {
  auto calls = std::make_shared<long>(0);
  auto p = otp::gen_stage::from_generator([calls]() { return std::optional<long>((*calls)++); },
                                          {.link = false})
               .get();
  auto c = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c, p.ref(), {.max_demand = 100}).get().ok());
  (void)next_seen();
  const auto from = mb.receive<otp::stage_from>();
  otp::gen_stage::ask(from, 5);
  EXPECT_EQ(next_batch(), range(0, 4));
  idle_for(std::chrono::milliseconds(10));
  EXPECT_EQ(*calls, 5);  // an endless source, back-pressured
  EXPECT_TRUE(otp::is_alive(p.child));
}

TEST_F(GenStageEnumerable, AccumulateHoldsTheItemsUntilDemandIsForwarded) {
  auto p = otp::gen_stage::from_enumerable(
               range(1, 6), {.link = false, .demand = otp::producer_demand::accumulate})
               .get();
  auto c = consumer_of(p.ref(), 10, cancel_mode::temporary);
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<otp_test::consumed>());
  otp::gen_stage::demand(p.ref(), otp::producer_demand::forward).get();
  EXPECT_EQ(collect(6), range(1, 6));
}

TEST_F(GenStageEnumerable, OnCancelStopEndsTheProducerWhenItsLastConsumerLeaves) {
  auto p =
      otp::gen_stage::from_generator([] { return std::optional<long>(1); },
                                     {.link = false, .on_cancel = otp::enumerable_cancel::stop})
          .get();
  const otp::ref pm = otp::monitor(p.child);
  auto a = start_forwarder({}, otp::demand_mode::manual);
  auto b = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(
      otp::gen_stage::sync_subscribe(a, p.ref(), {.cancel = cancel_mode::temporary}).get().ok());
  ASSERT_TRUE(
      otp::gen_stage::sync_subscribe(b, p.ref(), {.cancel = cancel_mode::temporary}).get().ok());
  (void)next_seen();
  (void)mb.receive<otp::stage_from>();
  (void)next_seen();
  (void)mb.receive<otp::stage_from>();
  otp::exit(a.get_pid(), exit_reason::kill());
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(otp::is_alive(p.child));  // one consumer left
  otp::exit(b.get_pid(), exit_reason::kill());
  EXPECT_TRUE(down_of(pm).is_normal());
}

TEST_F(GenStageEnumerable, OnCancelContinueKeepsTheProducerForConsumersToCome) {
  auto p =
      otp::gen_stage::from_generator([] { return std::optional<long>(1); }, {.link = false}).get();
  auto a = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(
      otp::gen_stage::sync_subscribe(a, p.ref(), {.cancel = cancel_mode::temporary}).get().ok());
  otp::exit(a.get_pid(), exit_reason::kill());
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(otp::is_alive(p.child));
}

TEST_F(GenStageEnumerable, AThrowingSourceCrashesTheProducer) {
  auto p = otp::gen_stage::from_generator(
               // An exit, not a std::exception: the crash report then has no
               // stack trace to symbolise (seconds in this big test binary).
               []() -> std::optional<long> {
                 throw otp::exit_error(exit_reason::other("source broke"));
               },
               {.link = false})
               .get();
  const otp::ref pm = otp::monitor(p.child);
  auto c = consumer_of(p.ref(), 10, cancel_mode::temporary);
  EXPECT_EQ(down_of(pm), exit_reason::other("source broke"));
  (void)c;
}

/// A counter that reports the infos it gets.
struct informed : counter {
  using counter::counter;
  struct note {
    std::string text;
  };
  void handle_info(note& n) { otp::send(test, otp_test::seen{n.text}); }
};

TEST_F(GenStageEnumerable, AsyncInfoArrivesAfterTheEventsBufferedBeforeIt) {
  auto s = otp::gen_stage::start<informed>({}, 0L, mb.self(), otp::stage_options{}, 3000L).get();
  auto p = s.ref();
  otp::cast(p, counter::emit{range(100, 102)});  // no consumer: buffered
  otp::gen_stage::async_info(p, informed::note{"after the buffer"});
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<otp_test::seen>());
  auto c = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c, p, {.max_demand = 10}).get().ok());
  EXPECT_EQ(next_seen(), "subscribe producer");
  const auto from = mb.receive<otp::stage_from>();
  otp::gen_stage::ask(from, 2);
  EXPECT_EQ(next_batch(), range(100, 101));
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<otp_test::seen>());  // one event still buffered
  otp::gen_stage::ask(from, 1);
  EXPECT_EQ(next_batch(), range(102, 102));
  EXPECT_EQ(next_seen(), "after the buffer");
}

TEST_F(GenStageEnumerable, SyncInfoWithAnEmptyBufferDeliversAtOnce) {
  auto s = otp::gen_stage::start<informed>({}, 0L, mb.self(), otp::stage_options{}, 3000L).get();
  otp::gen_stage::sync_info(s.ref(), informed::note{"now"}).get();
  EXPECT_EQ(next_seen(), "now");
}

TEST_F(GenStageEnumerable, ABufferThatDiscardsStillDeliversTheInfo) {
  auto s = otp::gen_stage::start<informed>({}, 0L, mb.self(), otp::stage_options{.buffer_size = 2},
                                           3000L)
               .get();
  otp::cast(s.ref(), counter::emit{range(1, 2)});
  otp::gen_stage::async_info(s.ref(), informed::note{"behind 1 and 2"});
  otp::cast(s.ref(), counter::emit{range(3, 4)});  // pushes 1 and 2 out
  EXPECT_EQ(next_seen(), "behind 1 and 2");
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(s.ref()).get(), 2u);
}

TEST_F(GenStageEnumerable, AsyncInfoWaitsForEventsParkedInAPartition) {
  auto p = otp::gen_stage::start<informed>(
               {}, 0L, mb.self(), otp::stage_options{.dispatcher = otp::partition_dispatch{2}}, 0L)
               .get()
               .ref();
  auto c0 = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c0, p, {.partition = 0}).get().ok());
  EXPECT_EQ(next_seen(), "subscribe producer");
  otp::gen_stage::ask(mb.receive<otp::stage_from>(), 4);
  otp::cast(p, counter::emit{{1, 3}});  // odd: partition 1, which has no consumer yet
  otp::gen_stage::async_info(p, informed::note{"after the parked"});
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<otp_test::seen>());
  auto c1 = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c1, p, {.partition = 1}).get().ok());
  EXPECT_EQ(next_seen(), "subscribe producer");
  otp::gen_stage::ask(mb.receive<otp::stage_from>(), 2);
  EXPECT_EQ(next_batch(), (std::vector<long>{1, 3}));
  EXPECT_EQ(next_seen(), "after the parked");
}

TEST_F(GenStageEnumerable, AsyncInfoWaitsForTheEventsAnAccumulatingProducerHolds) {
  auto p =
      otp::gen_stage::start<informed>(
          {}, 0L, mb.self(), otp::stage_options{.demand = otp::producer_demand::accumulate}, 0L)
          .get()
          .ref();
  auto c = start_forwarder({.subscribe_to = {{p.get_pid()}}});
  EXPECT_EQ(next_seen(), "subscribe producer");
  otp::cast(p, counter::emit{{1, 2}});  // held with the demand
  otp::gen_stage::async_info(p, informed::note{"after 1 and 2"});
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<otp_test::seen>());
  otp::gen_stage::demand(p, otp::producer_demand::forward).get();
  EXPECT_EQ(next_batch(), range(1, 2));
  EXPECT_EQ(next_seen(), "after 1 and 2");
  (void)c;
}

/// A doubler that reports the infos it gets.
struct informed_doubler : otp_test::doubler {
  using doubler::doubler;
  void handle_info(informed::note& n) { otp::send(test, otp_test::seen{n.text}); }
};

TEST_F(GenStageEnumerable, AsyncInfoToAProducerConsumerWaitsForItsQueuedEvents) {
  auto p = start_counter(0, {}, 4);
  auto d =
      otp::gen_stage::start<informed_doubler>(
          {}, mb.self(), otp::stage_options{.subscribe_to = {{p.get_pid(), {.max_demand = 4}}}})
          .get()
          .ref();
  auto c = start_forwarder({.subscribe_to = {{d.get_pid()}}}, otp::demand_mode::manual);
  EXPECT_EQ(next_seen(), "subscribe producer");
  const auto from = mb.receive<otp::stage_from>();
  idle_for(std::chrono::milliseconds(10));  // 0..3 wait in the doubler's queue
  otp::gen_stage::async_info(d, informed::note{"behind the queue"});
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<otp_test::seen>());
  otp::gen_stage::ask(from, 8);
  EXPECT_EQ(collect(8), (std::vector<long>{0, 0, 1, 1, 2, 2, 3, 3}));
  // The info is next in the queue, taken (as GenStage) once there is demand.
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(none_queued<otp_test::seen>());
  otp::gen_stage::ask(from, 1);
  EXPECT_EQ(next_seen(), "behind the queue");
  (void)c;
}

}  // namespace

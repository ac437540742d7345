// Stages: subscribing (sync and async, at init and later), bad options, a
// producer that is not there, protocol messages that arrive where they do
// not belong, the producer's buffer of events nobody asked for, and a
// producer's call that emits events with its reply.
//
// Mirrors the "sync_subscribe/2", "$gen_producer message errors",
// "$gen_consumer message errors" and "buffer" groups of GenStage's test
// suite, and adds the event type check this library makes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "otp/services/detail/stage_protocol.hpp"
#include "support/exit_of.hpp"
#include "support/stages.hpp"

namespace {

using otp_test::counter;
using otp_test::forwarder;
using otp_test::range;

class GenStageSubscribe : public otp_test::stage_fixture {};
class GenStageBuffer : public otp_test::stage_fixture {};

/// A counter that keeps its discards out of the log (telling the test how
/// many) and emits the events a call brings.
struct quiet_counter : counter {
  using counter::counter;
  struct discards {
    std::size_t n;
  };
  struct emit_now {
    using reply = std::size_t;
    std::vector<long> events;
  };
  bool format_discarded(std::size_t n) {
    otp::send(test, discards{n});
    return false;
  }
  otp::stage_reply<std::size_t, long> handle_call(emit_now e) {
    const std::size_t n = e.events.size();
    return {n, std::move(e.events)};
  }
};

/// Emits strings: the wrong producer for a forwarder of longs.
struct words {
  using out = std::string;
  std::vector<std::string> handle_demand(std::size_t) { return {}; }
};

TEST_F(GenStageSubscribe, SyncSubscribeReturnsTheTagTheConsumerIsToldOf) {
  auto p = start_counter();
  auto c = start_forwarder();
  const otp::subscribe_result r = otp::gen_stage::sync_subscribe(c, p).get();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r.tag.is_null());
  const auto from = mb.receive<otp::stage_from>();
  EXPECT_EQ(from.tag, r.tag);
  EXPECT_EQ(from.stage, p.get_pid());
  EXPECT_EQ(next_seen(), "subscribe producer");
}

TEST_F(GenStageSubscribe, AsyncSubscribeSubscribesWithoutWaiting) {
  auto p = start_counter();
  auto c = start_forwarder();
  otp::gen_stage::async_subscribe(c, p, {.max_demand = 10});
  EXPECT_EQ(next_batch(), range(0, 4));
}

TEST_F(GenStageSubscribe, TheCallerExitsWhenTheConsumerIsDead) {
  auto p = start_counter();
  auto c = start_forwarder();
  const otp::ref mon = otp::monitor(c.get_pid());
  otp::exit(c.get_pid(), otp::exit_reason::kill());
  EXPECT_EQ(down_of(mon), otp::exit_reason::killed());
  EXPECT_EQ(otp_test::exit_of([&] { (void)otp::gen_stage::sync_subscribe(c, p).get(); }),
            otp::exit_reason::noproc());
}

TEST_F(GenStageSubscribe, BadOptionsAreAnErrorAndTheConsumerGoesOn) {
  auto p = start_counter();
  auto c = start_forwarder();
  const auto zero = otp::gen_stage::sync_subscribe(c, p, {.max_demand = 0}).get();
  EXPECT_EQ(zero.error, "{bad_opts,\"max_demand must be at least 1\"}");
  const auto min_too_big =
      otp::gen_stage::sync_subscribe(c, p, {.max_demand = 10, .min_demand = 10}).get();
  EXPECT_EQ(min_too_big.error, "{bad_opts,\"min_demand must be below max_demand\"}");
  EXPECT_TRUE(otp::gen_stage::sync_subscribe(c, p, {.max_demand = 10}).get().ok());
}

TEST_F(GenStageSubscribe, AProducerIsNotAConsumer) {
  auto p = start_counter();
  auto q = start_counter();
  const auto r = otp::gen_stage::sync_subscribe(p, q.get_pid()).get();
  EXPECT_EQ(r.error, "not_a_consumer");
}

TEST_F(GenStageSubscribe, APermanentSubscriptionToNoNamedProducerStopsTheConsumerWithNoproc) {
  auto c = start_forwarder();
  const auto r = otp::gen_stage::sync_subscribe(c, otp::server_name("nobody")).get();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(down_of(c.get_pid()), otp::exit_reason::noproc());
}

TEST_F(GenStageSubscribe, ATemporarySubscriptionToADeadProducerLeavesTheConsumerRunning) {
  auto p = start_counter();
  otp::exit(p.get_pid(), otp::exit_reason::kill());
  (void)down_of(p.get_pid());
  auto c = start_forwarder();
  const auto r =
      otp::gen_stage::sync_subscribe(c, p, {.cancel = otp::cancel_mode::temporary}).get();
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(otp::is_alive(c.get_pid()));
  EXPECT_EQ(down_of(p.get_pid()), otp::exit_reason::noproc());
}

TEST_F(GenStageSubscribe, AProducerOfAnotherEventTypeCancelsWithBadEventType) {
  auto w = otp::gen_stage::start<words>().get();
  auto c = start_forwarder();
  const otp::ref mon = otp::monitor(c.get_pid());
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c, w.child).get().ok());
  const otp::exit_reason r = down_of(mon);
  EXPECT_EQ(r.to_string().rfind("{bad_event_type,", 0), 0u) << r.to_string();
}

// Raw protocol messages, as GenStage's tests send them.
TEST_F(GenStageSubscribe, ADuplicatedSubscriptionIsCancelled) {
  auto p = start_counter();
  const otp::stage_from me{mb.self(), otp::make_ref()};
  const otp::detail::stage_subscribe_msg sub{me, {}, &typeid(long)};
  otp::send(p.get_pid(), sub);
  otp::send(p.get_pid(), sub);
  const auto c = mb.receive<otp::detail::stage_cancel_downstream_msg>();
  EXPECT_EQ(c.reason, otp::exit_reason::other("duplicated_subscription"));
  EXPECT_EQ(c.producer.tag, me.tag);
}

TEST_F(GenStageSubscribe, DemandOnAnUnknownSubscriptionIsCancelled) {
  auto p = start_counter();
  otp::send(p.get_pid(), otp::detail::stage_ask_msg{{mb.self(), otp::make_ref()}, 10});
  const auto c = mb.receive<otp::detail::stage_cancel_downstream_msg>();
  EXPECT_EQ(c.reason, otp::exit_reason::other("unknown_subscription"));
}

TEST_F(GenStageSubscribe, AConsumerAskedToSubscribeIsNotAProducer) {
  auto c = start_forwarder();
  otp::send(c.get_pid(),
            otp::detail::stage_subscribe_msg{{mb.self(), otp::make_ref()}, {}, &typeid(long)});
  const auto m = mb.receive<otp::detail::stage_cancel_downstream_msg>();
  EXPECT_EQ(m.reason, otp::exit_reason::other("not_a_producer"));
}

TEST_F(GenStageSubscribe, EventsOnAnUnknownSubscriptionAreCancelledAndLogged) {
  auto c = start_forwarder();
  otp::send(c.get_pid(),
            otp::detail::stage_events_msg<long>{{mb.self(), otp::make_ref()}, {1, 2, 3}});
  const auto m = mb.receive<otp::detail::stage_cancel_upstream_msg>();
  EXPECT_EQ(m.reason, otp::exit_reason::other("unknown_subscription"));
  EXPECT_TRUE(none_queued<otp_test::consumed>());
  otp::logger::flush();
  EXPECT_EQ(with_message("on no subscription").size(), 1u);
}

// --- buffer ---

TEST_F(GenStageBuffer, StoresEventsWhenThereIsNoDemand) {
  auto p = start_counter();
  otp::cast(p, counter::emit{{-1, -2, -3}});
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p).get(), 3u);
  start_forwarder({.subscribe_to = {{p.get_pid()}}});
  EXPECT_EQ(next_batch(), (std::vector<long>{-1, -2, -3}));
  EXPECT_EQ(next_batch(), range(0, 499));
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p).get(), 0u);
}

TEST_F(GenStageBuffer, AFullBufferKeepsTheFirstEventsAndLogsTheDiscarded) {
  auto p = start_counter(0, {.buffer_size = 5, .buffer_keep = otp::buffer_keep::first});
  otp::cast(p, counter::emit{range(1, 8)});
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p).get(), 5u);
  otp::logger::flush();
  ASSERT_EQ(with_message("discarded 3 events").size(), 1u);
  start_forwarder({.subscribe_to = {{p.get_pid()}}});
  EXPECT_EQ(next_batch(), range(1, 5));
}

TEST_F(GenStageBuffer, AFullBufferKeepsTheLastEventsByDefault) {
  auto p = start_counter(0, {.buffer_size = 5});
  otp::cast(p, counter::emit{range(1, 8)});
  otp::cast(p, counter::emit{range(9, 10)});
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p).get(), 5u);
  otp::logger::flush();
  EXPECT_EQ(with_message("discarded").size(), 2u);
  start_forwarder({.subscribe_to = {{p.get_pid()}}});
  EXPECT_EQ(next_batch(), range(6, 10));
}

TEST_F(GenStageBuffer, AnUnboundedBufferKeepsEverything) {
  auto p = start_counter(0, {.buffer_size = otp::unbounded});
  otp::cast(p, counter::emit{range(1, 20'000)});
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p).get(), 20'000u);
  otp::logger::flush();
  EXPECT_TRUE(with_message("discarded").empty());
}

TEST_F(GenStageBuffer, TheDefaultBufferOfAProducerIs10000Events) {
  auto p = start_counter();
  otp::cast(p, counter::emit{range(1, 10'001)});
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p).get(), 10'000u);
}

TEST_F(GenStageBuffer, FormatDiscardedIsToldHowManyAndFalseKeepsThemOutOfTheLog) {
  auto p = otp::gen_stage::start<quiet_counter>({}, 0L, mb.self(),
                                                otp::stage_options{.buffer_size = 5}, 3000L)
               .get()
               .ref();
  otp::cast(p, counter::emit{range(1, 8)});
  EXPECT_EQ(mb.receive<quiet_counter::discards>().n, 3u);
  otp::logger::flush();
  EXPECT_TRUE(with_message("discarded").empty());
}

TEST_F(GenStageBuffer, AProducersCallEmitsEventsWithItsReply) {
  auto p =
      otp::gen_stage::start<quiet_counter>({}, 0L, mb.self(), otp::stage_options{}, 0L).get().ref();
  auto c = start_forwarder({}, otp::demand_mode::manual);
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(c, p, {.max_demand = 10}).get().ok());
  otp::gen_stage::ask(mb.receive<otp::stage_from>(), 2);
  EXPECT_EQ(otp::call(p, quiet_counter::emit_now{range(7, 9)}).get(), 3u);
  EXPECT_EQ(next_batch(), range(7, 8));  // as demanded; the third is buffered
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p).get(), 1u);
}

}  // namespace

// Stages drained by a plain thread: otp::stage_stream subscribes the
// thread's mailbox to producers, asks as a consumer stage would (max_demand
// first, then max - min each time that many have been taken), ends when
// its subscriptions have ended, and throws the producer's reason when the
// cancel mode says the consumer stops.
//
// Mirrors the "stream/2" cases of GenStage's test suite.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "otp/otp.hpp"
#include "otp/services/enumerable_stage.hpp"
#include "otp/services/stage_stream.hpp"
#include "support/stages.hpp"

namespace {

using otp::cancel_mode;
using otp::exit_reason;
using otp_test::demanded;
using otp_test::range;

class GenStageStream : public otp_test::stage_fixture {
 protected:
  /// Takes `n` events from `s`.
  static std::vector<long> take(otp::stage_stream<long>& s, std::size_t n) {
    std::vector<long> v;
    while (v.size() < n) v.push_back(s.next().value());
    return v;
  }
};

TEST_F(GenStageStream, ATransientStreamTakesEveryItemOfAnEnumerableThenEnds) {
  auto p = otp::gen_stage::from_enumerable(range(1, 2500), {.link = false}).get();
  otp::stage_stream<long> s(mb);
  s.subscribe(p.ref(), {.max_demand = 100, .cancel = cancel_mode::transient});
  std::vector<long> got;
  for (long x : s) got.push_back(x);
  EXPECT_EQ(got, range(1, 2500));
  EXPECT_FALSE(s.next().has_value());
}

TEST_F(GenStageStream, APermanentStreamThrowsTheReasonOfAProducerThatEnded) {
  auto p = otp::gen_stage::from_enumerable(range(1, 3), {.link = false}).get();
  otp::stage_stream<long> s(mb);
  s.subscribe(p.ref());
  EXPECT_EQ(take(s, 3), range(1, 3));
  try {
    (void)s.next();
    FAIL() << "the stream went on";
  } catch (const otp::exit_error& e) {
    EXPECT_TRUE(e.reason().is_normal());
  }
}

TEST_F(GenStageStream, TheStreamAsksMaxDemandThenMaxMinusMinAsItTakes) {
  auto p = start_counter(0, {}, 100);
  otp::stage_stream<long> s(mb);
  s.subscribe(p, {.max_demand = 10, .min_demand = 6, .cancel = cancel_mode::temporary});
  EXPECT_EQ(take(s, 4), range(0, 3));
  EXPECT_EQ(mb.receive<demanded>().n, 10u);
  EXPECT_TRUE(none_queued<demanded>());  // 4 taken: not yet
  EXPECT_EQ(take(s, 1), range(4, 4));    // the 4th is handled once the 5th is asked for
  EXPECT_EQ(mb.receive<demanded>().n, 4u);
}

TEST_F(GenStageStream, AStreamIsBackPressuredByItsReader) {
  auto calls = std::make_shared<long>(0);
  auto p = otp::gen_stage::from_generator([calls] { return std::optional<long>((*calls)++); },
                                          {.link = false})
               .get();
  otp::stage_stream<long> s(mb);
  s.subscribe(p.ref(), {.max_demand = 8, .cancel = cancel_mode::temporary});
  (void)take(s, 1);
  idle_for(std::chrono::milliseconds(10));
  EXPECT_EQ(*calls, 8);  // max_demand, however long the reader waits
}

TEST_F(GenStageStream, AProducerKilledStopsAPermanentStreamWithItsReason) {
  auto p = start_counter(0, {}, 5);
  otp::stage_stream<long> s(mb);
  s.subscribe(p, {.max_demand = 10});
  EXPECT_EQ(take(s, 5), range(0, 4));
  otp::exit(p.get_pid(), exit_reason::kill());
  try {
    (void)s.next();
    FAIL() << "the stream went on";
  } catch (const otp::exit_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::killed());
  }
}

TEST_F(GenStageStream, ATransientStreamEndsWhenItsProducerShutsDown) {
  auto p = start_counter(0, {}, 2);
  otp::stage_stream<long> s(mb);
  s.subscribe(p, {.cancel = cancel_mode::transient});
  EXPECT_EQ(take(s, 2), range(0, 1));
  otp::exit(p.get_pid(), exit_reason::shutdown());
  EXPECT_FALSE(s.next().has_value());
}

TEST_F(GenStageStream, ATemporaryStreamEndsWhateverTheReason) {
  auto p = start_counter(0, {}, 0);
  otp::stage_stream<long> s(mb);
  s.subscribe(p, {.cancel = cancel_mode::temporary});
  otp::exit(p.get_pid(), exit_reason::kill());
  EXPECT_FALSE(s.next().has_value());
}

TEST_F(GenStageStream, SubscribingToADeadProducerThrowsNoprocUnlessTemporary) {
  auto p = start_counter(0, {}, 0);
  const otp::ref pm = otp::monitor(p.get_pid());
  otp::exit(p.get_pid(), exit_reason::kill());
  (void)down_of(pm);
  otp::stage_stream<long> s(mb);
  EXPECT_THROW(s.subscribe(p), otp::exit_error);
  s.subscribe(p, {.cancel = cancel_mode::temporary});
  EXPECT_FALSE(s.next().has_value());
}

TEST_F(GenStageStream, BadOptionsAreRefused) {
  auto p = start_counter(0, {}, 0);
  otp::stage_stream<long> s(mb);
  EXPECT_THROW(s.subscribe(p, {.max_demand = 0}), otp::badarg);
  EXPECT_THROW(s.subscribe(p, {.max_demand = 5, .min_demand = 5}), otp::badarg);
}

TEST_F(GenStageStream, ClosingCancelsTheSubscriptionAndLeavesNoStageMessages) {
  auto p = start_counter(0, {}, 50);
  {
    otp::stage_stream<long> s(mb);
    s.subscribe(p, {.max_demand = 10});
    EXPECT_EQ(take(s, 3), range(0, 2));
  }  // closed: the producer is told normal
  EXPECT_EQ(next_seen(), "cancel cancel normal");
  EXPECT_TRUE(none_queued<otp::detail::stage_events_msg<long>>());
  EXPECT_TRUE(none_queued<otp::detail::stage_cancel_downstream_msg>());
  EXPECT_TRUE(none_queued<otp::down_msg>());
  EXPECT_TRUE(otp::is_alive(p.get_pid()));
}

TEST_F(GenStageStream, AStreamMergesSeveralProducersAndEndsWhenAllHave) {
  auto a = otp::gen_stage::from_enumerable(range(1, 300), {.link = false}).get();
  auto b = otp::gen_stage::from_enumerable(range(1001, 1300), {.link = false}).get();
  otp::stage_stream<long> s(mb);
  s.subscribe(a.ref(), {.max_demand = 50, .cancel = cancel_mode::transient});
  s.subscribe(b.ref(), {.max_demand = 50, .cancel = cancel_mode::transient});
  std::vector<long> from_a, from_b;
  for (long x : s) (x > 1000 ? from_b : from_a).push_back(x);
  EXPECT_EQ(from_a, range(1, 300));  // each producer's in its order
  EXPECT_EQ(from_b, range(1001, 1300));
}

}  // namespace

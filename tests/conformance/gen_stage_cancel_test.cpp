// Stages: how subscriptions end. A cancel (gen_stage::cancel) or the death
// of the other end reaches handle_cancel on both sides; then the consumer's
// cancel mode decides: permanent stops it with the reason, transient stops
// it unless the reason is normal or shutdown, temporary lets it go on. Also
// the other callbacks a stage forwards: terminate, calls, unmatched DOWNs.
//
// Mirrors the "producer callbacks" and "consumer callbacks" groups of
// GenStage's test suite.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "otp/otp.hpp"
#include "support/stages.hpp"

namespace {

using otp::cancel_mode;
using otp::exit_reason;
using otp_test::counter;
using otp_test::forwarder;

class GenStageCancel : public otp_test::stage_fixture {
 protected:
  /// A counter and a forwarder subscribed to it with `mode`; returns the
  /// subscription as the consumer knows it ({producer, tag}).
  std::pair<otp::stage_ref<forwarder>, otp::stage_from> subscribed(cancel_mode mode) {
    producer = start_counter();
    auto c = start_forwarder();
    EXPECT_TRUE(
        otp::gen_stage::sync_subscribe(c, producer, {.max_demand = 10, .cancel = mode}).get().ok());
    const auto from = mb.receive<otp::stage_from>();
    EXPECT_EQ(next_seen(), "subscribe producer");
    return {c, from};
  }
  otp::stage_ref<counter> producer;
};

TEST_F(GenStageCancel, ATemporarySubscriptionCancelledLeavesTheConsumerRunning) {
  auto [c, from] = subscribed(cancel_mode::temporary);
  otp::gen_stage::cancel(from, exit_reason::other("done"));
  EXPECT_EQ(next_seen(), "cancel cancel done");  // the producer's handle_cancel
  EXPECT_EQ(next_seen(), "cancel cancel done");  // the consumer's
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(otp::is_alive(c.get_pid()));
}

TEST_F(GenStageCancel, ATransientSubscriptionCancelledWithShutdownLeavesTheConsumerRunning) {
  auto [c, from] = subscribed(cancel_mode::transient);
  otp::gen_stage::cancel(from, exit_reason::shutdown());
  EXPECT_EQ(next_seen(), "cancel cancel shutdown");
  EXPECT_EQ(next_seen(), "cancel cancel shutdown");
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(otp::is_alive(c.get_pid()));
}

TEST_F(GenStageCancel, ATransientSubscriptionCancelledWithAnotherReasonStopsTheConsumer) {
  auto [c, from] = subscribed(cancel_mode::transient);
  const otp::ref mon = otp::monitor(c.get_pid());
  otp::gen_stage::cancel(from, exit_reason::other("bad"));
  EXPECT_EQ(down_of(mon), exit_reason::other("bad"));
}

TEST_F(GenStageCancel, APermanentSubscriptionCancelledStopsTheConsumerEvenWithShutdown) {
  auto [c, from] = subscribed(cancel_mode::permanent);
  const otp::ref mon = otp::monitor(c.get_pid());
  otp::gen_stage::cancel(from, exit_reason::shutdown());
  EXPECT_EQ(down_of(mon), exit_reason::shutdown());
  EXPECT_EQ(next_seen(), "cancel cancel shutdown");  // the producer
  EXPECT_EQ(next_seen(), "cancel cancel shutdown");  // the consumer, before it stopped
  EXPECT_EQ(next_seen(), "terminate shutdown");
}

TEST_F(GenStageCancel, ProducerDownWithATemporarySubscriptionIsToldAndTheConsumerGoesOn) {
  auto [c, from] = subscribed(cancel_mode::temporary);
  otp::exit(from.stage, exit_reason::kill());
  EXPECT_EQ(next_seen(), "cancel down killed");
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(otp::is_alive(c.get_pid()));
}

TEST_F(GenStageCancel, ProducerNormalDownWithATransientSubscriptionLeavesTheConsumerRunning) {
  auto [c, from] = subscribed(cancel_mode::transient);
  otp::gen_server::stop(producer, exit_reason::normal()).get();
  EXPECT_EQ(next_seen(), "cancel down normal");
  idle_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(otp::is_alive(c.get_pid()));
}

TEST_F(GenStageCancel, ProducerCrashWithATransientSubscriptionStopsTheConsumer) {
  auto [c, from] = subscribed(cancel_mode::transient);
  const otp::ref mon = otp::monitor(c.get_pid());
  otp::exit(from.stage, exit_reason::kill());
  EXPECT_EQ(down_of(mon), exit_reason::killed());
}

TEST_F(GenStageCancel, ProducerNormalDownWithAPermanentSubscriptionStopsTheConsumerNormally) {
  auto [c, from] = subscribed(cancel_mode::permanent);
  const otp::ref mon = otp::monitor(c.get_pid());
  otp::gen_server::stop(producer, exit_reason::normal()).get();
  EXPECT_EQ(down_of(mon), exit_reason::normal());
}

TEST_F(GenStageCancel, TheProducersHandleCancelIsToldOfAConsumerDown) {
  auto [c, from] = subscribed(cancel_mode::permanent);
  otp::exit(c.get_pid(), exit_reason::kill());
  EXPECT_EQ(next_seen(), "cancel down killed");
  EXPECT_TRUE(otp::is_alive(from.stage));
}

/// A consumer that monitors a process of its own and handles its DOWN.
struct watcher {
  using in = long;
  struct watch {
    using reply = void;
    otp::pid p;
  };
  otp::pid test;
  explicit watcher(otp::pid t) : test(t) {}
  void handle_call(watch w) { (void)otp::monitor(w.p); }
  void handle_events(std::vector<long>, otp::stage_from) {}
  void handle_info(const otp::down_msg& d) {
    otp::send(test, otp_test::seen{"DOWN " + d.reason.to_string()});
  }
};

TEST_F(GenStageCancel, ADownThatIsNoSubscriptionGoesToHandleInfo) {
  auto w = otp::gen_stage::start<watcher>(mb.self()).get();
  ASSERT_TRUE(w.is_ok());
  auto p = start_counter();
  ASSERT_TRUE(otp::gen_stage::sync_subscribe(w.ref(), p).get().ok());
  auto other = start_counter();
  otp::call(w.ref(), watcher::watch{other.get_pid()}).get();
  otp::exit(other.get_pid(), exit_reason::kill());
  EXPECT_EQ(next_seen(), "DOWN killed");
  EXPECT_TRUE(otp::is_alive(w.child));
}

}  // namespace

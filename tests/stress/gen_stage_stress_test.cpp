// Stages on the threaded runtime: a consumer far slower than its producer
// (a stage, or a thread draining a stage_stream) keeps the events in flight
// bounded by the demand, and each event reaches exactly one consumer, in
// order, when several consumers share a producer.
//
// No sleeps: the slow consumer is slow by doing work, and every wait is on a
// message, bounded by an otp::after so a bug fails the test instead of
// hanging it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "otp/services/gen_stage.hpp"
#include "otp/services/stage_stream.hpp"
#include "support/stress_seed.hpp"

namespace {

using otp_test::kWait;
#if OTP_SANITIZED
constexpr std::int64_t kEvents = 20'000;
#else
constexpr std::int64_t kEvents = 200'000;
#endif
constexpr std::size_t kMaxDemand = 100;

/// Emits 0, 1, ... up to kEvents, counting what it emitted.
struct counted_source {
  using out = std::int64_t;
  std::atomic<std::int64_t>* emitted;
  otp::stage_options options;
  std::int64_t next = 0;
  explicit counted_source(std::atomic<std::int64_t>* e, otp::stage_options o = {})
      : emitted(e), options(std::move(o)) {}
  otp::stage_options init() { return options; }
  std::vector<std::int64_t> handle_demand(std::size_t demand) {
    std::vector<std::int64_t> v;
    for (std::size_t i = 0; i < demand && next < kEvents; ++i) v.push_back(next++);
    emitted->fetch_add(static_cast<std::int64_t>(v.size()));
    return v;
  }
};

struct pass_through {
  using in = std::int64_t;
  using out = std::int64_t;
  std::vector<std::int64_t> handle_events(std::vector<std::int64_t> v, otp::stage_from) {
    return v;
  }
};

/// What a checking consumer found, sent when it has seen `expect` events.
struct verdict {
  std::int64_t seen;
  std::int64_t most_in_flight;
  bool in_order;
};

/// Checks each event follows the one before (per consumer), works ~100x
/// longer than the producer per event, and tracks emitted - handled.
struct slow_checker {
  using in = std::int64_t;
  std::atomic<std::int64_t>* emitted;
  otp::pid report;
  std::int64_t expect;
  std::int64_t seen = 0;
  std::int64_t last = -1;
  std::int64_t most_in_flight = 0;
  bool in_order = true;
  volatile std::uint64_t sink = 0;
  slow_checker(std::atomic<std::int64_t>* e, otp::pid r, std::int64_t n)
      : emitted(e), report(r), expect(n) {}
  void handle_events(std::vector<std::int64_t> v, otp::stage_from) {
    most_in_flight = std::max(most_in_flight, emitted->load() - seen);
    for (std::int64_t x : v) {
      if (x <= last) in_order = false;
      last = x;
      for (int i = 0; i < 200; ++i) sink = sink + static_cast<std::uint64_t>(x) * 31u;
    }
    seen += static_cast<std::int64_t>(v.size());
    if (seen == expect) otp::send(report, verdict{seen, most_in_flight, in_order});
  }
};

TEST(GenStageStress, ASlowConsumerKeepsTheEventsInFlightBoundedByTheDemand) {
  otp::node node({.schedulers = 2});
  otp::mailbox mb(node);
  std::atomic<std::int64_t> emitted{0};
  auto p = otp::gen_stage::start_link<counted_source>(&emitted).get();
  auto pc = otp::gen_stage::start_link<pass_through>().get();
  auto c = otp::gen_stage::start_link<slow_checker>(&emitted, mb.self(), kEvents).get();
  ASSERT_TRUE(p.is_ok() && pc.is_ok() && c.is_ok());
  ASSERT_TRUE(
      otp::gen_stage::sync_subscribe(c.ref(), pc.ref(), {.max_demand = kMaxDemand}).get().ok());
  ASSERT_TRUE(
      otp::gen_stage::sync_subscribe(pc.ref(), p.ref(), {.max_demand = kMaxDemand}).get().ok());
  const auto v = mb.receive([](verdict r) { return std::optional(r); },
                            otp::after(kWait, [] { return std::optional<verdict>(); }));
  ASSERT_TRUE(v) << "the pipeline did not finish";
  EXPECT_EQ(v->seen, kEvents);
  EXPECT_TRUE(v->in_order);
  // The consumer's demand plus the producer_consumer's: nothing else piles up.
  EXPECT_LE(v->most_in_flight, static_cast<std::int64_t>(2 * kMaxDemand)) << v->most_in_flight;
  EXPECT_EQ(otp::gen_stage::estimate_buffered_count(p.ref()).get(), 0u);
}

TEST(GenStageStress, AThreadDrainingAStreamHoldsAFastProducerBack) {
  otp::node node({.schedulers = 2});
  otp::mailbox mb(node);
  std::atomic<std::int64_t> emitted{0};
  auto p = otp::gen_stage::start_link<counted_source>(&emitted).get();
  auto pc = otp::gen_stage::start_link<pass_through>().get();
  ASSERT_TRUE(p.is_ok() && pc.is_ok());
  ASSERT_TRUE(
      otp::gen_stage::sync_subscribe(pc.ref(), p.ref(), {.max_demand = kMaxDemand}).get().ok());
  std::int64_t most_in_flight = 0;
  bool in_order = true;
  {
    otp::stage_stream<std::int64_t> s(mb);
    s.subscribe(pc.ref(), {.max_demand = kMaxDemand});
    volatile std::uint64_t sink = 0;
    for (std::int64_t taken = 0; taken < kEvents; ++taken) {
      const std::optional<std::int64_t> x = s.next();
      ASSERT_TRUE(x.has_value());
      in_order = in_order && *x == taken;
      most_in_flight = std::max(most_in_flight, emitted.load() - taken);
      for (int i = 0; i < 200; ++i) sink = sink + static_cast<std::uint64_t>(*x) * 31u;
    }
  }  // closed: the producer_consumer is told normal and goes on
  EXPECT_TRUE(in_order);
  // The stream's demand plus the producer_consumer's: nothing else piles up.
  EXPECT_LE(most_in_flight, static_cast<std::int64_t>(2 * kMaxDemand)) << most_in_flight;
  EXPECT_TRUE(otp::is_alive(pc.child));
}

/// How many events a consumer handled in one batch.
struct handled {
  std::int64_t n;
};
/// A consumer's totals.
struct tally {
  std::int64_t seen;
  std::int64_t sum;
  bool in_order;
};

/// Counts and sums what it gets, tells the test each batch's size, and
/// answers `totals` with its tally.
struct tally_consumer {
  using in = std::int64_t;
  struct totals {
    using reply = tally;
  };
  otp::pid test;
  tally t{0, 0, true};
  std::int64_t last = -1;
  explicit tally_consumer(otp::pid p) : test(p) {}
  void handle_events(std::vector<std::int64_t> v, otp::stage_from) {
    for (std::int64_t x : v) {
      if (x <= last) t.in_order = false;
      last = x;
      t.sum += x;
    }
    t.seen += static_cast<std::int64_t>(v.size());
    otp::send(test, handled{static_cast<std::int64_t>(v.size())});
  }
  tally handle_call(totals) { return t; }
};

TEST(GenStageStress, FourConsumersOfOneProducerGetEachEventExactlyOnce) {
  otp::node node({.schedulers = 2});
  otp::mailbox mb(node);
  std::atomic<std::int64_t> emitted{0};
  auto p = otp::gen_stage::start_link<counted_source>(
               &emitted, otp::stage_options{.demand = otp::producer_demand::accumulate})
               .get();
  ASSERT_TRUE(p.is_ok());
  std::vector<otp::stage_ref<tally_consumer>> consumers;
  for (int i = 0; i < 4; ++i) {
    auto c = otp::gen_stage::start_link<tally_consumer>(mb.self()).get();
    ASSERT_TRUE(c.is_ok());
    ASSERT_TRUE(
        otp::gen_stage::sync_subscribe(c.ref(), p.ref(), {.max_demand = kMaxDemand}).get().ok());
    consumers.push_back(c.ref());
  }
  // Once all four have asked: otherwise the first can take every event
  // before the others subscribe.
  otp::gen_stage::demand(p.ref(), otp::producer_demand::forward).get();
  std::int64_t got = 0;
  while (got < kEvents) {
    const auto h = mb.receive([](handled x) { return std::optional(x); },
                              otp::after(kWait, [] { return std::optional<handled>(); }));
    ASSERT_TRUE(h) << "stalled after " << got << " events";
    got += h->n;
  }
  std::int64_t seen = 0;
  std::int64_t sum = 0;
  for (auto& c : consumers) {
    const tally t = otp::call(c, tally_consumer::totals{}).get();
    EXPECT_TRUE(t.in_order);
    EXPECT_GT(t.seen, 0) << "a consumer got nothing: the dispatcher served only some";
    seen += t.seen;
    sum += t.sum;
  }
  EXPECT_EQ(seen, kEvents);
  EXPECT_EQ(sum, kEvents * (kEvents - 1) / 2);  // each of 0..N-1 exactly once
}

}  // namespace

#include "otp/services/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/mailbox.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/telemetry.hpp"

using namespace std::chrono_literals;

namespace {

// A clock the test advances by hand.
struct manual_clock {
  std::shared_ptr<std::chrono::milliseconds> t = std::make_shared<std::chrono::milliseconds>(0);
  otp::rate_limiter::clock_fn fn() const {
    return [t = t] { return *t; };
  }
  void advance(std::chrono::milliseconds d) const { *t += d; }
};

// Rule (burst): a new key starts full, so `burst` checks pass at once and the
// next one is refused.
TEST(RateLimiter, NewKeyAllowsABurstThenRefuses) {
  manual_clock clock;
  otp::rate_limiter rl({.rate_per_second = 1, .burst = 3}, clock.fn());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.check("a").allowed) << i;
  const auto d = rl.check("a");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.to_string(), "{rate_limited,1000}");
}

// Rule (refill and retry-after): a refused check says how long until it
// would pass; after that time it passes, and not a millisecond before.
TEST(RateLimiter, RetryAfterIsWhenTheCheckPasses) {
  manual_clock clock;
  otp::rate_limiter rl({.rate_per_second = 4, .burst = 2}, clock.fn());
  ASSERT_TRUE(rl.check("k", 2).allowed);
  const auto d = rl.check("k");
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 250ms);  // one token at 4 per second
  clock.advance(249ms);
  EXPECT_FALSE(rl.check("k").allowed);
  clock.advance(1ms);
  const auto ok = rl.check("k");
  EXPECT_TRUE(ok.allowed);
  EXPECT_NEAR(ok.remaining, 0.0, 1e-9);
}

// Rule (cap): an idle bucket refills to burst and no further.
TEST(RateLimiter, IdleBucketRefillsOnlyToBurst) {
  manual_clock clock;
  otp::rate_limiter rl({.rate_per_second = 100, .burst = 5}, clock.fn());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(rl.check("k").allowed);
  clock.advance(1h);
  EXPECT_DOUBLE_EQ(rl.peek("k"), 5.0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.check("k").allowed);
  EXPECT_FALSE(rl.check("k").allowed);
}

// Rule (per key): one key's bucket does not limit another.
TEST(RateLimiter, KeysHaveTheirOwnBuckets) {
  manual_clock clock;
  otp::rate_limiter rl({.rate_per_second = 1, .burst = 1}, clock.fn());
  EXPECT_TRUE(rl.check("alice").allowed);
  EXPECT_FALSE(rl.check("alice").allowed);
  EXPECT_TRUE(rl.check("bob").allowed);
  rl.reset("alice");
  EXPECT_TRUE(rl.check("alice").allowed);
}

// Rule (sweep): full buckets are forgotten, partly used ones kept; forgetting
// a full bucket changes no later decision.
TEST(RateLimiter, SweepDropsOnlyFullBuckets) {
  manual_clock clock;
  otp::rate_limiter rl({.rate_per_second = 1, .burst = 2}, clock.fn());
  (void)rl.check("used");
  (void)rl.check("refilled");
  clock.advance(500ms);
  (void)rl.check("used");  // 1.5 - 1 = 0.5 left
  clock.advance(500ms);    // used: 1.0, refilled: 2.0 (full)
  EXPECT_EQ(rl.size(), 2u);
  EXPECT_EQ(rl.sweep(), 1u);
  EXPECT_EQ(rl.size(), 1u);
  EXPECT_DOUBLE_EQ(rl.peek("used"), 1.0);
  EXPECT_DOUBLE_EQ(rl.peek("refilled"), 2.0);
}

// Rule (bad input): a limit or cost that could never work is badarg.
TEST(RateLimiter, ImpossibleLimitsAndCostsAreBadarg) {
  EXPECT_THROW(otp::rate_limiter({.rate_per_second = 0, .burst = 1}), otp::badarg);
  EXPECT_THROW(otp::rate_limiter({.rate_per_second = 1, .burst = 0.5}), otp::badarg);
  EXPECT_THROW(otp::rate_limiter({.rate_per_second = 1, .burst = 1}, nullptr), otp::badarg);
  otp::rate_limiter rl({.rate_per_second = 1, .burst = 2});
  EXPECT_THROW((void)rl.check("k", 3), otp::badarg);
  EXPECT_THROW((void)rl.check("k", 0), otp::badarg);
  EXPECT_EQ(rl.size(), 0u);  // nothing was recorded
}

// Rule (thread safety): concurrent checks of one key never hand out more
// tokens than the bucket holds.
TEST(RateLimiter, ConcurrentChecksNeverOverspend) {
  manual_clock clock;  // frozen: no refill during the test
  otp::rate_limiter rl({.rate_per_second = 1, .burst = 1000}, clock.fn());
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (rl.check("shared").allowed) allowed.fetch_add(1, std::memory_order_relaxed);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

// Rule (buckets in a table): the buckets outlive the limiter object and the
// process that made it; a new limiter over the same table goes on refusing a
// customer who spent the burst, and sweep/size/reset work through the table.
TEST(RateLimiter, BucketsKeptInATableOutliveTheLimiter) {
  manual_clock clock;
  otp::node n;
  otp::mailbox mb(n);
  auto buckets =
      otp::table<std::string, otp::rate_bucket>::create({.access = otp::table_access::public_});
  {
    otp::rate_limiter first({.rate_per_second = 1, .burst = 2}, buckets, clock.fn());
    EXPECT_TRUE(first.check("ann").allowed);
    EXPECT_TRUE(first.check("ann").allowed);
  }
  otp::rate_limiter second({.rate_per_second = 1, .burst = 2}, buckets, clock.fn());
  const otp::rate_decision d = second.check("ann");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 1000ms);
  EXPECT_EQ(second.size(), 1u);
  EXPECT_DOUBLE_EQ(second.peek("bob"), 2.0);
  clock.advance(5s);
  EXPECT_EQ(second.sweep(), 1u);
  EXPECT_EQ(second.size(), 0u);
  buckets.erase_table();
  EXPECT_THROW(otp::rate_limiter({.rate_per_second = 1, .burst = 2}, buckets), otp::table_error);
}

// Rule (telemetry): a refused check emits [otp, rate_limiter, rejected] with
// the cost, the retry-after in ms and the key; an allowed one emits nothing.
TEST(RateLimiter, ARefusedCheckEmitsATelemetryEvent) {
  std::vector<std::string> seen;
  ASSERT_TRUE(otp::telemetry::attach(
      "rl-test", {"otp", "rate_limiter", "rejected"}, [&](const otp::telemetry::event& e) {
        seen.push_back(std::string(std::get<std::string_view>(*e.metadata_of("key"))) + " " +
                       std::to_string(*e.measurement_of("retry_after_ms")) + " " +
                       std::to_string(*e.measurement_of("cost")));
      }));
  manual_clock clock;
  otp::rate_limiter rl({.rate_per_second = 1, .burst = 1}, clock.fn());
  EXPECT_TRUE(rl.check("ip-1").allowed);
  EXPECT_FALSE(rl.check("ip-1").allowed);
  otp::telemetry::detach("rl-test");
  EXPECT_EQ(seen, std::vector<std::string>{"ip-1 1000.000000 1.000000"});
}

}  // namespace

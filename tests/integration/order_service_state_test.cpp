// The order system's state that outlives a crash (issue 16): the rate
// limiter's buckets and the payment circuit breaker live in tables owned by
// two keepers, each the heir of the other.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "integration/service_fixture.hpp"
#include "limiter.hpp"
#include "payment.hpp"
#include "table_keeper.hpp"

namespace {

using otp_test::service_under_test;
using namespace std::chrono_literals;

/// Kills the process registered as `name` and returns once another process
/// holds that name (its supervisor restarted it).
otp::pid kill_and_await_restart(service_under_test& svc, const char* name) {
  const otp::pid old = otp::whereis(name);
  EXPECT_FALSE(old.is_null()) << name;
  otp::exit(old, otp::exit_reason::kill());
  otp::pid now = otp::whereis(name);
  while (now.is_null() || now == old) {
    svc.me().receive(otp::after(5ms, [] {}));
    now = otp::whereis(name);
  }
  return now;
}

// Killing the rate limiter mid-burst does not refill the customer's bucket:
// the restarted limiter finds it in the table and goes on refusing.
TEST(OrderServiceState, AKilledRateLimiterKeepsLimitingTheBurst) {
  service_under_test svc({.limit = {.rate_per_second = 0.01, .burst = 3}});
  const std::string body = service_under_test::order_body({{"widget", 1}}, "greedy");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(svc.post(body).first, 202) << i;
  EXPECT_EQ(svc.post(body).first, 429);
  kill_and_await_restart(svc, order_system::rate_limiter_name);
  const auto [status, reply] = svc.post(body);
  EXPECT_EQ(status, 429) << reply.dump();
  // Another customer still has a full bucket.
  EXPECT_EQ(svc.post(service_under_test::order_body({{"widget", 1}}, "patient")).first, 202);
}

// Killing the keeper that owns the tables: the other keeper inherits them,
// with their contents, before the owner's DOWN; the restarted keeper is
// made the heir again.
TEST(OrderServiceState, TheOtherKeeperInheritsTheTablesWithTheirContents) {
  service_under_test svc({.limit = {.rate_per_second = 0.01, .burst = 3}});
  const std::string body = service_under_test::order_body({{"widget", 1}}, "greedy");
  ASSERT_EQ(svc.post(body).first, 202);
  auto buckets = order_system::bucket_table::named(order_system::bucket_table_name);
  const otp::pid a = buckets.owner();
  ASSERT_EQ(a, otp::whereis(order_system::keeper_a_name));
  const otp::pid b = otp::whereis(order_system::keeper_b_name);
  // Keeper b asked to be the heir when it started; a answers in its own time.
  while (buckets.info()->heir != b) svc.me().receive(otp::after(5ms, [] {}));
  const otp::ref m = otp::monitor(a);
  otp::exit(a, otp::exit_reason::kill());
  svc.me().receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                             [](const otp::down_msg&) {}));
  EXPECT_EQ(buckets.owner(), b);
  ASSERT_TRUE(buckets.lookup("greedy").has_value());
  EXPECT_NEAR(buckets.lookup("greedy")->tokens, 2.0, 0.01);
  EXPECT_EQ(order_system::breaker_table::named(order_system::breaker_table_name).owner(), b);
  // The keeper comes back and becomes the heir of both tables.
  otp::pid back = otp::whereis(order_system::keeper_a_name);
  while (back.is_null() || back == a || buckets.info()->heir != back) {
    svc.me().receive(otp::after(5ms, [] {}));
    back = otp::whereis(order_system::keeper_a_name);
  }
  EXPECT_EQ(svc.post(body).first, 202);  // the limiter uses the same table throughout
  EXPECT_NEAR(buckets.lookup("greedy")->tokens, 1.0, 0.01);
}

// An open circuit stays open when the payment server is killed: the
// restarted breaker reads its state from the table.
TEST(OrderServiceState, AnOpenCircuitStaysOpenAcrossAPaymentRestart) {
  service_under_test svc({.breaker_failures = 2, .breaker_reset = 60'000ms});
  auto gw = svc.gateway().client();
  ASSERT_TRUE(gw.Post("/admin/outage", R"({"duration_ms": 60000})", "application/json"));
  auto pay = otp::whereis<order_system::payment>(order_system::payment_name);
  for (int i = 0; i < 2; ++i)
    (void)otp::call(pay,
                    order_system::payment::charge{"fail-" + std::to_string(i), 100, "tok_visa"})
        .get();
  ASSERT_EQ(otp::call(pay, order_system::payment::circuit{}).get(), otp::circuit_state::open);
  kill_and_await_restart(svc, order_system::payment_name);
  pay = otp::whereis<order_system::payment>(order_system::payment_name);
  EXPECT_EQ(otp::call(pay, order_system::payment::circuit{}).get(), otp::circuit_state::open);
  const order_system::charge_outcome refused =
      otp::call(pay, order_system::payment::charge{"after-restart", 100, "tok_visa"}).get();
  EXPECT_EQ(refused.what, order_system::charge_outcome::kind::circuit_open);
}

}  // namespace

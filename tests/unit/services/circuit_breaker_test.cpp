#include "otp/services/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/mailbox.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/telemetry.hpp"

using namespace std::chrono_literals;

namespace {

// A clock the test advances by hand, and a log of the state changes.
struct breaker_fixture {
  std::shared_ptr<std::chrono::milliseconds> t = std::make_shared<std::chrono::milliseconds>(0);
  std::shared_ptr<std::vector<otp::circuit_event>> events =
      std::make_shared<std::vector<otp::circuit_event>>();

  otp::circuit_breaker_options options(std::size_t max_failures = 3) const {
    otp::circuit_breaker_options o;
    o.name = "gateway";
    o.max_failures = max_failures;
    o.window = 1000ms;
    o.reset_timeout = 5000ms;
    o.now = [t = t] { return *t; };
    o.on_state_change = [ev = events](const otp::circuit_event& e) { ev->push_back(e); };
    return o;
  }
  void advance(std::chrono::milliseconds d) const { *t += d; }
  std::string transitions() const {
    std::string s;
    for (const auto& e : *events)
      s += std::string(to_string(e.from)) + ">" + std::string(to_string(e.to)) + " ";
    return s;
  }
};

void fail_times(otp::circuit_breaker& b, int n) {
  for (int i = 0; i < n; ++i) b.ask().failure();
}

// Rule (trip): the max_failures-th failure within the window opens the
// circuit, and an open circuit refuses with the time left to the probe.
TEST(CircuitBreaker, OpensOnTheNthFailureWithinTheWindowAndRefuses) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(3));
  fail_times(b, 2);
  EXPECT_EQ(b.state(), otp::circuit_state::closed);
  EXPECT_TRUE(b.ask().granted());  // dropped unreported: the third failure
  EXPECT_EQ(b.state(), otp::circuit_state::open);
  f.advance(1200ms);
  auto p = b.ask();
  EXPECT_FALSE(p.granted());
  EXPECT_EQ(p.retry_after(), 3800ms);
  EXPECT_EQ(f.transitions(), "closed>open ");
  EXPECT_EQ(f.events->at(0).failures, 3u);
  EXPECT_EQ(f.events->at(0).name, "gateway");
}

// Rule (lifetime): a permit may outlive its breaker (a worker killed after
// the server that owned it); its report is ignored and emits nothing.
TEST(CircuitBreaker, APermitThatOutlivesItsBreakerIsDroppedSafely) {
  breaker_fixture f;
  auto breaker = std::make_unique<otp::circuit_breaker>(f.options(1));
  otp::circuit_permit late = breaker->ask();
  otp::circuit_permit later = breaker->ask();
  ASSERT_TRUE(late.granted());
  ASSERT_TRUE(later.granted());
  breaker.reset();  // the owner goes first
  late.failure();   // would open a live breaker with max_failures 1
  EXPECT_FALSE(late.granted());
  {
    otp::circuit_permit dropped = std::move(later);
  }  // dropped unreported: a failure, also ignored
  EXPECT_TRUE(f.events->empty()) << f.transitions();
}

// Rule (window): failures older than the window do not count; successes do
// not erase failures.
TEST(CircuitBreaker, FailuresOlderThanTheWindowDropOut) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(3));
  fail_times(b, 2);
  b.ask().success();
  f.advance(1000ms);  // both failures are now a full window old
  EXPECT_EQ(b.failures(), 0u);
  fail_times(b, 2);
  EXPECT_EQ(b.state(), otp::circuit_state::closed);
  b.ask().success();
  fail_times(b, 1);
  EXPECT_EQ(b.state(), otp::circuit_state::open);
}

// Rule (half_open): after reset_timeout one probe is let through, and only
// one; its success closes the circuit.
TEST(CircuitBreaker, AfterTheResetTimeoutOneProbeIsLetThroughAndItsSuccessCloses) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(1));
  fail_times(b, 1);
  f.advance(4999ms);
  EXPECT_FALSE(b.ask().granted());
  f.advance(1ms);
  EXPECT_EQ(b.state(), otp::circuit_state::half_open);
  auto probe = b.ask();
  ASSERT_TRUE(probe.granted());
  auto second = b.ask();
  EXPECT_FALSE(second.granted());  // the probe is out
  probe.success();
  EXPECT_EQ(b.state(), otp::circuit_state::closed);
  auto next = b.ask();
  EXPECT_TRUE(next.granted());
  next.success();
  EXPECT_EQ(f.transitions(), "closed>open open>half_open half_open>closed ");
}

// Rule (half_open failure): a failed or abandoned probe opens the circuit for
// another reset_timeout.
TEST(CircuitBreaker, AFailedOrDroppedProbeOpensAgain) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(1));
  fail_times(b, 1);
  f.advance(5000ms);
  b.ask().failure();
  EXPECT_EQ(b.state(), otp::circuit_state::open);
  f.advance(5000ms);
  { auto abandoned = b.ask(); }  // its holder died without a report
  EXPECT_EQ(b.state(), otp::circuit_state::open);
  EXPECT_EQ(f.transitions(),
            "closed>open open>half_open half_open>open open>half_open half_open>open ");
}

// Rule (late outcomes): failures of calls let through before the circuit
// opened, reported afterwards, neither reopen nor extend it.
TEST(CircuitBreaker, LateFailuresFromBeforeTheOpeningAreIgnored) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(1));
  auto early = b.ask();
  fail_times(b, 1);  // opens at t = 0
  f.advance(3000ms);
  early.failure();
  f.advance(2000ms);
  EXPECT_EQ(b.state(), otp::circuit_state::half_open);
}

// Rule (call): call() runs f under a permit; an exception is a failure and
// propagates; an open circuit throws circuit_open_error without running f.
TEST(CircuitBreaker, CallCountsExceptionsAndThrowsCircuitOpen) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(2));
  EXPECT_EQ(b.call([] { return 7; }), 7);
  for (int i = 0; i < 2; ++i)
    EXPECT_THROW(b.call([]() -> int { throw std::runtime_error("gateway down"); }),
                 std::runtime_error);
  bool ran = false;
  try {
    b.call([&] { ran = true; });
    FAIL() << "no circuit_open_error";
  } catch (const otp::circuit_open_error& e) {
    EXPECT_EQ(e.retry_after(), 5000ms);
    EXPECT_NE(std::string(e.what()).find("gateway"), std::string::npos);
  }
  EXPECT_FALSE(ran);
}

// Rule (reset): reset closes the circuit and forgets failures.
TEST(CircuitBreaker, ResetClosesAndForgets) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(2));
  fail_times(b, 2);
  b.reset();
  EXPECT_EQ(b.state(), otp::circuit_state::closed);
  EXPECT_EQ(b.failures(), 0u);
  fail_times(b, 1);
  EXPECT_EQ(b.state(), otp::circuit_state::closed);
}

// Rule (bad input): options that cannot work are badarg.
TEST(CircuitBreaker, InvalidOptionsAreBadarg) {
  breaker_fixture f;
  auto o = f.options(0);
  EXPECT_THROW(otp::circuit_breaker{o}, otp::badarg);
  o = f.options();
  o.window = 0ms;
  EXPECT_THROW(otp::circuit_breaker{o}, otp::badarg);
  o = f.options();
  o.reset_timeout = -1ms;
  EXPECT_THROW(otp::circuit_breaker{o}, otp::badarg);
}

// Rule (concurrency): with many threads asking at once while half open,
// exactly one gets the probe; events arrive in order.
TEST(CircuitBreaker, ConcurrentAsksWhileHalfOpenGrantOneProbe) {
  breaker_fixture f;
  otp::circuit_breaker b(f.options(1));
  fail_times(b, 1);
  f.advance(5000ms);
  std::atomic<int> granted{0};
  std::vector<otp::circuit_permit> held(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      held[i] = b.ask();
      if (held[i]) granted.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 1);
  for (auto& p : held) p.success();
  EXPECT_EQ(b.state(), otp::circuit_state::closed);
  EXPECT_EQ(f.transitions(), "closed>open open>half_open half_open>closed ");
}

// Rule (store): a breaker made with the name of one that opened finds its
// circuit open (its failures and opening time kept in the table); a store it
// may not write leaves it working in memory.
TEST(CircuitBreaker, StateKeptInAStoreSurvivesTheBreaker) {
  breaker_fixture f;
  otp::node n;
  otp::mailbox mb(n);
  auto store = otp::table<std::string, otp::circuit_record>::create();
  {
    auto o = f.options(2);
    o.store = store;
    otp::circuit_breaker b(o);
    b.melt();
    b.melt();
    EXPECT_EQ(b.state(), otp::circuit_state::open);
  }
  auto o = f.options(2);
  o.store = store;
  otp::circuit_breaker again(o);
  EXPECT_EQ(again.state(), otp::circuit_state::open);
  EXPECT_FALSE(again.ask().granted());
  f.advance(5000ms);
  otp::circuit_permit probe = again.ask();  // the reset timeout counts from the first opening
  EXPECT_TRUE(probe.granted());
  probe.success();
  EXPECT_EQ(store.lookup("gateway")->state, otp::circuit_state::closed);
}

// Rule (telemetry): each state change emits [otp, circuit_breaker,
// state_change] with the breaker's name, the two states and the failures.
TEST(CircuitBreaker, StateChangesEmitTelemetryEvents) {
  std::vector<std::string> seen;
  ASSERT_TRUE(otp::telemetry::attach(
      "cb-test", {"otp", "circuit_breaker", "state_change"}, [&](const otp::telemetry::event& e) {
        auto text = [&](const char* k) {
          return std::string(std::get<std::string_view>(*e.metadata_of(k)));
        };
        seen.push_back(text("name") + " " + text("from") + ">" + text("to") + " " +
                       std::to_string(static_cast<int>(*e.measurement_of("failures"))));
      }));
  breaker_fixture f;
  otp::circuit_breaker b(f.options(2));
  fail_times(b, 2);
  otp::telemetry::detach("cb-test");
  EXPECT_EQ(seen, std::vector<std::string>{"gateway closed>open 2"});
}

}  // namespace

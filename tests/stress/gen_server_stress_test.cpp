// gen_server on the threaded runtime: many clients calling and casting one
// server at once, with calls that time out while their replies are on the
// way. Checks that every reply reaches its own caller, that a timed-out
// call's late reply never lands in a mailbox, and that no cast is lost.
//
// No sleeps: every wait is on a message, bounded by an otp::after so a bug
// fails the test instead of hanging it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/stress_seed.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;

using otp_test::kWait;
#if OTP_SANITIZED
constexpr int kClients = 8;
constexpr int kCallsEach = 200;
#else
constexpr int kClients = 16;
constexpr int kCallsEach = 1'000;
#endif

using otp_test::never;

/// Doubles numbers; slow_twice answers after a short wait.
struct doubler {
  struct twice {
    using reply = std::int64_t;
    std::int64_t v;
  };
  struct slow_twice {
    using reply = std::int64_t;
    std::int64_t v;
  };
  struct bump {};
  struct count {
    using reply = std::int64_t;
  };
  std::int64_t casts = 0;
  std::int64_t handle_call(twice t) { return 2 * t.v; }
  otp::task<std::int64_t> handle_call(slow_twice t) {
    co_await otp::receive([](never) {}, otp::after(2ms));
    co_return 2 * t.v;
  }
  std::int64_t handle_call(count) { return casts; }
  void handle_cast(bump) { ++casts; }
};

/// What a client reports when done.
struct client_done {
  int answered = 0;
  int timed_out = 0;
  bool wrong_reply = false;
  bool stray_message = false;
};

otp::proc client(otp::server_ref<doubler> s, int id, otp::pid report) {
  client_done out;
  for (int i = 0; i < kCallsEach; ++i) {
    const std::int64_t v = std::int64_t{id} * 1'000'000 + i;
    otp::cast(s, doubler::bump{});
    if (i % 50 == 0) {
      try {
        // 1 ms against a 2 ms handler: mostly times out, sometimes not.
        const std::int64_t r = co_await otp::call(s, doubler::slow_twice{v}, 1ms);
        out.wrong_reply |= r != 2 * v;
        ++out.answered;
      } catch (const otp::exit_error& e) {
        if (!e.reason().is(exit_reason::kind::timeout)) throw;
        ++out.timed_out;
      }
    } else {
      out.wrong_reply |= co_await otp::call(s, doubler::twice{v}) != 2 * v;
      ++out.answered;
    }
  }
  // The server handles requests in order: once this reply is in, every late
  // reply to an abandoned call has been sent (and must have been dropped).
  out.wrong_reply |= co_await otp::call(s, doubler::twice{id}) != 2 * id;
  out.stray_message = co_await otp::receive([](otp::any_message) { return true; },
                                            otp::after(0, [] { return false; }));
  otp::send(report, out);
}

// Concurrent clients each get their own replies; timed-out calls leave
// nothing behind; every cast is handled exactly once.
TEST(GenServerStress, ConcurrentCallsAndCastsReachTheRightClients) {
  otp::node node({.schedulers = 2});
  otp::mailbox mb(node);
  auto s = otp::gen_server::start<doubler>().get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  for (int id = 0; id < kClients; ++id) node.spawn(client, s.ref(), id, mb.self());

  int timed_out = 0;
  for (int i = 0; i < kClients; ++i) {
    std::optional<client_done> d = mb.receive<client_done>(kWait);
    ASSERT_TRUE(d.has_value()) << "a client did not finish";
    EXPECT_FALSE(d->wrong_reply);
    EXPECT_FALSE(d->stray_message);
    EXPECT_EQ(d->answered + d->timed_out, kCallsEach);
    timed_out += d->timed_out;
  }
  EXPECT_EQ(otp::call(s.ref(), doubler::count{}, kWait).get(), std::int64_t{kClients} * kCallsEach);
  RecordProperty("timed_out_calls", timed_out);
  otp::gen_server::stop(s.ref(), exit_reason::normal(), kWait).get();
}

}  // namespace

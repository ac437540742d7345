// gen_server timeouts: the Timeout of a callback's return value becomes
// handle_info(timeout) when the server stays idle that long; any message
// cancels it, a system message does not. All in virtual time.
//
// Mirrors the Timeout element of Module:init/1, handle_call/3, handle_cast/2
// and handle_info/2 results, and the timeout cases of OTP's gen_server_SUITE.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/gen_servers.hpp"

namespace {

using namespace std::chrono_literals;
using event = otp_test::server_event;
using otp_test::tick;

/// Tells the observer about each timeout; every callback can arm a new one.
struct timed {
  struct arm {  // cast: {noreply, State, T}
    std::chrono::milliseconds t;
  };
  struct quiet {};  // cast: {noreply, State}
  struct get {      // call: {reply, 1, State}
    using reply = int;
  };
  struct get_and_arm {  // call: {reply, 2, State, T}
    using reply = int;
    std::chrono::milliseconds t;
  };
  using info = otp::types<otp::timeout_msg, tick>;

  otp::pid observer;
  std::optional<otp::timeout> initial;
  timed(otp::pid o, std::optional<otp::timeout> t) : observer(o), initial(t) {}

  otp::server_result init() {
    if (initial) return otp::noreply().with_timeout(*initial);
    return otp::noreply();
  }
  otp::server_result handle_cast(arm a) { return otp::noreply().with_timeout(a.t); }
  void handle_cast(quiet) {}
  int handle_call(get) { return 1; }
  otp::call_result<int> handle_call(get_and_arm g) {
    return otp::call_result<int>(2).with_timeout(g.t);
  }
  void handle_info(otp::timeout_msg) { otp::send(observer, event{"timeout"}); }
  void handle_info(tick) { otp::send(observer, event{"tick"}); }
};

/// Its handle_info(timeout) is a coroutine.
struct timed_coroutine {
  otp::pid observer;
  explicit timed_coroutine(otp::pid o) : observer(o) {}
  otp::server_result init() { return otp::noreply().with_timeout(100ms); }
  otp::task<otp::server_result> handle_info(otp::timeout_msg) {
    otp::send(observer, event{"timeout"});
    co_return otp::noreply();
  }
};

class GenServerTimeouts : public otp_test::gen_server_fixture {
 protected:
  otp::server_ref<timed> start_timed(std::optional<otp::timeout> initial = std::nullopt) {
    auto s = otp::gen_server::start_link<timed>(mb.self(), initial).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
  /// The next event if one arrives within `t` of virtual time.
  std::optional<std::string> event_within(otp::timeout t) {
    std::optional<event> e = mb.receive<event>(t);
    return e ? std::optional(e->what) : std::nullopt;
  }
};

// {ok, State, T}: with no message for T ms, handle_info(timeout) is called.
TEST_F(GenServerTimeouts, InitTimeoutCallsHandleInfoTimeoutAfterTheTimeWhenIdle) {
  const auto t0 = node.now();
  start_timed(100ms);
  EXPECT_EQ(next_event(), "timeout");
  EXPECT_EQ(node.now() - t0, 100ms);
}

// The timeout fires once: after handle_info(timeout) returns without a new
// one, the server waits without a timeout.
TEST_F(GenServerTimeouts, TheTimeoutFiresOnlyOnce) {
  start_timed(100ms);
  EXPECT_EQ(next_event(), "timeout");
  EXPECT_EQ(event_within(1s), std::nullopt);
}

// {noreply, State, T} from handle_cast arms the timeout the same way.
TEST_F(GenServerTimeouts, CastResultTimeoutCallsHandleInfoTimeout) {
  auto s = start_timed();
  const auto t0 = node.now();
  otp::cast(s, timed::arm{250ms});
  EXPECT_EQ(next_event(), "timeout");
  EXPECT_EQ(node.now() - t0, 250ms);
}

// {reply, R, State, T}: the caller gets R at once, and the timeout follows.
TEST_F(GenServerTimeouts, CallResultTimeoutRepliesThenTimesOut) {
  auto s = start_timed();
  const auto t0 = node.now();
  EXPECT_EQ(otp::call(s, timed::get_and_arm{100ms}).get(), 2);
  EXPECT_EQ(node.now(), t0);
  EXPECT_EQ(next_event(), "timeout");
  EXPECT_EQ(node.now() - t0, 100ms);
}

// Any message that arrives before T cancels the timeout: a cast, a call or
// a plain message alike.
TEST_F(GenServerTimeouts, AnyMessageBeforeTheTimeoutCancelsIt) {
  auto s = start_timed();
  otp::cast(s, timed::arm{100ms});
  idle_for(50ms);
  otp::cast(s, timed::quiet{});
  EXPECT_EQ(event_within(1s), std::nullopt);

  otp::cast(s, timed::arm{100ms});
  idle_for(50ms);
  EXPECT_EQ(otp::call(s, timed::get{}).get(), 1);
  EXPECT_EQ(event_within(1s), std::nullopt);

  otp::cast(s, timed::arm{100ms});
  idle_for(50ms);
  otp::send(s.get_pid(), tick{});
  EXPECT_EQ(event_within(1s), "tick");
  EXPECT_EQ(event_within(1s), std::nullopt);
}

// A system message (sys:statistics here) is not a message to the callback
// module: the pending timeout still fires.
TEST_F(GenServerTimeouts, SystemMessageDoesNotCancelTheTimeout) {
  auto s = start_timed();
  const auto t0 = node.now();
  otp::cast(s, timed::arm{100ms});
  idle_for(50ms);
  EXPECT_EQ(otp::sys::statistics(s.get_pid()).get().messages_handled, 1u);
  EXPECT_EQ(event_within(1s), "timeout");
  EXPECT_GE(node.now() - t0, 100ms);
}

// The timeout reaches handle_info also when that is a coroutine, as soon
// as it expires (not when the next message comes).
TEST_F(GenServerTimeouts, TimeoutReachesACoroutineHandleInfo) {
  const auto t0 = node.now();
  auto s = otp::gen_server::start_link<timed_coroutine>(mb.self()).get();
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(event_within(1s), "timeout");
  EXPECT_EQ(node.now() - t0, 100ms);
}

// An infinite Timeout is no timeout at all.
TEST_F(GenServerTimeouts, InfiniteTimeoutNeverFires) {
  start_timed(otp::infinity);
  EXPECT_EQ(event_within(10s), std::nullopt);
}

}  // namespace

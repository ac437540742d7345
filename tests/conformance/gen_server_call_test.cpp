// gen_server call, cast and info: replies (direct, deferred, from another
// process, with stop), how a call fails (noproc, calling_self, timeout, the
// server's death), casts that never fail, and where other messages go.
//
// Mirrors the rules of gen_server:call/2,3, reply/2, cast/2,
// Module:handle_call/3, handle_cast/2, handle_info/2, and the call, cast and
// info groups of OTP's gen_server_SUITE.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/gen_servers.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;
using event = otp_test::server_event;
using otp_test::go;
using otp_test::tick;

struct helper_is {
  otp::pid pid;
};

/// Holds From until told, then replies on the server's behalf.
otp::proc reply_when_told(otp::pid observer, otp::from<int> f) {
  otp::send(observer, helper_is{otp::self()});
  co_await otp::receive([](go) {});
  otp::reply(f, 5);
  otp::send(observer, event{"replied"});
}

/// Answers a deferred call from a process of its own.
otp::proc reply_from_elsewhere(otp::from<int> f, int v) {
  otp::reply(f, v);
  co_return;
}

/// A server that exercises each way handle_call can answer.
struct calls {
  struct get {
    using reply = int;
  };
  struct set {
    int v;
  };
  struct defer {  // handle_call keeps From and answers later
    using reply = int;
  };
  struct release {  // cast: answers the deferred call with `v`
    int v;
  };
  struct delegate {  // a helper process answers
    using reply = int;
  };
  struct stop_with {  // {stop, Reason, Reply, State}
    using reply = int;
    exit_reason reason;
  };
  struct quit {  // {stop, normal, State}: no reply
    using reply = int;
  };
  struct slow {  // answers once the server gets `go`
    using reply = int;
  };
  struct ask_self {  // calls itself
    using reply = int;
  };
  struct touch {  // a call without a reply value
    using reply = void;
  };
  struct touch_later {  // same, answered by `release`
    using reply = void;
  };
  struct hand_off {  // a helper keeps From, the server stops
    using reply = int;
  };

  otp::pid observer;
  int v = 0;
  std::optional<otp::from<int>> deferred;
  std::optional<otp::from<void>> deferred_void;

  explicit calls(otp::pid o) : observer(o) {}

  int handle_call(get) { return v; }
  otp::server_result handle_call(defer, otp::from<int> f) {
    deferred = f;
    return otp::noreply();
  }
  otp::server_result handle_call(delegate, otp::from<int> f) {
    otp::spawn(reply_from_elsewhere, f, 99);
    return otp::noreply();
  }
  otp::call_result<int> handle_call(stop_with s) { return otp::stop(s.reason, v); }
  otp::server_result handle_call(hand_off, otp::from<int> f) {
    otp::spawn(reply_when_told, observer, f);
    return otp::stop(exit_reason::other("handed_off"));
  }
  otp::server_result handle_call(quit) { return otp::stop(exit_reason::normal()); }
  otp::task<int> handle_call(slow) {
    co_await otp::receive([](go) {});
    co_return v;
  }
  void handle_call(touch) { otp::send(observer, event{"touched"}); }
  otp::server_result handle_call(touch_later, otp::from<void> f) {
    deferred_void = f;
    return otp::noreply();
  }
  otp::task<int> handle_call(ask_self) {
    co_return co_await otp::call(otp::server_ref<calls>(otp::self()), get{});
  }

  void handle_cast(set s) {
    v = s.v;
    otp::send(observer, event{"set " + std::to_string(s.v)});
  }
  void handle_cast(release r) {
    if (deferred) otp::reply(*deferred, r.v);
    if (deferred_void) otp::reply(*deferred_void);
    deferred.reset();
    deferred_void.reset();
  }

  void handle_info(tick) { otp::send(observer, event{"tick"}); }
};

class GenServerCall : public otp_test::gen_server_fixture {
 protected:
  /// A started (not linked) `calls` server.
  otp::server_ref<calls> start_calls(otp::start_options o = {}) {
    auto s = otp::gen_server::start<calls>(std::move(o), mb.self()).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
  /// Spawns a process that casts `release{v}` to `s`. The mailbox cannot
  /// cast while it waits in a call, so the helper answers a deferred call:
  /// it first runs while the mailbox waits, after the request went out.
  static void release_from_a_helper(otp::server_ref<calls> s, int v) {
    otp::spawn(
        [](otp::server_ref<calls> srv, int value) -> otp::proc {
          otp::cast(srv, calls::release{value});
          co_return;
        },
        s, v);
  }
  /// A pid whose server has stopped.
  otp::pid dead_server() {
    otp::server_ref<calls> s = start_calls();
    otp::gen_server::stop(s).get();
    return s.get_pid();
  }
};

// --- call -------------------------------------------------------------------------------

// {reply, Reply, State}: call returns Reply.
TEST_F(GenServerCall, CallReturnsTheReply) {
  auto s = start_calls();
  otp::cast(s, calls::set{7});
  EXPECT_EQ(otp::call(s, calls::get{}).get(), 7);
}

// {noreply, State} from handle_call, then gen_server:reply(From, R) from a
// later callback: the caller gets R.
TEST_F(GenServerCall, DeferredReplyFromALaterCallbackReachesTheCaller) {
  auto s = start_calls();
  release_from_a_helper(s, 41);
  EXPECT_EQ(otp::call(s, calls::defer{}).get(), 41);
}

// gen_server:reply/2 may be called by any process, not only the server.
TEST_F(GenServerCall, ReplyFromAnotherProcessReachesTheCaller) {
  auto s = start_calls();
  EXPECT_EQ(otp::call(s, calls::delegate{}).get(), 99);
}

// {stop, Reason, Reply, State}: the caller gets Reply, then the server
// exits with Reason.
TEST_F(GenServerCall, StopWithReplyRepliesThenExitsWithTheReason) {
  auto s = start_calls();
  otp::cast(s, calls::set{5});
  const otp::ref mon = otp::monitor(s.get_pid());
  EXPECT_EQ(otp::call(s, calls::stop_with{exit_reason::shutdown("done")}).get(), 5);
  EXPECT_EQ(down_of(mon), exit_reason::shutdown("done"));
}

// A request whose reply type is void: call returns once the server handled
// it, whether handle_call answered at once or later with reply(From).
TEST_F(GenServerCall, VoidCallReturnsOnceHandled) {
  auto s = start_calls();
  otp::call(s, calls::touch{}).get();
  EXPECT_EQ(mb.receive<event>(0)->what, "touched");  // sent before the reply
  release_from_a_helper(s, 0);
  otp::call(s, calls::touch_later{}).get();
  EXPECT_TRUE(nothing_queued());
}

// A finished call leaves no monitor behind on either side, whoever replied:
// the server itself, a later callback, or another process (gen_server:call
// demonitors once it has the reply). The server's side is read after a
// process_info request, which the server handles after anything the caller
// sent before it.
TEST_F(GenServerCall, AFinishedCallLeavesNoMonitorOnEitherSide) {
  auto s = start_calls();
  const auto no_monitors_left = [&](const char* how) {
    const auto server = node.process_info(s.get_pid());
    ASSERT_TRUE(server.has_value()) << how;
    EXPECT_TRUE(server->monitored_by.empty()) << how;
    const auto caller = node.process_info(mb.self());
    ASSERT_TRUE(caller.has_value()) << how;
    EXPECT_TRUE(caller->monitors.empty()) << how;
  };
  EXPECT_EQ(otp::call(s, calls::get{}).get(), 0);
  no_monitors_left("reply from handle_call");
  EXPECT_EQ(otp::call(s, calls::delegate{}).get(), 99);
  no_monitors_left("reply from another process");
  release_from_a_helper(s, 3);
  EXPECT_EQ(otp::call(s, calls::defer{}).get(), 3);
  no_monitors_left("deferred reply");
  auto r = otp::wait_response(otp::send_request(s, calls::get{}), 1s).get();
  EXPECT_EQ(r.state, otp::response<int>::status::reply);
  no_monitors_left("send_request");
  EXPECT_TRUE(nothing_queued());
}

// A server that replies and then exits sends the caller no DOWN for the
// call: the caller has its reply, and nothing is left in its mailbox.
TEST_F(GenServerCall, AServerExitingAfterItsReplyLeavesTheCallerNoDown) {
  auto s = start_calls();
  const otp::ref watch = otp::monitor(s.get_pid());
  EXPECT_EQ(otp::call(s, calls::stop_with{exit_reason::other("after_reply")}).get(), 0);
  EXPECT_EQ(down_of(watch), exit_reason::other("after_reply"));
  EXPECT_TRUE(nothing_queued());  // only the test's own monitor fired
}

// send_request, then wait_response: the reply of an asynchronous call.
TEST_F(GenServerCall, SendRequestThenWaitResponseGivesTheReply) {
  auto s = start_calls();
  otp::cast(s, calls::set{4});
  auto id = otp::send_request(s, calls::get{});
  auto r = otp::wait_response(id, 1s).get();
  ASSERT_EQ(r.state, otp::response<int>::status::reply);
  EXPECT_EQ(r.value, 4);
  EXPECT_EQ(next_event(), "set 4");
  EXPECT_TRUE(nothing_queued());  // no DOWN left behind
}

// receive_response that times out abandons the request: the late reply is
// dropped; wait_response that times out keeps it, so a later wait gets it.
TEST_F(GenServerCall, ReceiveResponseTimeoutDropsTheLateReplyWaitResponseKeepsIt) {
  auto s = start_calls();
  auto kept = otp::send_request(s, calls::slow{});
  EXPECT_EQ(otp::wait_response(kept, 50ms).get().state, otp::response<int>::status::timeout);
  otp::send(s.get_pid(), go{});
  auto r = otp::wait_response(kept, 1s).get();
  ASSERT_EQ(r.state, otp::response<int>::status::reply);
  EXPECT_EQ(r.value, 0);

  auto dropped = otp::send_request(s, calls::slow{});
  EXPECT_EQ(otp::receive_response(dropped, 50ms).get().state, otp::response<int>::status::timeout);
  otp::send(s.get_pid(), go{});
  EXPECT_EQ(otp::call(s, calls::get{}).get(), 0);  // handled after the slow call
  EXPECT_TRUE(nothing_queued());
}

// send_request to a dead server: the response is an error with noproc.
TEST_F(GenServerCall, SendRequestToADeadServerGivesAnErrorResponse) {
  const otp::pid dead = dead_server();
  auto id = otp::send_request(otp::server_ref<calls>(dead), calls::get{});
  auto r = otp::wait_response(id, 1s).get();
  ASSERT_EQ(r.state, otp::response<int>::status::error);
  EXPECT_TRUE(r.reason.is(otp::exit_reason::kind::noproc)) << r.reason;
}

// call to a pid that is not alive exits the caller with noproc.
TEST_F(GenServerCall, CallToADeadPidExitsNoproc) {
  const otp::pid dead = dead_server();
  auto r = exit_of([&] { (void)otp::call(otp::server_ref<calls>(dead), calls::get{}).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::noproc)) << r;
  EXPECT_TRUE(nothing_queued());  // no DOWN left behind
}

// call to a name nobody has exits the caller with noproc.
TEST_F(GenServerCall, CallToAFreeNameExitsNoproc) {
  auto r = exit_of([&] { (void)otp::call(otp::whereis<calls>("nobody"), calls::get{}).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::noproc)) << r;
}

// A call by name reaches the current holder of the name.
TEST_F(GenServerCall, CallByNameReachesTheHolder) {
  auto s = start_calls({.name = "calls"});
  otp::cast(s, calls::set{3});
  EXPECT_EQ(otp::call(otp::whereis<calls>("calls"), calls::get{}).get(), 3);
}

// A process calling itself exits with calling_self at once (no deadlock).
TEST_F(GenServerCall, CallToOwnPidExitsCallingSelf) {
  auto r = exit_of([&] { (void)otp::call(otp::server_ref<calls>(mb.self()), calls::get{}).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::calling_self)) << r;
}

// A gen_server calling itself from a handler crashes with calling_self;
// its caller exits with that reason.
TEST_F(GenServerCall, ServerCallingItselfCrashesWithCallingSelf) {
  auto s = start_calls();
  const otp::ref mon = otp::monitor(s.get_pid());
  auto r = exit_of([&] { (void)otp::call(s, calls::ask_self{}).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::calling_self)) << r;
  EXPECT_TRUE(down_of(mon).is(exit_reason::kind::calling_self));
}

// A call with no reply within Timeout exits the caller with timeout; the
// exit is catchable, and the late reply never reaches the caller's mailbox.
TEST_F(GenServerCall, CallTimeoutExitsTimeoutAndTheLateReplyIsDropped) {
  auto s = start_calls();
  const auto t0 = node.now();
  auto r = exit_of([&] { (void)otp::call(s, calls::slow{}, 100ms).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::timeout)) << r;
  EXPECT_EQ(node.now() - t0, 100ms);
  otp::send(s.get_pid(), go{});                    // now the slow call replies
  EXPECT_EQ(otp::call(s, calls::get{}).get(), 0);  // handled after it
  EXPECT_TRUE(nothing_queued());                   // neither the reply nor a DOWN
}

// A call looks only at messages newer than its request: it completes even
// when the caller has 500,000 unrelated messages queued, and leaves them in order.
TEST_F(GenServerCall, CallCompletesWithAHalfMillionMessagesQueued) {
  constexpr int kQueued = 500'000;
  auto s = start_calls();
  otp::cast(s, calls::set{8});
  for (int i = 0; i < kQueued; ++i) otp::send(mb.self(), i);
  EXPECT_EQ(otp::call(s, calls::get{}).get(), 8);
  (void)mb.receive<event>();  // "set 8"
  int expected = 0;
  while (std::optional<int> n = mb.receive<int>(otp::timeout(0))) {
    if (*n != expected) break;
    ++expected;
  }
  EXPECT_EQ(expected, kQueued);
}

// A server that stops with reason normal before replying makes the caller
// exit with {normal, {gen_server, call, ...}}, never return.
TEST_F(GenServerCall, ServerExitingNormallyMidCallExitsTheCallerWithNormalCall) {
  auto s = start_calls();
  auto r = exit_of([&] { (void)otp::call(s, calls::quit{}).get(); });
  EXPECT_EQ(r.to_string(), "{normal,{gen_server,call}}");
  EXPECT_TRUE(nothing_queued());
}

// A server killed while a call waits makes the caller exit with `killed`.
TEST_F(GenServerCall, ServerKilledMidCallExitsTheCallerWithKilled) {
  auto s = start_calls();
  otp::spawn(
      [](otp::pid victim) -> otp::proc {
        co_await otp::receive([](go) {}, otp::after(50ms));
        otp::exit(victim, exit_reason::kill());
      },
      s.get_pid());
  auto r = exit_of([&] { (void)otp::call(s, calls::slow{}).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::killed)) << r;
}

// A caller whose server died before replying gives up the call's reply
// route with it: a reply sent later on the server's behalf (by a process
// holding From) never reaches the caller's mailbox.
TEST_F(GenServerCall, AReplyForACallWhoseServerDiedIsDropped) {
  auto s = start_calls();
  auto r = exit_of([&] { (void)otp::call(s, calls::hand_off{}).get(); });
  EXPECT_EQ(r.to_string(), "handed_off");
  const helper_is h = mb.receive<helper_is>();
  otp::send(h.pid, go{});
  EXPECT_EQ(mb.receive<event>().what, "replied");  // sent after the reply
  EXPECT_TRUE(nothing_queued());
}

// --- cast -------------------------------------------------------------------------------

// cast never fails: not to a dead pid, not to a free name.
TEST_F(GenServerCall, CastToADeadServerOrAFreeNameReturns) {
  const otp::pid dead = dead_server();
  EXPECT_NO_THROW(otp::cast(otp::server_ref<calls>(dead), calls::set{1}));
  EXPECT_NO_THROW(otp::cast(otp::whereis<calls>("nobody"), calls::set{1}));
  EXPECT_TRUE(nothing_queued());
}

// Casts from one process are handled in the order they were sent.
TEST_F(GenServerCall, CastsFromOneSenderAreHandledInOrder) {
  auto s = start_calls();
  for (int i = 1; i <= 3; ++i) otp::cast(s, calls::set{i});
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(next_event(), "set " + std::to_string(i));
}

// --- info -------------------------------------------------------------------------------

// Any other message goes to handle_info.
TEST_F(GenServerCall, PlainMessagesGoToHandleInfo) {
  auto s = start_calls();
  otp::send(s.get_pid(), tick{});
  EXPECT_EQ(next_event(), "tick");
}

// A message handle_info does not take is logged as an error report and
// dropped; the server lives on.
TEST_F(GenServerCall, UnexpectedInfoIsReportedAndDropped) {
  auto s = start_calls({.name = "calls"});
  otp::send(s.get_pid(), 1234);
  EXPECT_EQ(otp::call(s, calls::get{}).get(), 0);
  auto errors = reports_of(otp::report::kind::error);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].from, s.get_pid());
  EXPECT_EQ(errors[0].field("message_type"), "int");
  EXPECT_NE(errors[0].headline.find("calls"), std::string::npos) << errors[0].headline;
  EXPECT_TRUE(reports_of(otp::report::kind::crash).empty());
}

}  // namespace

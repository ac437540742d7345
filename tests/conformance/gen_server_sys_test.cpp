// gen_server and sys: suspend/resume, get_status, change_code; and
// callbacks that wait (coroutines), during which other messages queue.
//
// Mirrors sys:suspend/1, resume/1, get_status/1, change_code/4,
// Module:code_change/3, and the sys group of OTP's gen_server_SUITE; the
// coroutine case mirrors a handle_call that itself calls another server.
#include <gtest/gtest.h>

#include <chrono>
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

/// Keeps a list of the numbers cast to it.
struct recorder {
  struct add {
    int v;
  };
  struct sum {
    using reply = int;
  };
  otp::pid observer;
  std::vector<int> seen;
  std::string vsn = "1";
  explicit recorder(otp::pid o) : observer(o) {}
  void handle_cast(add a) {
    seen.push_back(a.v);
    otp::send(observer, event{"add " + std::to_string(a.v)});
  }
  int handle_call(sum) {
    int s = 0;
    for (int v : seen) s += v;
    return s;
  }
  void code_change(const std::string& old_vsn) { vsn = old_vsn + "->2"; }
  std::string format_status() const { return "{recorder," + std::to_string(seen.size()) + "}"; }
};

/// No code_change callback.
struct no_code_change {
  struct get {
    using reply = int;
  };
  int handle_call(get) { return 0; }
};

/// A backend whose `slow` request waits for `go` before it answers.
struct backend {
  struct slow {
    using reply = int;
  };
  otp::pid observer;
  explicit backend(otp::pid o) : observer(o) {}
  otp::task<int> handle_call(slow) {
    otp::send(observer, event{"backend waiting"});
    co_await otp::receive([](go) {});
    co_return 20;
  }
};

/// A front server whose `ask` handler calls the backend (a coroutine).
struct front {
  struct ask {
    using reply = int;
  };
  struct note {
    std::string what;
  };
  otp::pid observer;
  otp::server_ref<backend> back;
  front(otp::pid o, otp::server_ref<backend> b) : observer(o), back(std::move(b)) {}
  otp::task<int> handle_call(ask) {
    const int v = co_await otp::call(back, backend::slow{});
    otp::send(observer, event{"ask done"});
    co_return v + 1;
  }
  void handle_cast(note n) { otp::send(observer, event{"cast " + n.what}); }
  void handle_info(go) { otp::send(observer, event{"info go"}); }
};

/// Calls `s` with `ask` and sends the reply to `observer`.
otp::proc ask_front(otp::server_ref<front> s, otp::pid observer) {
  const int v = co_await otp::call(s, front::ask{});
  otp::send(observer, v);
}

class GenServerSystem : public otp_test::gen_server_fixture {
 protected:
  otp::server_ref<recorder> start_recorder(otp::start_options o = {}) {
    auto s = otp::gen_server::start_link<recorder>(std::move(o), mb.self()).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
};

class GenServerCoroutines : public otp_test::gen_server_fixture {};

// --- sys -----------------------------------------------------------------------------

// A suspended server handles no call or cast: calls time out, casts queue;
// after resume the queued messages are handled in the order they came.
TEST_F(GenServerSystem, SuspendedServerQueuesMessagesUntilResumed) {
  auto s = start_recorder();
  otp::sys::suspend(s.get_pid()).get();
  otp::cast(s, recorder::add{1});
  otp::cast(s, recorder::add{2});
  auto r = exit_of([&] { (void)otp::call(s, recorder::sum{}, 100ms).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::timeout)) << r;
  EXPECT_TRUE(queued_events().empty());

  otp::sys::resume(s.get_pid()).get();
  otp::cast(s, recorder::add{3});
  EXPECT_EQ(otp::call(s, recorder::sum{}).get(), 6);
  EXPECT_EQ(queued_events(), (std::vector<std::string>{"add 1", "add 2", "add 3"}));
  EXPECT_TRUE(nothing_queued());  // the timed-out call's late reply was dropped
}

// A suspended server still answers system messages.
TEST_F(GenServerSystem, SuspendedServerAnswersSystemMessages) {
  auto s = start_recorder();
  otp::sys::suspend(s.get_pid()).get();
  EXPECT_TRUE(otp::sys::get_status(s.get_pid()).get().suspended);
  EXPECT_EQ(otp::sys::get_state(s, [](const recorder& st) { return st.vsn; }).get(), "1");
  otp::sys::resume(s.get_pid()).get();
  EXPECT_FALSE(otp::sys::get_status(s.get_pid()).get().suspended);
}

// gen_server:stop reaches a suspended server: terminate runs and it exits.
TEST_F(GenServerSystem, StopEndsASuspendedServer) {
  auto s = otp::gen_server::start<recorder>(mb.self()).get();
  ASSERT_TRUE(s.is_ok());
  otp::sys::suspend(s.child).get();
  otp::gen_server::stop(s.ref()).get();
  EXPECT_FALSE(node.is_alive(s.child));
}

// sys:get_status: the pid, parent, ancestors, name, behaviour, suspension,
// message count and the state as format_status shows it.
TEST_F(GenServerSystem, GetStatusDescribesTheServer) {
  auto s = start_recorder({.name = "rec"});
  otp::cast(s, recorder::add{5});
  const otp::pid p = otp::whereis("rec");
  const otp::sys::status_info st = otp::sys::get_status(p).get();
  EXPECT_EQ(st.self, p);
  EXPECT_EQ(st.parent, mb.self());
  EXPECT_EQ(st.ancestors, std::vector<otp::pid>{mb.self()});
  EXPECT_EQ(st.name, "rec");
  EXPECT_EQ(st.behaviour, "gen_server");
  EXPECT_FALSE(st.suspended);
  EXPECT_EQ(st.messages_handled, 1u);
  EXPECT_EQ(st.state, "{recorder,1}");
}

// process_info names the behaviour as get_status does (the observer relies
// on it to send system messages only to processes that answer them); a
// plain process has none.
TEST_F(GenServerSystem, ProcessInfoNamesTheBehaviour) {
  (void)start_recorder({.name = "rec"});
  EXPECT_EQ(node.process_info(otp::whereis("rec"))->behaviour, "gen_server");
  auto sup = otp::supervisor::start_link({}, {}).get();
  ASSERT_TRUE(sup.is_ok());
  EXPECT_EQ(node.process_info(sup.child)->behaviour, "supervisor");
  EXPECT_EQ(otp::sys::get_status(sup.child).get().state.rfind("{supervisor,one_for_one,", 0), 0u);
  EXPECT_EQ(node.process_info(mb.self())->behaviour, "");
}

// sys:change_code calls code_change(OldVsn) on the state (done while
// suspended, as a release upgrade does); a server without it is unchanged.
TEST_F(GenServerSystem, ChangeCodeCallsCodeChange) {
  auto s = start_recorder();
  otp::sys::suspend(s.get_pid()).get();
  EXPECT_TRUE(otp::sys::change_code(s, "1").get());
  otp::sys::resume(s.get_pid()).get();
  EXPECT_EQ(otp::sys::get_state(s, [](const recorder& st) { return st.vsn; }).get(), "1->2");

  auto p = otp::gen_server::start_link<no_code_change>().get();
  ASSERT_TRUE(p.is_ok());
  EXPECT_FALSE(otp::sys::change_code(p.ref(), "1").get());
  EXPECT_EQ(otp::call(p.ref(), no_code_change::get{}).get(), 0);
}

// sys calls to a dead process exit the caller with noproc, as call does.
TEST_F(GenServerSystem, SysCallToADeadProcessExitsNoproc) {
  auto s = otp::gen_server::start<no_code_change>().get();
  ASSERT_TRUE(s.is_ok());
  otp::gen_server::stop(s.ref()).get();
  auto r = exit_of([&] { (void)otp::sys::get_status(s.child).get(); });
  EXPECT_TRUE(r.is(exit_reason::kind::noproc)) << r;
}

// --- coroutine callbacks ----------------------------------------------------------------

// A handle_call that calls another server (a coroutine) returns that
// server's answer; while it waits, casts and infos queue and are handled
// after it, in order.
TEST_F(GenServerCoroutines, HandlerWaitingOnAnotherServerHoldsBackLaterMessages) {
  auto b = otp::gen_server::start_link<backend>(mb.self()).get();
  auto f = otp::gen_server::start_link<front>(mb.self(), b.ref()).get();
  ASSERT_TRUE(b.is_ok() && f.is_ok());
  otp::spawn(ask_front, f.ref(), mb.self());
  EXPECT_EQ(next_event(), "backend waiting");  // front is inside its ask handler now
  otp::cast(f.ref(), front::note{"x"});
  otp::send(f.child, go{});
  EXPECT_TRUE(queued_events().empty());  // nothing handled while ask waits
  otp::send(b.child, go{});
  EXPECT_EQ(next_event(), "ask done");
  EXPECT_EQ(next_event(), "cast x");
  EXPECT_EQ(next_event(), "info go");
  EXPECT_EQ(mb.receive<int>(), 21);
}

// A coroutine handler's own selective receive does not take the server's
// requests: a call made while it waits is answered after it.
TEST_F(GenServerCoroutines, CallMadeWhileAHandlerWaitsIsAnsweredAfterIt) {
  auto b = otp::gen_server::start_link<backend>(mb.self()).get();
  ASSERT_TRUE(b.is_ok());
  otp::spawn(
      [](otp::server_ref<backend> s, otp::pid observer) -> otp::proc {
        const int v = co_await otp::call(s, backend::slow{});
        otp::send(observer, v);
      },
      b.ref(), mb.self());
  EXPECT_EQ(next_event(), "backend waiting");
  otp::spawn(
      [](otp::pid server) -> otp::proc {
        co_await otp::receive([](go) {}, otp::after(50ms));
        otp::send(server, go{});  // releases the first slow call
        otp::send(server, go{});  // and then ours
      },
      b.child);
  // Our call queues behind the waiting handler; the gos come at 50 ms.
  EXPECT_EQ(otp::call(b.ref(), backend::slow{}).get(), 20);
  EXPECT_EQ(mb.receive<int>(), 20);
}

}  // namespace

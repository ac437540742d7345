// gen_server hibernation: a callback returning hibernate(), and the start
// option hibernate_after. A hibernated server keeps its state, links, name
// and pending messages, gives its coroutine frame back, and the next message
// wakes it. All in virtual time on a manual node.
//
// Mirrors `{noreply, State, hibernate}` (and the other results' hibernate),
// the {hibernate_after, T} start option of gen_server:start_link/4, and the
// hibernation cases of OTP's gen_server_SUITE (hibernate, auto_hibernate).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/gen_servers.hpp"

namespace {

using namespace std::chrono_literals;
using event = otp_test::server_event;

/// A counter that can be told to hibernate; tells the observer when it
/// terminates and when its state is destroyed.
struct sleeper {
  struct add {  // cast
    int n;
  };
  struct add_and_hibernate {  // cast: {noreply, State, hibernate}
    int n;
  };
  struct get {  // call
    using reply = int;
  };
  struct get_and_hibernate {  // call: {reply, N, State, hibernate}
    using reply = int;
  };
  struct arm {  // cast: {noreply, State, T}
    std::chrono::milliseconds t;
  };
  using info = otp::types<otp::timeout_msg>;

  otp::pid observer;
  bool hibernate_in_init = false;
  int total = 0;
  bool moved_from = false;

  sleeper(otp::pid o, bool h) : observer(o), hibernate_in_init(h) {}
  sleeper(sleeper&& o) noexcept
      : observer(o.observer), hibernate_in_init(o.hibernate_in_init), total(o.total) {
    o.moved_from = true;
  }
  ~sleeper() {
    if (!moved_from) otp::send(observer, event{"state destroyed"});
  }

  otp::server_result init() {
    otp::trap_exit(true);  // its parent's exit comes as a message
    if (hibernate_in_init) return otp::noreply().hibernate();
    return otp::noreply();
  }
  void handle_cast(add a) { total += a.n; }
  otp::server_result handle_cast(add_and_hibernate a) {
    total += a.n;
    return otp::noreply().hibernate();
  }
  otp::server_result handle_cast(arm a) { return otp::noreply().with_timeout(a.t); }
  int handle_call(get) { return total; }
  otp::call_result<int> handle_call(get_and_hibernate) {
    return otp::call_result<int>(total).hibernate();
  }
  void handle_info(otp::timeout_msg) { otp::send(observer, event{"timeout"}); }
  void terminate(const otp::exit_reason& r) {
    otp::send(observer, event{"terminate " + r.to_string()});
  }
};

class GenServerHibernate : public otp_test::gen_server_fixture {
 protected:
  otp::server_ref<sleeper> start(otp::start_options o = {}, bool hibernate_in_init = false) {
    auto s = otp::gen_server::start_link<sleeper>(o, mb.self(), hibernate_in_init).get();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return s.ref();
  }
  bool hibernated(otp::pid p) {
    node.run_until_idle();
    auto i = node.process_info(p);
    return i && i->hibernated;
  }
};

// {noreply, State, hibernate}: the server hibernates before it waits; the
// next message wakes it with its state intact.
TEST_F(GenServerHibernate, NoreplyHibernateHibernatesAndTheNextMessageFindsTheState) {
  auto s = start();
  otp::cast(s, sleeper::add_and_hibernate{5});
  EXPECT_TRUE(hibernated(s.get_pid()));
  otp::cast(s, sleeper::add{2});
  EXPECT_EQ(otp::call(s, sleeper::get{}).get(), 7);
  EXPECT_FALSE(hibernated(s.get_pid()));  // woken, and nothing asked for hibernation since
}

// {reply, R, State, hibernate}: the caller gets R, then the server hibernates.
TEST_F(GenServerHibernate, ReplyHibernateRepliesThenHibernates) {
  auto s = start();
  otp::cast(s, sleeper::add{3});
  EXPECT_EQ(otp::call(s, sleeper::get_and_hibernate{}).get(), 3);
  EXPECT_TRUE(hibernated(s.get_pid()));
  EXPECT_EQ(otp::call(s, sleeper::get{}).get(), 3);
}

// {ok, State, hibernate} from init: the server hibernates at once.
TEST_F(GenServerHibernate, InitHibernateHibernatesRightAfterTheStart) {
  auto s = start({}, true);
  EXPECT_TRUE(hibernated(s.get_pid()));
  EXPECT_EQ(otp::call(s, sleeper::get{}).get(), 0);
}

// {hibernate_after, T}: a server idle for T hibernates, not before; a call
// wakes it, and it hibernates again after T more of idleness.
TEST_F(GenServerHibernate, HibernateAfterHibernatesAServerIdleThatLong) {
  auto s = start({.hibernate_after = 100ms});
  idle_for(99ms);
  EXPECT_FALSE(hibernated(s.get_pid()));
  idle_for(1ms);
  EXPECT_TRUE(hibernated(s.get_pid()));
  otp::cast(s, sleeper::add{4});
  EXPECT_FALSE(hibernated(s.get_pid()));
  idle_for(100ms);
  EXPECT_TRUE(hibernated(s.get_pid()));
  EXPECT_EQ(otp::call(s, sleeper::get{}).get(), 4);
}

// A callback's timeout takes the place of hibernate_after: it fires as
// usual, and hibernate_after counts again once it has.
TEST_F(GenServerHibernate, ACallbackTimeoutTakesThePlaceOfHibernateAfter) {
  auto s = start({.hibernate_after = 10ms});
  otp::cast(s, sleeper::arm{50ms});
  idle_for(49ms);
  EXPECT_FALSE(hibernated(s.get_pid()));
  EXPECT_EQ(next_event(), "timeout");
  idle_for(10ms);
  EXPECT_TRUE(hibernated(s.get_pid()));
}

// A system message is not a message for the callbacks: a hibernated server
// answers it and hibernates again.
TEST_F(GenServerHibernate, ASystemMessageLeavesItHibernated) {
  auto s = start();
  otp::cast(s, sleeper::add_and_hibernate{9});
  ASSERT_TRUE(hibernated(s.get_pid()));
  auto st = otp::sys::get_status(s.get_pid()).get();
  EXPECT_EQ(st.behaviour, "gen_server");
  EXPECT_TRUE(hibernated(s.get_pid()));
  EXPECT_EQ(otp::sys::get_state(s, [](const sleeper& x) { return x.total; }).get(), 9);
  EXPECT_TRUE(hibernated(s.get_pid()));
}

// gen_server:stop of a hibernated server: it wakes, terminate runs, the
// state is destroyed, and the stop returns.
TEST_F(GenServerHibernate, StoppingAHibernatedServerRunsTerminate) {
  auto s = start();
  otp::cast(s, sleeper::add_and_hibernate{1});
  ASSERT_TRUE(hibernated(s.get_pid()));
  otp::gen_server::stop(s).get();
  EXPECT_EQ(queued_events(), (std::vector<std::string>{"terminate normal", "state destroyed"}));
}

// Its parent's exit reaches a hibernated server that traps exits as a
// message: it wakes and terminates with the parent's reason.
TEST_F(GenServerHibernate, TheParentsExitEndsAHibernatedServerThroughTerminate) {
  otp::trap_exit(true);
  auto s = start();
  otp::cast(s, sleeper::add_and_hibernate{1});
  ASSERT_TRUE(hibernated(s.get_pid()));
  otp::ref m = otp::monitor(s.get_pid());
  otp::exit(s.get_pid(), otp::exit_reason::shutdown());  // from the parent (this mailbox)
  EXPECT_EQ(down_of(m), otp::exit_reason::shutdown());
  EXPECT_EQ(queued_events(), (std::vector<std::string>{"terminate shutdown", "state destroyed"}));
}

// kill: no terminate, but the state kept across the hibernation is destroyed.
TEST_F(GenServerHibernate, AKilledHibernatedServerStillDestroysItsState) {
  otp::trap_exit(true);
  auto s = start();
  otp::cast(s, sleeper::add_and_hibernate{1});
  ASSERT_TRUE(hibernated(s.get_pid()));
  otp::ref m = otp::monitor(s.get_pid());
  otp::exit(s.get_pid(), otp::exit_reason::kill());
  EXPECT_EQ(down_of(m), otp::exit_reason::killed());
  EXPECT_EQ(queued_events(), (std::vector<std::string>{"state destroyed"}));
}

// enter_loop takes hibernate_after too.
TEST_F(GenServerHibernate, EnterLoopTakesHibernateAfter) {
  auto r = otp::proc_lib::start_link(
               {},
               [](otp::starter st, otp::pid o) -> otp::proc {
                 st.ack(otp::start_result::ok(otp::self()));
                 co_await otp::gen_server::enter_loop(std::move(st), sleeper(o, false), {}, 20ms);
               },
               mb.self())
               .get();
  ASSERT_TRUE(r.is_ok());
  idle_for(20ms);
  EXPECT_TRUE(hibernated(r.child));
  EXPECT_EQ(otp::call(otp::server_ref<sleeper>(r.child), sleeper::get{}).get(), 0);
}

// What a hibernated server gives back: its coroutine frame (measured here
// in the runtime's pools; docs/performance.md has the figure per server).
TEST_F(GenServerHibernate, AHibernatedServerGivesItsFrameBack) {
  constexpr int kCount = 100;
  std::vector<otp::server_ref<sleeper>> servers;
  for (int i = 0; i < kCount; ++i) servers.push_back(start());
  node.run_until_idle();
  const std::size_t before = otp::memory().blocks_in_use;
  for (auto& s : servers) otp::cast(s, sleeper::add_and_hibernate{1});
  node.run_until_idle();
  const std::size_t after = otp::memory().blocks_in_use;
  ASSERT_LT(after, before);
  // The frame's size depends on the compiler: 544 bytes under Clang 19,
  // about 320 under Clang 14 (the pending body takes 32 of them back).
  EXPECT_GE((before - after) / kCount, std::size_t{200}) << before << " -> " << after;
  for (auto& s : servers) EXPECT_TRUE(hibernated(s.get_pid()));
}

}  // namespace

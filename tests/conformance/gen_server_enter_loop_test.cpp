// gen_server:enter_loop: a process that did its own start (proc_lib start,
// a registered name, the ack) becomes a gen_server. Mirrors
// gen_server:enter_loop/3,4 and the enter_loop case of OTP's
// gen_server_SUITE.
#include <gtest/gtest.h>

#include <string>

#include "otp/otp.hpp"
#include "support/gen_servers.hpp"

namespace {

using otp::exit_reason;
using event = otp_test::server_event;

/// The state the process hands to enter_loop.
struct entered_counter {
  struct get {
    using reply = int;
  };
  otp::pid observer;
  int n;
  int handle_call(get) { return n; }
  void handle_info(otp::exit_msg e) { otp::send(observer, event{"EXIT " + e.reason.to_string()}); }
  void terminate(const exit_reason& r) { otp::send(observer, event{"terminate " + r.to_string()}); }
};

/// Started by proc_lib: registers `name` (when given), acks, then enters
/// the loop with a state it built itself.
otp::proc own_start(otp::starter st, otp::pid observer, std::string name, bool register_it) {
  otp::trap_exit(true);
  if (register_it) otp::register_name(name, otp::self());
  st.ack(otp::start_result::ok(otp::self()));
  co_await otp::gen_server::enter_loop(st, entered_counter{observer, 41}, otp::server_name(name));
}

class GenServerEnterLoop : public otp_test::gen_server_fixture {};

// The process serves calls with the state it built, shows its starter as
// parent and its name in sys::get_status, and ends through terminate with
// the stop reason.
TEST_F(GenServerEnterLoop, TheProcessServesWithItsOwnStateAndStopsThroughTerminate) {
  otp::trap_exit(true);
  auto s = otp::proc_lib::start_link({}, own_start, mb.self(), std::string("entered"), true).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const otp::server_ref<entered_counter> ref(s.child);
  EXPECT_EQ(otp::call(ref, entered_counter::get{}).get(), 41);
  EXPECT_EQ(otp::call(otp::whereis<entered_counter>("entered"), entered_counter::get{}).get(), 41);
  const auto st = otp::sys::get_status(s.child).get();
  EXPECT_EQ(st.parent, mb.self());
  EXPECT_EQ(st.name, "entered");
  EXPECT_EQ(st.behaviour, "gen_server");
  const otp::ref m = otp::monitor(s.child);
  otp::gen_server::stop(ref, exit_reason::other("done")).get();
  EXPECT_EQ(next_event(), "terminate done");
  EXPECT_EQ(down_of(m), exit_reason::other("done"));
}

// An exit from the parent (the starter) stops the entered server, as it
// does a started one.
TEST_F(GenServerEnterLoop, AnExitFromTheParentStopsTheServer) {
  otp::trap_exit(true);
  auto s = otp::proc_lib::start_link({}, own_start, mb.self(), std::string(), false).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const otp::ref m = otp::monitor(s.child);
  otp::exit(s.child, exit_reason::shutdown());
  EXPECT_EQ(next_event(), "terminate shutdown");
  EXPECT_EQ(down_of(m), exit_reason::shutdown());
}

// A name that is not registered to the process: it exits with
// process_not_registered and never serves.
TEST_F(GenServerEnterLoop, ANameNotRegisteredToTheProcessIsProcessNotRegistered) {
  otp::trap_exit(true);
  auto s = otp::proc_lib::start_link({}, own_start, mb.self(), std::string("nobody"), false).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const otp::pid p = s.child;
  const otp::exit_msg e = mb.receive(otp::when([p](const otp::exit_msg& x) { return x.from == p; },
                                               [](otp::exit_msg&& x) { return std::move(x); }));
  EXPECT_EQ(e.reason, exit_reason::other("process_not_registered"));
  EXPECT_TRUE(queued_events().empty());  // no terminate: it never served
}

// Without a starter the process is its own parent: an exit from the
// process that spawned it is an ordinary EXIT for handle_info.
TEST_F(GenServerEnterLoop, WithoutAStarterTheProcessIsItsOwnParent) {
  const otp::pid p = otp::spawn(
      [](otp::pid observer) -> otp::proc {
        otp::trap_exit(true);
        co_await otp::gen_server::enter_loop(entered_counter{observer, 7});
      },
      mb.self());
  const otp::server_ref<entered_counter> ref(p);
  EXPECT_EQ(otp::call(ref, entered_counter::get{}).get(), 7);
  otp::exit(p, exit_reason::other("bye"));
  EXPECT_EQ(next_event(), "EXIT bye");
  EXPECT_EQ(otp::sys::get_status(p).get().parent, p);
}

}  // namespace

// Registered names: register_name, unregister_name, whereis, send and
// monitor by name. Mirrors erlang:register/2, unregister/1, whereis/1.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "otp/otp.hpp"
#include "otp/runtime/process.hpp"
#include "support/bodies.hpp"

namespace {

using namespace std::chrono_literals;
using otp::exit_reason;

using otp_test::ping;
using otp_test::pong;
using otp_test::stop;

/// Answers pings until told to stop (then ends with `normal`).
otp::proc named_worker() {
  for (bool done = false; !done;) {
    co_await otp::receive([](ping p) { otp::send(p.from, pong{otp::self()}); },
                          [&done](stop) { done = true; });
  }
}

/// A manual node, a thread mailbox, and one live worker.
class Names : public ::testing::Test {
 protected:
  otp::down_msg down_of(otp::ref r) {
    return mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                                [](otp::down_msg d) { return d; }));
  }

  /// A pid whose process has ended.
  otp::pid dead_pid() {
    auto [p, r] = otp::spawn_monitor(named_worker);
    otp::send(p, stop{});
    down_of(r);
    return p;
  }

  otp::node n{{.manual = true}};
  otp::mailbox mb{n};
  otp::pid w = n.spawn(named_worker);
};

// whereis/1 returns the registered pid, and Name ! Msg reaches it.
TEST_F(Names, ARegisteredNameFindsAndReachesTheProcess) {
  otp::register_name("svc", w);
  EXPECT_EQ(otp::whereis("svc"), w);
  otp::send("svc", ping{mb.self()});
  auto reply = mb.receive<pong>(1s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->from, w);
}

// A process may register itself.
TEST_F(Names, AProcessCanRegisterItself) {
  n.spawn(
      [](otp::pid observer) -> otp::proc {
        otp::register_name("me", otp::self());
        otp::send(observer, otp::whereis("me") == otp::self());
        co_await otp::receive<stop>();
      },
      mb.self());
  EXPECT_TRUE(mb.receive<bool>());
}

// A process's name is removed when it dies: whereis gives undefined, Name ! Msg fails.
TEST_F(Names, TheNameVanishesWhenTheProcessDies) {
  otp::register_name("svc", w);
  otp::ref r = otp::monitor(w);
  otp::exit(w, exit_reason::kill());
  down_of(r);
  EXPECT_TRUE(otp::whereis("svc").is_null());
  EXPECT_THROW(otp::send("svc", ping{mb.self()}), otp::badarg);
}

// Sending to a name nobody has is badarg.
TEST_F(Names, SendingToAnUnknownNameThrowsBadarg) {
  EXPECT_THROW(otp::send("nobody", ping{mb.self()}), otp::badarg);
  EXPECT_THROW(n.send("nobody", ping{mb.self()}), otp::badarg);
}

// register/2 of a taken name is badarg, the message names the holder, and the
// name stays with its holder.
TEST_F(Names, RegisteringATakenNameThrowsBadargNamingTheHolder) {
  otp::register_name("svc", w);
  otp::pid other = n.spawn(named_worker);
  try {
    otp::register_name("svc", other);
    ADD_FAILURE() << "a taken name was registered again";
  } catch (const otp::badarg& e) {
    EXPECT_NE(std::string(e.what()).find(w.to_string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(otp::whereis("svc"), w);
}

// register/2 of a dead pid is badarg.
TEST_F(Names, RegisteringADeadPidThrowsBadarg) {
  otp::pid dead = dead_pid();
  EXPECT_THROW(otp::register_name("ghost", dead), otp::badarg);
  EXPECT_TRUE(otp::whereis("ghost").is_null());
}

// register/2 of a process that already has a name is badarg; the first name stays.
TEST_F(Names, RegisteringAProcessTwiceThrowsBadarg) {
  otp::register_name("first", w);
  EXPECT_THROW(otp::register_name("second", w), otp::badarg);
  EXPECT_EQ(otp::whereis("first"), w);
  EXPECT_TRUE(otp::whereis("second").is_null());
}

// The empty name and `undefined` cannot be registered.
TEST_F(Names, EmptyAndUndefinedAreNotNames) {
  EXPECT_THROW(otp::register_name("", w), otp::badarg);
  EXPECT_THROW(otp::register_name("undefined", w), otp::badarg);
  EXPECT_NO_THROW(otp::register_name("defined", w));
}

// unregister/1 of a name nobody has is badarg.
TEST_F(Names, UnregisteringAnUnknownNameThrowsBadarg) {
  EXPECT_THROW(otp::unregister_name("nobody"), otp::badarg);
  otp::register_name("svc", w);
  otp::unregister_name("svc");
  EXPECT_THROW(otp::unregister_name("svc"), otp::badarg);
}

// Any process may unregister any name; the process lives on and may take a new name.
TEST_F(Names, AnyProcessMayUnregisterAnyName) {
  otp::register_name("svc", w);
  auto [q, r] = otp::spawn_monitor([]() -> otp::proc {
    otp::unregister_name("svc");
    co_return;
  });
  EXPECT_EQ(down_of(r).reason, exit_reason::normal());
  EXPECT_TRUE(otp::whereis("svc").is_null());
  EXPECT_TRUE(n.is_alive(w));
  EXPECT_NO_THROW(otp::register_name("renamed", w));
  EXPECT_EQ(otp::whereis("renamed"), w);
}

// A monitor by name reports the name, the pid and the reason in its DOWN.
TEST_F(Names, MonitorByNameReportsTheNameInTheDown) {
  otp::register_name("svc", w);
  otp::ref r = otp::monitor(std::string_view("svc"));
  otp::exit(w, exit_reason::other("crash"));
  otp::down_msg d = down_of(r);
  EXPECT_EQ(d.name, "svc");
  EXPECT_EQ(d.from, w);
  EXPECT_EQ(d.reason, exit_reason::other("crash"));
}

// monitor/2 by name resolves the name once: it keeps watching that process
// even after the name moves to another.
TEST_F(Names, MonitorByNameWatchesTheProcessThatHadTheName) {
  otp::register_name("svc", w);
  otp::ref r = otp::monitor(std::string_view("svc"));
  otp::unregister_name("svc");
  otp::pid successor = n.spawn(named_worker);
  otp::register_name("svc", successor);
  otp::exit(w, exit_reason::other("crash"));
  otp::down_msg d = down_of(r);
  EXPECT_EQ(d.from, w);
  EXPECT_EQ(d.reason, exit_reason::other("crash"));
  EXPECT_TRUE(n.is_alive(successor));
}

// The node's own functions manage names from a thread that has no mailbox.
TEST(NamesOnNode, NodeFunctionsWorkFromAPlainThread) {
  otp::node n({.manual = true});
  otp::pid p = n.spawn(named_worker);
  n.register_name("svc", p);
  EXPECT_EQ(n.whereis("svc"), p);
  EXPECT_THROW(n.register_name("svc", p), otp::badarg);
  n.unregister_name("svc");
  EXPECT_TRUE(n.whereis("svc").is_null());
  EXPECT_THROW(n.unregister_name("svc"), otp::badarg);
}

// The name is released before the dying process's monitors are told, so a
// DOWN receiver can take the name at once (checked under real concurrency).
TEST(NamesThreaded, TheNameIsFreeWhenTheDownArrives) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  for (int i = 0; i < 50; ++i) {
    otp::pid p = n.spawn(named_worker);
    otp::register_name("svc", p);
    otp::ref r = otp::monitor(std::string_view("svc"));
    otp::exit(p, i % 2 == 0 ? exit_reason::kill() : exit_reason::other("crash"));
    mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                         [](const otp::down_msg&) {}));
    ASSERT_TRUE(otp::whereis("svc").is_null()) << "iteration " << i;
    ASSERT_NO_THROW(otp::register_name("svc", mb.self())) << "iteration " << i;
    otp::unregister_name("svc");
  }
}

// On a threaded node, of many processes racing to register one name exactly one wins.
TEST(NamesThreaded, ConcurrentRegistrationHasExactlyOneWinner) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  constexpr int kRacers = 16;
  std::vector<otp::pid> racers;
  for (int i = 0; i < kRacers; ++i)
    racers.push_back(n.spawn(
        [](otp::pid observer) -> otp::proc {
          bool won = true;
          try {
            otp::register_name("only", otp::self());
          } catch (const otp::badarg&) {
            won = false;
          }
          otp::send(observer, won);
          co_await otp::receive<stop>();
        },
        mb.self()));
  int winners = 0;
  for (int i = 0; i < kRacers; ++i) winners += mb.receive<bool>() ? 1 : 0;
  EXPECT_EQ(winners, 1);
  otp::pid holder = otp::whereis("only");
  EXPECT_NE(std::find(racers.begin(), racers.end(), holder), racers.end());
  for (otp::pid p : racers) otp::send(p, stop{});
}

}  // namespace

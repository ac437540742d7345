// Hibernation (erlang:hibernate/3): the call stack goes, the process waits
// with its control block only, and the next message starts it again in the
// function it named. All on a manual node: "idle" is exact, no sleeps.
#include "otp/runtime/hibernate.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"

using namespace std::chrono_literals;

namespace {

struct note {
  std::string what;
};
struct wake_up {
  int n = 0;
};
struct unreceived {};

/// Tells `to` when it is destroyed (unless moved from).
struct sentinel {
  otp::pid to;
  std::string what;
  sentinel(otp::pid t, std::string w) : to(t), what(std::move(w)) {}
  sentinel(sentinel&& o) noexcept : to(std::exchange(o.to, otp::pid())), what(std::move(o.what)) {}
  sentinel& operator=(sentinel&&) = delete;
  ~sentinel() {
    if (!to.is_null()) otp::send(to, note{what});
  }
};

/// The body a hibernated process wakes in: reports the message that woke it
/// and the value it was given, then ends.
otp::proc woken(otp::pid observer, int given) {
  wake_up w = co_await otp::receive<wake_up>();
  otp::send(observer, note{"woke " + std::to_string(given) + " with " + std::to_string(w.n)});
}

otp::task<void> nested_then_hibernate(otp::pid observer) {
  sentinel inner(observer, "inner frame destroyed");
  co_await otp::hibernate(woken, observer, 7);
  otp::send(observer, note{"hibernate returned"});  // never
}

otp::proc hibernates(otp::pid observer) {
  sentinel outer(observer, "outer frame destroyed");
  co_await nested_then_hibernate(observer);
  otp::send(observer, note{"hibernate returned"});  // never
}

std::string next_note(otp::mailbox& mb) {
  return mb.receive<note>(0ms).value_or(note{"none"}).what;
}

bool hibernated(otp::node& n, otp::pid p) {
  auto i = n.process_info(p);
  return i && i->hibernated;
}

// Rule (erlang:hibernate/3): the call stack is emptied, whatever the depth
// of the call, and the process waits in hibernation; the next message starts
// it again in the function given, with the arguments given.
TEST(Hibernate, TheCallStackGoesAndTheNextMessageStartsTheGivenFunction) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p = n.spawn(hibernates, mb.self());
  n.run_until_idle();
  EXPECT_EQ(next_note(mb), "inner frame destroyed");
  EXPECT_EQ(next_note(mb), "outer frame destroyed");
  EXPECT_EQ(next_note(mb), "none");
  EXPECT_TRUE(hibernated(n, p));
  EXPECT_TRUE(n.is_alive(p));

  n.send(p, wake_up{42});
  n.run_until_idle();
  EXPECT_EQ(next_note(mb), "woke 7 with 42");
  EXPECT_EQ(next_note(mb), "none");  // "hibernate returned" never comes
  EXPECT_FALSE(n.is_alive(p));       // the new body returned: the process ended normal
}

// Rule: a process with a message already queued wakes at once.
TEST(Hibernate, AMessageAlreadyQueuedWakesItAtOnce) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p = n.spawn(
      [](otp::pid observer) -> otp::proc {
        co_await otp::receive<unreceived>();  // wake_up arrives first and stays queued
        co_await otp::hibernate(woken, observer, 1);
      },
      mb.self());
  n.send(p, wake_up{5});
  n.send(p, unreceived{});
  n.run_until_idle();
  EXPECT_EQ(next_note(mb), "woke 1 with 5");
}

// Rule: signals are not messages: a link, a monitor and a process_info
// request are handled while the process stays in hibernation.
TEST(Hibernate, SignalsAreHandledWithoutWakingIt) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p =
      n.spawn([](otp::pid o) -> otp::proc { co_await otp::hibernate(woken, o, 2); }, mb.self());
  n.run_until_idle();
  ASSERT_TRUE(hibernated(n, p));
  otp::link(p);
  otp::ref m = otp::monitor(p);
  n.run_until_idle();
  auto info = n.process_info(p);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->hibernated);
  EXPECT_EQ(info->links.size(), 1u);
  EXPECT_EQ(info->monitored_by.size(), 1u);
  EXPECT_EQ(info->status, otp::process_status::waiting);
  otp::unlink(p);
  otp::demonitor(m);
  n.send(p, wake_up{3});
  n.run_until_idle();
  EXPECT_EQ(next_note(mb), "woke 2 with 3");
}

// Rule: an exit signal ends a hibernating process with its reason, and
// what it kept for waking (the function's arguments) is destroyed.
TEST(Hibernate, AnExitSignalEndsItAndDestroysWhatItKept) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid p = n.spawn(
      [](otp::pid o) -> otp::proc {
        co_await otp::hibernate([](std::shared_ptr<sentinel>) -> otp::proc { co_return; },
                                std::make_shared<sentinel>(o, "kept argument destroyed"));
      },
      mb.self());
  n.run_until_idle();
  ASSERT_TRUE(hibernated(n, p));
  otp::ref m = otp::monitor(p);
  otp::exit(p, otp::exit_reason::other("bye"));
  auto down = mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                   [](otp::down_msg d) { return d; }));
  EXPECT_EQ(down.reason, otp::exit_reason::other("bye"));
  EXPECT_EQ(next_note(mb), "kept argument destroyed");
}

// Rule: node::stop frees a process that is still hibernating.
TEST(Hibernate, NodeStopDestroysWhatAHibernatingProcessKept) {
  auto kept = std::make_shared<int>(0);
  {
    otp::node n({.manual = true});
    n.spawn(
        [](std::shared_ptr<int> mine) -> otp::proc {
          co_await otp::hibernate([](std::shared_ptr<int>) -> otp::proc { co_return; },
                                  std::move(mine));
        },
        kept);
    n.run_until_idle();
    EXPECT_EQ(kept.use_count(), 2);  // the body's frame is gone; the hibernation holds it
    n.stop();
    EXPECT_EQ(kept.use_count(), 1);
  }
}

/// Its move constructor throws once `fail` is set: the wake cannot make
/// the new body's frame.
struct fragile {
  static inline bool fail = false;
  fragile() = default;
  fragile(const fragile&) { throw_if_set(); }
  fragile(fragile&&) { throw_if_set(); }
  static void throw_if_set() {
    if (fail) throw std::runtime_error("cannot move");
  }
};

// Rule: a body that cannot be made at wake ends the process with the
// reason, instead of leaving it parked forever.
TEST(Hibernate, AWakeThatCannotMakeTheBodyEndsTheProcessWithWhy) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  fragile::fail = false;
  otp::pid p = n.spawn([]() -> otp::proc {
    co_await otp::hibernate([](fragile) -> otp::proc { co_return; }, fragile());
  });
  n.run_until_idle();
  ASSERT_TRUE(hibernated(n, p));
  otp::ref m = otp::monitor(p);
  fragile::fail = true;
  n.send(p, wake_up{});
  auto down = mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                   [](otp::down_msg d) { return d; }));
  fragile::fail = false;
  ASSERT_NE(down.reason.exception(), nullptr) << down.reason;
  EXPECT_EQ(down.reason.exception()->what, "cannot move");
}

// Rule: a thread's mailbox has no call stack to give up: badarg.
TEST(Hibernate, AThreadMailboxCannotHibernate) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  EXPECT_THROW((void)otp::hibernate([]() -> otp::proc { co_return; }), otp::badarg);
}

volatile char g_fill = 1;

// Rule: hibernation gives the frames back to the runtime's pools.
TEST(Hibernate, TheFramesGoBackToTheBlockAllocator) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  constexpr int kCount = 200;
  std::vector<otp::pid> ps;
  for (int i = 0; i < kCount; ++i)  // linked: their extras exist before the measure
    ps.push_back(otp::spawn_link(
        [](otp::pid o) -> otp::proc {
          char room[400];  // a frame of at least 400 bytes (pooled: at most 1 KiB)
          for (char& c : room) c = g_fill;
          co_await otp::receive<unreceived>();
          int sum = 0;
          for (char c : room) sum += c;
          co_await otp::hibernate(woken, o, sum);
        },
        mb.self()));
  n.run_until_idle();
  const std::size_t before = otp::memory().blocks_in_use;
  for (otp::pid p : ps) n.send(p, unreceived{});
  n.run_until_idle();
  const std::size_t after = otp::memory().blocks_in_use;
  ASSERT_LT(after, before);
  EXPECT_GE(before - after, std::size_t{kCount} * 400) << before << " -> " << after;
  for (otp::pid p : ps) EXPECT_TRUE(hibernated(n, p));
}

}  // namespace

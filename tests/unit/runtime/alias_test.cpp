#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "otp/otp.hpp"
#include "otp/runtime/process.hpp"

using namespace std::chrono_literals;

namespace {

struct hello {
  int n = 0;
};

// Rule (erlang:alias/0): a message sent to an active alias arrives like any
// message.
TEST(Alias, MessageToAnActiveAliasArrives) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::ref a = otp::alias();
  otp::send_alias(mb.self(), a, hello{7});
  auto got = mb.receive<hello>(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->n, 7);
}

// Rule (erlang:unalias/1): after unalias, messages to the alias are dropped
// and never reach the mailbox; other messages still do.
TEST(Alias, MessageToAnInactiveAliasIsDropped) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::ref a = otp::alias();
  EXPECT_TRUE(otp::unalias(a));
  EXPECT_FALSE(otp::unalias(a));
  otp::send_alias(mb.self(), a, hello{1});
  otp::send(mb.self(), hello{2});
  auto got = mb.receive<hello>(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->n, 2);
  EXPECT_FALSE(mb.receive<hello>(0ms).has_value());
}

// Rule: an alias that was deactivated while its message was in flight drops
// it on arrival (the late-reply case of gen_server:call).
TEST(Alias, MessageInFlightWhenTheAliasEndsIsDropped) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::ref a = otp::alias();
  n.spawn(
      [](otp::pid to, otp::ref al) -> otp::proc {
        otp::send_alias(to, al, hello{3});
        co_return;
      },
      mb.self(), a);
  n.run_until_idle();  // the message is in our inbox, not yet looked at
  otp::unalias(a);     // we gave up waiting
  EXPECT_FALSE(mb.receive<hello>(0ms).has_value());
}

// Rule: sending to an alias of a dead process is quietly dropped.
TEST(Alias, MessageToAnAliasOfADeadProcessIsDropped) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto [p, r] = otp::spawn_monitor([]() -> otp::proc { co_return; });
  mb.receive<otp::down_msg>();
  otp::send_alias(p, otp::make_ref(), hello{4});  // no error
  EXPECT_FALSE(n.is_alive(p));
}

// Rule (receive Any): a handler taking any_message takes the oldest message,
// whatever its type, and can inspect it.
TEST(AnyMessage, TakesTheOldestMessageWhateverItsType) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::send(mb.self(), 5);
  otp::send(mb.self(), hello{6});
  otp::any_message first = mb.receive<otp::any_message>();
  EXPECT_TRUE(first.is<int>());
  EXPECT_EQ(first.get<int>(), 5);
  EXPECT_EQ(first.get_if<hello>(), nullptr);
  EXPECT_THROW(first.get<hello>(), otp::badarg);
  otp::any_message second = mb.receive<otp::any_message>();
  ASSERT_TRUE(second.is<hello>());
  EXPECT_EQ(second.get<hello>().n, 6);
  EXPECT_EQ(second.type(), typeid(hello));
}

// Rule: a receive started at a mark ignores what was queued before the mark,
// and leaves it queued in order (how a call waits only for its own reply).
TEST(ReceiveMark, ReceiveFromAMarkSkipsOlderMessagesAndLeavesThem) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  std::vector<int> got;
  otp::pid p = n.spawn(
      [](std::vector<int>* got) -> otp::proc {
        co_await otp::receive([](otp::pid) {});  // wait until the old ints are queued
        auto mark = otp::detail::mark_queue();
        otp::send(otp::self(), 99);
        got->push_back(co_await otp::receive<int>().starting_at(mark));
        for (int i = 0; i < 3; ++i) got->push_back(co_await otp::receive<int>());
      },
      &got);
  for (int v : {1, 2, 3}) n.send(p, v);
  n.send(p, mb.self());
  n.run_until_idle();
  EXPECT_EQ(got, (std::vector<int>{99, 1, 2, 3}));
}

}  // namespace

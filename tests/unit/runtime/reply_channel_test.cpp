// The request/reply primitive (otp/runtime/detail/reply_channel.hpp), the
// building block of gen_server calls, start acks and tasks, as OTP's
// monitor(process, P, [{alias, reply_demonitor}]). All on a manual node:
// "idle" is exact, no sleeps.
#include "otp/runtime/detail/reply_channel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp::detail::reply_channel;
using outcome = otp::detail::reply_outcome<int>;

struct request {
  otp::pid from;
  otp::ref tag;
  int n = 0;
};
using otp_test::go;
/// Follows the reply of answer::reply_when_told.
struct after_reply {};

/// What the requester saw, sent to the observer.
struct seen {
  outcome::kind how = outcome::kind::timeout;
  int value = 0;
  std::string reason;
  bool monitor_gone = false;
  std::size_t monitors_after_close = 0;
  bool late_reply_in_mailbox = false;
};

enum class answer { reply, refuse, die, reply_when_told };

/// Takes one request and answers it as `how` says.
otp::proc replier(answer how) {
  request r = co_await otp::receive<request>();
  switch (how) {
    case answer::reply:
      otp::detail::send_reply(r.from, r.tag, r.n * 2);
      break;
    case answer::refuse:
      otp::detail::send_refusal(r.from, r.tag, otp::exit_reason::other("refused"));
      break;
    case answer::die:
      otp::exit(otp::exit_reason::other("gone"));
    case answer::reply_when_told:
      co_await otp::receive<go>();
      otp::detail::send_reply(r.from, r.tag, r.n * 2);
      otp::send(r.from, after_reply{});
      break;
  }
  co_await otp::receive<go>();  // stay alive until told
}

/// Opens a channel to `to` with request n = 21, waits `t` for the answer,
/// closes the channel and reports. With `late`, tells `to` to reply after
/// the close and looks for that reply.
otp::proc requester(otp::pid observer, otp::pid to, otp::timeout t, bool late) {
  otp::detail::process& me = otp::detail::require_process("test");
  const otp::ref tag = otp::make_ref();
  reply_channel::open(me, to, tag, otp::detail::make_message<request>(request{me.self(), tag, 21}));
  outcome o = co_await otp::detail::receive_reply<int>(otp::detail::on_channel{tag}, t);
  reply_channel(tag).close(o.monitor_gone);
  seen s{o.how, o.value.value_or(0), o.reason.to_string(), o.monitor_gone};
  if (late) {
    otp::send(to, go{});
    co_await otp::receive<after_reply>();  // sent after the reply: the reply came first or never
    s.late_reply_in_mailbox =
        co_await otp::receive(otp::when([](const otp::detail::reply_msg<int>&) { return true; },
                                        [](otp::detail::reply_msg<int>&&) { return true; }),
                              otp::after(0, [] { return false; }));
  }
  auto info = co_await otp::get_process_info(me.self());
  s.monitors_after_close = info->monitors.size();
  otp::send(observer, s);
}

seen exchange(answer how, otp::timeout t = otp::infinity, bool late = false) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  const otp::pid r = n.spawn(replier, how);
  n.spawn(requester, mb.self(), r, t, late);
  n.run_until_idle();
  std::optional<seen> s = mb.receive<seen>(0ms);
  EXPECT_TRUE(s.has_value());
  if (auto info = n.process_info(r)) EXPECT_TRUE(info->monitored_by.empty());
  return s.value_or(seen{});
}

// Rule (gen_server:call's protocol): the reply arrives as the value; the
// replier dropped the requester's monitor as it replied, so after close
// neither side holds a monitor.
TEST(ReplyChannel, TheReplyArrivesAndNoMonitorIsLeftOnEitherSide) {
  seen s = exchange(answer::reply);
  EXPECT_EQ(s.how, outcome::kind::value);
  EXPECT_EQ(s.value, 42);
  EXPECT_TRUE(s.monitor_gone);
  EXPECT_EQ(s.monitors_after_close, 0u);
}

// Rule: a refusal ends the wait with the replier's reason.
TEST(ReplyChannel, ARefusalEndsTheWaitWithItsReason) {
  seen s = exchange(answer::refuse);
  EXPECT_EQ(s.how, outcome::kind::refused);
  EXPECT_EQ(s.reason, "refused");
  EXPECT_EQ(s.monitors_after_close, 0u);
}

// Rule: a replier that ends first gives the DOWN of the channel's monitor,
// with its reason.
TEST(ReplyChannel, AReplierThatEndsFirstGivesItsDown) {
  seen s = exchange(answer::die);
  EXPECT_EQ(s.how, outcome::kind::down);
  EXPECT_EQ(s.reason, "gone");
  EXPECT_TRUE(s.monitor_gone);
  EXPECT_EQ(s.monitors_after_close, 0u);
}

// Rule (the alias of reply_demonitor): after a timeout and close, a reply
// that comes later is dropped at the requester's door and the monitor is gone.
TEST(ReplyChannel, AReplyAfterCloseNeverReachesTheMailbox) {
  seen s = exchange(answer::reply_when_told, otp::timeout(0), true);
  EXPECT_EQ(s.how, outcome::kind::timeout);
  EXPECT_FALSE(s.late_reply_in_mailbox);
  EXPECT_EQ(s.monitors_after_close, 0u);
}

/// Adopts a channel as a spawn's monitor, closes only its alias, then
/// reports whether the child's reply and its DOWN arrived.
otp::proc adopt_then_close_alias(otp::pid observer) {
  otp::detail::process& me = otp::detail::require_process("test");
  const reply_channel ch = reply_channel::adopt(me);
  otp::spawn_options o;
  o.monitor = true;
  o.monitor_ref = ch.tag();
  const otp::spawned child = otp::spawn_opt(
      o,
      [](otp::pid to, otp::ref tag) -> otp::proc {
        co_await otp::receive<go>();
        otp::detail::send_reply(to, tag, 1, false);
      },
      me.self(), ch.tag());
  ch.close_alias();
  otp::send(child.child, go{});
  outcome o2 =
      co_await otp::detail::receive_reply<int>(otp::detail::on_channel{ch.tag()}, otp::infinity);
  otp::send(observer, seen{o2.how, o2.value.value_or(0), o2.reason.to_string(), o2.monitor_gone});
}

// Rule: close_alias keeps the monitor (a start_monitor, a stream waiting for
// its tasks' DOWNs): the reply is dropped, the DOWN still comes.
TEST(ReplyChannel, CloseAliasDropsRepliesAndKeepsTheMonitor) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.spawn(adopt_then_close_alias, mb.self());
  n.run_until_idle();
  std::optional<seen> s = mb.receive<seen>(0ms);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->how, outcome::kind::down);
  EXPECT_EQ(s->reason, "normal");
}

}  // namespace

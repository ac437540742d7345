#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "otp/otp.hpp"
#include "otp/runtime/node.hpp"

namespace {

otp::proc doubler() {
  for (;;) {
    co_await otp::receive([](std::pair<otp::pid, int> m) { otp::send(m.first, m.second * 2); });
  }
}

// A spawned process receives a message and answers the sender.
TEST(Spawn, SpawnedProcessAnswersAMessage) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  otp::pid e = n.spawn(doubler);
  otp::send(e, std::pair<otp::pid, int>{mb.self(), 21});
  EXPECT_EQ(mb.receive<int>(), 42);
}

TEST(Spawn, ManualNodeRunsTheSameDeterministically) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid e = n.spawn(doubler);
  otp::send(e, std::pair<otp::pid, int>{mb.self(), 5});
  EXPECT_EQ(mb.receive<int>(), 10);
}

otp::proc answer_owned(otp::pid to, std::unique_ptr<int> v) {
  otp::send(to, *v);
  co_return;
}

// A function (or a lambda without captures) gets its arguments moved in, so
// they may be move-only; a callable with state is called with its stored
// copies.
TEST(Spawn, AStatelessBodyTakesMoveOnlyArguments) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.spawn(answer_owned, mb.self(), std::make_unique<int>(7));
  n.spawn([](otp::pid to,
             std::unique_ptr<int> v) -> otp::proc { return answer_owned(to, std::move(v)); },
          mb.self(), std::make_unique<int>(8));
  EXPECT_EQ(mb.receive<int>(), 7);
  EXPECT_EQ(mb.receive<int>(), 8);
}

}  // namespace

#include <gtest/gtest.h>

#include "otp/otp.hpp"
#include "otp/runtime/node.hpp"

namespace {

otp::proc echo() {
  for (;;) {
    co_await otp::receive([](std::pair<otp::pid, int> m) { otp::send(m.first, m.second * 2); });
  }
}

// A spawned process receives a message and answers the sender.
TEST(Spawn, SpawnedProcessAnswersAMessage) {
  otp::node n({.schedulers = 2});
  otp::mailbox mb(n);
  otp::pid e = n.spawn(echo);
  otp::send(e, std::pair<otp::pid, int>{mb.self(), 21});
  EXPECT_EQ(mb.receive<int>(), 42);
}

TEST(Spawn, ManualNodeRunsTheSameDeterministically) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::pid e = n.spawn(echo);
  otp::send(e, std::pair<otp::pid, int>{mb.self(), 5});
  EXPECT_EQ(mb.receive<int>(), 10);
}

}  // namespace

#include "otp/runtime/task.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::add_received;

otp::task<int> nested(int base) {
  int first = co_await add_received(base);
  auto second = co_await otp::receive<int>(10ms);  // times out: nothing more is sent
  co_return first + (second ? 1000 : 0);
}

// A task run with get() on a mailbox thread: every receive inside it, also in
// nested tasks and with timeouts, blocks the thread and completes.
TEST(Task, GetRunsATaskToCompletionOnAMailboxThread) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  n.spawn(
      [](otp::pid to) -> otp::proc {
        otp::send(to, 5);
        co_return;
      },
      mb.self());
  EXPECT_EQ(nested(100).get(), 105);
}

otp::task<int> throws_after_receive() {
  co_await otp::receive<int>();
  throw std::runtime_error("inside the task");
}

// An exception leaving the task is rethrown by get().
TEST(Task, GetRethrowsTheTasksException) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::send(mb.self(), 1);
  EXPECT_THROW(throws_after_receive().get(), std::runtime_error);
}

otp::task<int> blocking_square(int x) {
  co_return co_await otp::blocking([x] { return x * x; });
}

// otp::blocking inside a task on a mailbox thread runs the work right there.
TEST(Task, BlockingInsideATaskOnAMailboxThreadRunsInline) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  EXPECT_EQ(blocking_square(7).get(), 49);
}

// get() needs a mailbox thread: elsewhere it is a clear error.
TEST(Task, GetWithoutAMailboxIsBadarg) {
  otp::node n({.manual = true});
  EXPECT_THROW(add_received(1).get(), otp::badarg);
}

}  // namespace

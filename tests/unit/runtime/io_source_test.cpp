// The io source hook (otp/runtime/detail/io_source.hpp): what the
// distribution layer's sockets ride on. An eventfd stands for the sockets.
#include "otp/runtime/detail/io_source.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "otp/otp.hpp"
#include "otp/runtime/node.hpp"
#include "support/bodies.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::stop;

/// An io source over an eventfd: drain() reads it, then runs `on_drain`.
class event_source final : public otp::detail::io_source {
 public:
  event_source() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~event_source() { ::close(fd_); }
  int fd() const noexcept override { return fd_; }
  void drain() noexcept override {
    std::uint64_t v;
    if (::read(fd_, &v, sizeof(v)) == sizeof(v)) on_drain();
  }
  void signal() const {
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(fd_, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  }
  std::function<void()> on_drain = [] {};

 private:
  int fd_;
};

struct drained_on {
  std::thread::id thread;
};
struct ran_on {
  std::thread::id thread;
};

/// Reports the thread it runs on for each drained_on it gets.
otp::proc report_thread(otp::pid report) {
  for (;;) {
    auto m = co_await otp::receive<drained_on>();
    otp::send(report, ran_on{std::this_thread::get_id()});
    otp::send(report, m);
  }
}

/// Ping-pongs with its partner until stopped: keeps its scheduler busy.
struct ball {};
otp::proc bounce() {
  otp::pid partner = co_await otp::receive<otp::pid>();
  for (;;) {
    bool stopped = false;
    co_await otp::receive([](ball) {}, [&](stop) { stopped = true; });
    otp::send(partner, ball{});
    if (stopped) {
      otp::send(partner, stop{});
      co_return;
    }
  }
}

/// Two bouncing processes that keep `n`'s scheduler busy; stop{} to the
/// pid returned ends both.
otp::pid start_bouncing(otp::node& n) {
  const otp::pid a = n.spawn(bounce);
  const otp::pid b = n.spawn(bounce);
  n.send(a, b);
  n.send(b, a);
  n.send(a, ball{});
  return a;
}

TEST(IoSource, AnIdleWorkerDrainsItOnItsOwnThreadAndRunsWhatItWakes) {
  // Rule: a parked worker waits on the source; what the drain delivers runs
  // on the thread that drained, with no other thread in between.
  otp::node n({.schedulers = 1});
  otp::mailbox mb(n);
  const otp::pid target = n.spawn(report_thread, mb.self());
  event_source src;
  src.on_drain = [&] { n.send(target, drained_on{std::this_thread::get_id()}); };
  ASSERT_TRUE(otp::detail::install_io_source(n.impl(), &src));
  for (int round = 0; round < 3; ++round) {
    src.signal();
    const auto ran = mb.receive<ran_on>(5s);
    const auto drained = mb.receive<drained_on>(5s);
    ASSERT_TRUE(ran && drained) << "round " << round;
    EXPECT_EQ(ran->thread, drained->thread);
    EXPECT_NE(drained->thread, std::this_thread::get_id());
  }
  otp::detail::remove_io_source(n.impl());
}

TEST(IoSource, ABusyWorkerStillDrainsItNowAndThen) {
  // Rule: a worker that never runs out of work drains the source every 61
  // picks; it does not wait to be idle.
  otp::node n({.schedulers = 1});
  const otp::pid a = start_bouncing(n);
  event_source src;
  std::atomic<bool> drained{false};
  src.on_drain = [&] { drained.store(true); };
  ASSERT_TRUE(otp::detail::install_io_source(n.impl(), &src));
  src.signal();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!drained.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(drained.load());
  otp::detail::remove_io_source(n.impl());
  n.send(a, stop{});
}

TEST(IoSource, RemoveWaitsForADrainInProgress) {
  // Rule: once remove_io_source returns, no thread is inside drain(), so
  // the owner may free the source.
  otp::node n({.schedulers = 1});
  event_source src;
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  std::atomic<bool> finished{false};
  src.on_drain = [&] {
    inside.store(true);
    while (!release.load()) std::this_thread::yield();
    finished.store(true);
  };
  ASSERT_TRUE(otp::detail::install_io_source(n.impl(), &src));
  src.signal();
  while (!inside.load()) std::this_thread::yield();
  std::thread releaser([&] { release.store(true); });
  otp::detail::remove_io_source(n.impl());
  EXPECT_TRUE(finished.load());
  releaser.join();
}

TEST(IoSource, OneSourceANodeAndNoneOnAManualNode) {
  otp::node n({.schedulers = 1});
  event_source a;
  event_source b;
  EXPECT_TRUE(otp::detail::install_io_source(n.impl(), &a));
  EXPECT_FALSE(otp::detail::install_io_source(n.impl(), &b));
  otp::detail::remove_io_source(n.impl());
  EXPECT_TRUE(otp::detail::install_io_source(n.impl(), &b));
  otp::detail::remove_io_source(n.impl());
  otp::node manual({.manual = true});
  EXPECT_FALSE(otp::detail::install_io_source(manual.impl(), &a));
}

TEST(IoSource, TryDrainRunsItOnTheCallingThreadWhileEveryWorkerIsBusy) {
  // Rule: a thread outside the scheduler drains the source itself when no
  // worker waits on it or drains it (the only worker is busy).
  otp::node n({.schedulers = 1});
  const otp::pid a = start_bouncing(n);
  event_source src;
  std::atomic<std::thread::id> last{};
  src.on_drain = [&] { last.store(std::this_thread::get_id()); };
  ASSERT_TRUE(otp::detail::install_io_source(n.impl(), &src));
  bool here = false;
  for (int i = 0; i < 1000 && !here; ++i) {
    src.signal();
    here = otp::detail::try_drain_io(n.impl());
  }
  ASSERT_TRUE(here);
  EXPECT_EQ(last.load(), std::this_thread::get_id());
  otp::detail::remove_io_source(n.impl());
  n.send(a, stop{});
}

}  // namespace

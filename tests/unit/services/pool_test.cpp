#include "otp/services/pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::quiet_manual;

// A pooled connection: answers with its own pid, throws on `broken`.
struct conn {
  struct whoami {
    using reply = otp::pid;
  };
  struct broken {
    using reply = int;
  };
  std::string dsn;
  explicit conn(std::string d) : dsn(std::move(d)) {}
  otp::pid handle_call(whoami) { return otp::self(); }
  int handle_call(broken) { throw std::runtime_error("connection lost"); }
};

using conn_pool = otp::pool<conn>;

conn_pool start(otp::pool_options o) {
  auto s = conn_pool::start_link(o, std::string("test.db")).get();
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return s.ref();
}

otp::pid pid_of(const std::optional<conn_pool::worker>& w) { return w->resolve(); }

// Takes a worker in a new process, sends it to `to`, and holds it until told
// to stop (an int) - then ends without checking it in.
otp::proc holder(conn_pool p, otp::pid to) {
  auto w = co_await p.checkout();
  otp::send(to, w->resolve());
  (void)co_await otp::receive<int>();
}

// Rule (checkout/status): `size` workers start with the pool; checkout hands
// out distinct idle workers; with none left and no overflow, a non-blocking
// checkout returns full.
TEST(Pool, ChecksOutDistinctWorkersThenIsFull) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto p = start({.size = 2, .max_overflow = 0});
  EXPECT_EQ(p.status().get().to_string(), "{ready,2,0,0,0}");
  auto a = p.checkout().get();
  auto b = p.checkout().get();
  ASSERT_TRUE(a && b);
  EXPECT_NE(pid_of(a), pid_of(b));
  EXPECT_EQ(otp::call(*a, conn::whoami{}).get(), pid_of(a));
  EXPECT_FALSE(p.checkout(false).get().has_value());
  EXPECT_EQ(p.status().get().to_string(), "{full,0,0,2,0}");
  p.checkin(*a);
  EXPECT_EQ(p.status().get().to_string(), "{ready,1,0,1,0}");
}

// Rule: a pool handle made from the pool's registered name reaches the pool
// its supervisor started again after a crash.
TEST(Pool, AHandleByNameReachesThePoolAfterItsRestart) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = otp::supervisor::start_link(
                 {}, {conn_pool::child_spec("db", {.size = 1, .max_overflow = 0},
                                            {.name = "db_pool"}, std::string("test.db"))})
                 .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  const conn_pool by_name(otp::server_name("db_pool"));
  EXPECT_EQ(by_name.status().get().to_string(), "{ready,1,0,0,0}");
  const otp::pid first = otp::whereis("db_pool");
  otp::exit(first, otp::exit_reason::kill());
  n.run_until_idle();
  EXPECT_NE(otp::whereis("db_pool"), first);
  EXPECT_EQ(by_name.status().get().to_string(), "{ready,1,0,0,0}");
}

// Rule (strategy): lifo hands out the worker returned last, fifo the one
// idle longest.
TEST(Pool, LifoGivesTheLastReturnedFifoTheLongestIdle) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  for (auto order : {otp::pool_options::order::lifo, otp::pool_options::order::fifo}) {
    auto p = start({.size = 2, .max_overflow = 0, .strategy = order});
    auto a = p.checkout().get();
    auto b = p.checkout().get();
    p.checkin(*a);
    p.checkin(*b);
    const otp::pid next = pid_of(p.checkout().get());
    EXPECT_EQ(next, order == otp::pool_options::order::lifo ? pid_of(b) : pid_of(a));
    otp::gen_server::stop(p.ref()).get();
  }
}

// Rule (overflow): with no idle worker, up to max_overflow extra workers are
// started; a worker returned while overflow workers exist and nobody waits
// is stopped.
TEST(Pool, OverflowWorkersStartOnDemandAndStopWhenReturned) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto p = start({.size = 1, .max_overflow = 1});
  auto a = p.checkout().get();
  EXPECT_EQ(p.status().get().to_string(), "{overflow,0,0,1,0}");
  auto b = p.checkout().get();
  ASSERT_TRUE(b);
  EXPECT_EQ(p.status().get().to_string(), "{full,0,1,2,0}");
  const otp::ref watch = otp::monitor(pid_of(b));
  p.checkin(*b);
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, watch);
  EXPECT_TRUE(down.reason.is_shutdown()) << down.reason;
  EXPECT_EQ(p.status().get().to_string(), "{overflow,0,0,1,0}");
}

// Rule (blocking checkout): a caller waits in line and gets the next worker
// checked in.
TEST(Pool, BlockingCheckoutGetsTheNextCheckedInWorker) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto p = start({.size = 1, .max_overflow = 0});
  const otp::pid h = n.spawn(holder, p, mb.self());
  const otp::pid held = mb.receive<otp::pid>();
  otp::send(h, 0);  // the holder ends: its worker is checked in for it
  auto w = p.checkout(true, 5000ms).get();
  ASSERT_TRUE(w);
  EXPECT_EQ(pid_of(w), held);
  EXPECT_EQ(p.status().get().to_string(), "{full,0,0,1,0}");
}

// Rule (checkout timeout): the caller exits `timeout`, leaves the queue, and
// a worker returned afterwards becomes idle instead of going to it.
TEST(Pool, CheckoutTimeoutExitsTimeoutAndLeavesTheQueue) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto p = start({.size = 1, .max_overflow = 0});
  auto a = p.checkout().get();
  try {
    (void)p.checkout(true, 20ms).get();
    FAIL() << "no timeout";
  } catch (const otp::exit_error& e) {
    EXPECT_TRUE(e.reason().is(otp::exit_reason::kind::timeout)) << e.reason();
  }
  EXPECT_EQ(p.status().get().waiting, 0u);  // the cancel was handled before
  p.checkin(*a);
  EXPECT_EQ(p.status().get().to_string(), "{ready,1,0,0,0}");
}

// Rule (holder death): a worker held by a process that dies goes back.
TEST(Pool, WorkerOfADeadHolderIsReturned) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto p = start({.size = 1, .max_overflow = 0});
  const otp::pid h = n.spawn(holder, p, mb.self());
  const otp::pid held = mb.receive<otp::pid>();
  otp::exit(h, otp::exit_reason::kill());
  // Blocks until the pool has handled the holder's DOWN.
  EXPECT_EQ(pid_of(p.checkout(true, 5000ms).get()), held);
  EXPECT_TRUE(otp::is_alive(held));
}

// Rule (worker crash): a crashed worker is replaced, idle or checked out,
// so the pool keeps `size` workers.
TEST(Pool, CrashedWorkersAreReplaced) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto p = start({.size = 2, .max_overflow = 0});
  auto a = p.checkout().get();
  const otp::ref m = otp::monitor(pid_of(a));
  EXPECT_THROW((void)otp::call(*a, conn::broken{}).get(), otp::exit_error);
  (void)mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                             [](const otp::down_msg&) {}));
  // The worker's EXIT reached the pool before our DOWN (a dying process
  // signals its links before its monitors), so this call is handled after it.
  EXPECT_EQ(p.status().get().to_string(), "{ready,2,0,0,0}");
  std::set<otp::pid> seen;
  auto x = p.checkout().get();
  auto y = p.checkout().get();
  seen.insert(pid_of(x));
  seen.insert(pid_of(y));
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen.count(pid_of(a)), 0u);
  for (otp::pid w : seen) EXPECT_TRUE(otp::is_alive(w));
}

// Rule (transaction): the worker is checked in whether f returns or throws;
// f may be a coroutine that calls the worker.
TEST(Pool, TransactionAlwaysChecksTheWorkerIn) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto p = start({.size = 1, .max_overflow = 0});
  const otp::pid w = p.transaction([](conn_pool::worker c) -> otp::task<otp::pid> {
                        co_return co_await otp::call(c, conn::whoami{});
                      }).get();
  EXPECT_TRUE(otp::is_alive(w));
  EXPECT_THROW(
      p.transaction([](conn_pool::worker) -> int { throw std::logic_error("bad query"); }).get(),
      std::logic_error);
  EXPECT_EQ(p.status().get().to_string(), "{ready,1,0,0,0}");
}

// Rule (stop): stopping the pool stops every worker, idle and checked out.
TEST(Pool, StoppingThePoolStopsAllWorkers) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto p = start({.size = 2, .max_overflow = 0});
  auto a = p.checkout().get();
  auto b = p.checkout().get();
  p.checkin(*b);
  const otp::ref ma = otp::monitor(pid_of(a));
  const otp::ref mb_ref = otp::monitor(pid_of(b));
  otp::gen_server::stop(p.ref()).get();
  for (int i = 0; i < 2; ++i) {
    auto d = mb.receive<otp::down_msg>();
    EXPECT_TRUE(d.monitor == ma || d.monitor == mb_ref);
    EXPECT_TRUE(d.reason.is_shutdown()) << d.reason;
  }
}

// Rule (child_spec): a pool runs under a supervisor like any child, and the
// supervisor's shutdown stops its workers.
TEST(Pool, ChildSpecStartsThePoolUnderASupervisor) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  otp::start_options pool_name;
  pool_name.name = "repo";
  auto sup =
      otp::supervisor::start_link({}, {conn_pool::child_spec("repo", {.size = 2, .max_overflow = 0},
                                                             pool_name, std::string("orders.db"))})
          .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  conn_pool p(otp::whereis("repo"));
  auto w = p.checkout().get();
  ASSERT_TRUE(w);
  const otp::ref m = otp::monitor(pid_of(w));
  otp::gen_server::stop(sup.ref()).get();
  auto d = mb.receive<otp::down_msg>();
  EXPECT_EQ(d.monitor, m);
  EXPECT_TRUE(d.reason.is_shutdown()) << d.reason;
}

// Rule (bad start): a worker that fails to start fails the pool's start
// with its reason.
TEST(Pool, AWorkerFailingToStartFailsThePoolStart) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  struct refuses {
    refuses() { throw std::runtime_error("no database"); }
  };
  auto s = otp::pool<refuses>::start_link({.size = 1}).get();
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.reason.to_string().find("no database"), std::string::npos) << s.reason;
}

}  // namespace

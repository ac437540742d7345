#include "otp/behaviours/async_stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"
#include "support/exit_of.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;

namespace {

using otp_test::go;
using otp_test::is_boom;
using otp_test::mailbox_is_empty;
using otp_test::never;
using otp_test::quiet_manual;

/// The values of results that must all be ok.
std::vector<int> ok_values(const std::vector<otp::async_result<int>>& rs) {
  std::vector<int> out;
  for (const auto& r : rs) {
    EXPECT_TRUE(r.is_ok()) << (r.is_exit() ? r.reason().to_string() : "");
    out.push_back(r.is_ok() ? r.value() : -1);
  }
  return out;
}

// --- a gate: lets waiting tasks end in a chosen order ----------------------

struct at_gate {
  int index;
  otp::pid task;
};

/// Waits until `n` tasks are at the gate, then lets them go one by one in
/// `order`, each once the previous one has ended (its DOWN came).
otp::proc gate(int n, std::vector<int> order) {
  std::unordered_map<int, otp::pid> waiting;
  while (static_cast<int>(waiting.size()) < n) {
    at_gate a = co_await otp::receive<at_gate>();
    waiting.emplace(a.index, a.task);
  }
  for (int i : order) {
    const otp::ref m = otp::monitor(waiting.at(i));
    otp::send(waiting.at(i), go{});
    co_await otp::receive(
        otp::when([m](const otp::down_msg& d) { return d.monitor == m; }, [](otp::down_msg&&) {}));
  }
}

/// A task that waits at gate `g`, then returns its input.
auto through(otp::pid g) {
  return [g](int i) -> otp::task<int> {
    otp::send(g, at_gate{i, otp::self()});
    co_await otp::receive<go>();
    co_return i;
  };
}

// Rule (ordered: true): the results come in input order, whatever order the
// tasks end in.
TEST(AsyncStream, OrderedResultsComeInInputOrder) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  const otp::pid g = otp::spawn(gate, 4, std::vector<int>{3, 1, 2, 0});
  auto rs =
      otp::async_stream(std::vector<int>{0, 1, 2, 3}, through(g), {.max_concurrency = 4}).get();
  EXPECT_EQ(ok_values(rs), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (ordered: false): the results come in the order the tasks ended.
TEST(AsyncStream, UnorderedResultsComeInTheOrderTheTasksEnded) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  const otp::pid g = otp::spawn(gate, 4, std::vector<int>{3, 1, 2, 0});
  auto rs = otp::async_stream(std::vector<int>{0, 1, 2, 3}, through(g),
                              {.max_concurrency = 4, .ordered = false})
                .get();
  EXPECT_EQ(ok_values(rs), (std::vector<int>{3, 1, 2, 0}));
}

// --- a collector: measures how many tasks run at once ----------------------

struct began {
  otp::pid task;
};
struct finished {};
struct peak_was {
  int peak;
};

/// Holds the tasks of a stream of `n` inputs back until min(limit, what is
/// left) run at once, then lets the oldest finish, one at a time; tells
/// `report_to` the most that ever ran at once. A stream that starts fewer
/// than `limit` leaves it waiting (the tasks then time out).
otp::proc collector(int n, int limit, otp::pid report_to) {
  std::deque<otp::pid> held;
  int running = 0, done = 0, peak = 0;
  bool one_released = false;
  while (done < n) {
    co_await otp::receive(
        [&](began&& b) {
          held.push_back(b.task);
          peak = std::max(peak, ++running);
        },
        [&](finished&&) {
          --running;
          ++done;
          one_released = false;
        });
    if (!one_released && !held.empty() && running >= std::min(limit, n - done)) {
      otp::send(held.front(), go{});
      held.pop_front();
      one_released = true;
    }
  }
  otp::send(report_to, peak_was{peak});
}

/// A task that reports to collector `c` and returns its input.
auto counted(otp::pid c) {
  return [c](int i) -> otp::task<int> {
    otp::send(c, began{otp::self()});
    co_await otp::receive<go>();
    otp::send(c, finished{});
    co_return i;
  };
}

std::vector<int> upto(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

// Rule (max_concurrency): at most max_concurrency tasks run at once, and the
// stream keeps that many running while inputs are left.
TEST(AsyncStream, MaxConcurrencyIsNeverExceededAndIsReached) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  const otp::pid c = otp::spawn(collector, 10, 3, mb.self());
  auto rs =
      otp::async_stream(upto(10), counted(c), {.max_concurrency = 3, .timeout = 1000ms}).get();
  EXPECT_EQ(ok_values(rs), upto(10));
  EXPECT_EQ(mb.receive<peak_was>().peak, 3);
}

// Rule (max_concurrency default): System.schedulers_online, here the node's
// scheduler threads.
TEST(AsyncStreamThreaded, DefaultMaxConcurrencyIsTheNodesSchedulerCount) {
  otp::node n({.schedulers = 3, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  ASSERT_EQ(otp::schedulers_online(), 3u);
  const otp::pid c = otp::spawn(collector, 8, 3, mb.self());
  auto rs = otp::async_stream(upto(8), counted(c)).get();
  EXPECT_EQ(ok_values(rs), upto(8));
  EXPECT_EQ(mb.receive<peak_was>().peak, 3);
}

// --- timeouts ---------------------------------------------------------------

/// Returns its input, except for `hang`: that one tells `log` its pid and
/// waits forever.
auto hangs_on(int hang, otp::pid log) {
  return [hang, log](int i) -> otp::task<int> {
    if (i == hang) {
      otp::send(log, otp::self());
      co_await otp::receive<never>();
    }
    co_return i;
  };
}

// Rule (on_timeout: :kill_task): a task past its timeout is killed and its
// result is {exit, timeout}; the others go on.
TEST(AsyncStream, KillTaskKillsATaskPastItsTimeoutAndGivesExitedTimeout) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  const auto start = n.now();
  auto rs =
      otp::async_stream(
          upto(3), hangs_on(1, mb.self()),
          {.max_concurrency = 3, .timeout = 100ms, .on_timeout = otp::stream_on_timeout::kill_task})
          .get();
  EXPECT_EQ(n.now() - start, 100ms);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].value(), 0);
  ASSERT_TRUE(rs[1].is_exit());
  EXPECT_TRUE(rs[1].reason().is(otp::exit_reason::kind::timeout)) << rs[1].reason();
  EXPECT_EQ(rs[2].value(), 2);
  EXPECT_FALSE(n.is_alive(mb.receive<otp::pid>()));
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule (on_timeout: :exit, the default): the caller exits with timeout, and
// the stream's other tasks are stopped first.
TEST(AsyncStream, OnTimeoutExitExitsTheCallerAndStopsTheOtherTasks) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto slow = [log = mb.self()](int i) -> otp::task<int> {
    otp::send(log, otp::self());
    co_await otp::receive<never>();
    co_return i;
  };
  otp::exit_reason why;
  try {
    (void)otp::async_stream(upto(2), slow, {.max_concurrency = 2, .timeout = 50ms}).get();
    ADD_FAILURE() << "expected an exit";
  } catch (const otp::exit_error& e) {
    why = e.reason();
  }
  EXPECT_TRUE(why.is(otp::exit_reason::kind::timeout)) << why;
  const otp::pid a = mb.receive<otp::pid>(), b = mb.receive<otp::pid>();
  EXPECT_FALSE(n.is_alive(a));
  EXPECT_FALSE(n.is_alive(b));
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// --- crashes ----------------------------------------------------------------

int tenfold_or_crash_on_one(int i) {
  if (i == 1) throw std::runtime_error("boom");
  return i * 10;
}

otp::proc streams_a_crash() { (void)co_await otp::async_stream(upto(3), tenfold_or_crash_on_one); }

// Rule (linked tasks): a crashing task takes a caller that does not trap
// exits down with its reason.
TEST(AsyncStream, CrashOfATaskEndsANonTrappingCaller) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto [caller, mon] = otp::spawn_monitor(streams_a_crash);
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.from, caller);
  EXPECT_TRUE(is_boom(down.reason)) << down.reason;
}

// Rule (linked tasks, trapping caller): the crash is the result {exit,
// Reason}; the EXIT messages of the tasks are not left in the mailbox.
TEST(AsyncStream, TrappingCallerGetsExitedForACrashAndNoExitMessages) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto rs = otp::async_stream(upto(3), tenfold_or_crash_on_one, {.max_concurrency = 3}).get();
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].value(), 0);
  ASSERT_TRUE(rs[1].is_exit());
  EXPECT_TRUE(is_boom(rs[1].reason())) << rs[1].reason();
  EXPECT_EQ(rs[2].value(), 20);
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// Rule: plain, void and coroutine functions work; inputs may be any range
// (copied), and an empty one gives no results.
TEST(AsyncStream, PlainVoidAndCoroutineFunctionsOverAnyRange) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  const std::vector<std::string> words{"a", "bb", "ccc"};
  auto lengths = otp::async_stream(words, [](const std::string& w) { return w.size(); }).get();
  ASSERT_EQ(lengths.size(), 3u);
  EXPECT_EQ(lengths[2].value(), 3u);
  auto voids = otp::async_stream(words, [log = mb.self()](std::string w) {
                 otp::send(log, std::move(w));
               }).get();
  EXPECT_EQ(voids.size(), 3u);
  for (const auto& r : voids) EXPECT_TRUE(r.is_ok());
  for (int i = 0; i < 3; ++i) (void)mb.receive<std::string>();
  auto doubled = otp::async_stream(upto(3), [](int i) -> otp::task<int> { co_return 2 * i; }).get();
  EXPECT_EQ(ok_values(doubled), (std::vector<int>{0, 2, 4}));
  EXPECT_TRUE(otp::async_stream(std::vector<int>{}, tenfold_or_crash_on_one).get().empty());
  EXPECT_TRUE(mailbox_is_empty(mb));
}

// --- the guide's example (docs/guide/async.md) -------------------------------

std::size_t fetch(const std::string& url) { return url.size(); }

// guide: async_stream
otp::task<std::vector<int>> sizes(std::vector<std::string> urls) {
  auto rs = co_await otp::async_stream(
      urls, fetch,
      {.max_concurrency = 8, .timeout = 2s, .on_timeout = otp::stream_on_timeout::kill_task});
  std::vector<int> out;  // rs[i] is urls[i]'s
  for (auto& r : rs) out.push_back(r.is_ok() ? static_cast<int>(r.value()) : -1);
  co_return out;
}

// Rule: the guide's example runs as described.
TEST(AsyncStreamGuide, SizesInInputOrder) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  EXPECT_EQ(sizes({"a", "bb", "ccc"}).get(), (std::vector<int>{1, 2, 3}));
}

}  // namespace

// order_service stopped by SIGTERM while orders flow, then started again on
// the same database: the real executables (payment_gateway, order_service
// from its configuration file), real HTTP, a real SQLite file.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "service_process.hpp"
#include "store.hpp"

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using otp_test::read_all;
using otp_test::service_args;
using otp_test::start_logged;
using otp_test::temp_dir;

/// The first `n` order bodies of the demo's data set.
std::vector<std::string> order_bodies(std::size_t n) {
  std::ifstream in(std::string(OTP_ORDER_DATA) + "/orders.jsonl");
  std::vector<std::string> out;
  for (std::string line; out.size() < n && std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

/// Orders acknowledged (202) by the service, shared by the client threads.
class acknowledged {
 public:
  void add(std::string id) {
    {
      std::lock_guard l(mu_);
      ids_.push_back(std::move(id));
    }
    cv_.notify_all();
  }
  /// Waits until `n` orders are acknowledged; false after `limit`.
  bool await(std::size_t n, std::chrono::milliseconds limit) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, limit, [&] { return ids_.size() >= n; });
  }
  std::vector<std::string> ids() {
    std::lock_guard l(mu_);
    return ids_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> ids_;
};

/// Posts `bodies[i]` for i = first, first + stride, ... to the service on
/// `port` until one gets no answer (the service has gone) or `stop` is set.
void client(int port, const std::vector<std::string>& bodies, std::size_t first, std::size_t stride,
            const std::atomic<bool>& stop, acknowledged& acks) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10, 0);
  for (std::size_t i = first; i < bodies.size() && !stop.load(); i += stride) {
    const auto res = c.Post("/orders", bodies[i], "application/json");
    if (!res) return;
    if (res->status == 202) acks.add(json::parse(res->body)["id"].get<std::string>());
  }
}

/// Writes to the files of a directory (the database and its WAL), as a
/// descriptor a test can wait on between checks, instead of a timer.
class dir_writes {
 public:
  explicit dir_writes(const std::filesystem::path& dir)
      : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    inotify_add_watch(fd_, dir.c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
  }
  dir_writes(const dir_writes&) = delete;
  dir_writes& operator=(const dir_writes&) = delete;
  ~dir_writes() { close(fd_); }
  /// Waits until a file of the directory was written, or `until` passes;
  /// drains the events.
  void wait(std::chrono::steady_clock::time_point until) const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() > 0) poll(&p, 1, static_cast<int>(left.count()));
    char buf[4096];
    while (read(fd_, buf, sizeof buf) > 0) {
    }
  }

 private:
  int fd_;
};

/// The paid or failed state of every order in `ids`, read from `db`;
/// an order missing from the database is "missing", one not finished "unfinished".
std::map<std::string, std::string> states(const std::string& db,
                                          const std::vector<std::string>& ids) {
  order_system::store s(db);
  std::map<std::string, std::string> out;
  for (const std::string& id : ids) {
    const auto row = s.get_order(id);
    if (!row) {
      out[id] = "missing";
    } else if (row->state == order_system::order_state::paid ||
               row->state == order_system::order_state::failed) {
      out[id] = order_system::to_string(row->state);
    } else {
      out[id] = "unfinished";
    }
  }
  return out;
}

std::size_t count(const std::map<std::string, std::string>& m, const std::string& state) {
  std::size_t n = 0;
  for (const auto& [id, s] : m) n += s == state ? 1 : 0;
  return n;
}

// Rule: SIGTERM stops order_service in order (exit status 0) without losing
// an order it acknowledged: every 202 is in the database, and the next start
// on that database finishes each one (paid or failed) through its
// reconciler, charging none of them twice.
TEST(OrderServiceShutdown, SigtermMidTrafficLosesNoAcknowledgedOrderAndChargesNoneTwice) {
  temp_dir dir;
  const auto db = dir.path / "orders.db";
  const auto log = dir.path / "service.log";
  // A slow gateway, so that charges are in flight when the signal comes.
  order_system::child_process gateway(OTP_PAYMENT_GATEWAY, {"--latency-ms", "20"});
  const std::vector<std::string> limits{"--set", "order_system.limit.rate_per_second=100000",
                                        "--set", "order_system.limit.burst=100000",
                                        "--set", "order_system.reconcile_every_ms=50"};
  const std::vector<std::string> bodies = order_bodies(2000);
  acknowledged acks;
  {
    auto service = start_logged(OTP_ORDER_SERVICE, service_args(db, gateway.port(), limits), log);
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    constexpr std::size_t kClients = 4;
    for (std::size_t i = 0; i < kClients; ++i)
      clients.emplace_back(client, service->port(), std::cref(bodies), i, kClients, std::cref(stop),
                           std::ref(acks));
    const bool flowing = acks.await(100, 60s);
    ASSERT_EQ(::kill(service->os_pid(), SIGTERM), 0);
    const std::optional<int> status = service->wait_exit(60s);
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(flowing) << "fewer than 100 orders acknowledged in 60 s\n" << read_all(log);
    ASSERT_TRUE(status.has_value()) << "order_service still runs 60 s after SIGTERM";
    ASSERT_TRUE(WIFEXITED(*status)) << "ended by signal " << WTERMSIG(*status);
    EXPECT_EQ(WEXITSTATUS(*status), 0) << read_all(log);
  }
  const std::vector<std::string> ids = acks.ids();
  const std::map<std::string, std::string> after_stop = states(db.string(), ids);
  EXPECT_EQ(count(after_stop, "missing"), 0U) << "acknowledged orders lost";
  RecordProperty("unfinished_after_stop", static_cast<int>(count(after_stop, "unfinished")));

  // Started again on the same database, the reconciler finishes what the
  // stop left pending or reserved. Checked after each write to the
  // database's directory, with a deadline.
  const dir_writes writes(dir.path);
  auto again = start_logged(OTP_ORDER_SERVICE, service_args(db, gateway.port(), limits), log);
  std::map<std::string, std::string> final_states;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    final_states = states(db.string(), ids);
    if (count(final_states, "paid") + count(final_states, "failed") == ids.size()) break;
    writes.wait(deadline);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(count(final_states, "paid") + count(final_states, "failed"), ids.size())
      << count(final_states, "unfinished") << " of " << ids.size() << " orders still unfinished";
  EXPECT_EQ(WEXITSTATUS(again->stop()), 0);

  // The gateway charged each order at most once, and its charges agree with
  // the database: a succeeded charge for every paid order and for no other.
  auto gw = gateway.client();
  const auto res = gw.Get("/ledger");
  ASSERT_TRUE(res && res->status == 200);
  const json ledger = json::parse(res->body);
  std::map<std::string, int> succeeded;
  for (const json& c : ledger["charges"])
    if (c["status"] == "succeeded") ++succeeded[c["order_id"].get<std::string>()];
  order_system::store s(db.string());
  for (const std::string& id : ids) {
    const auto row = s.get_order(id);
    ASSERT_TRUE(row.has_value()) << id;
    const int charges = succeeded.count(id) != 0 ? succeeded[id] : 0;
    EXPECT_LE(charges, 1) << "order " << id << " charged " << charges << " times";
    if (row->state == order_system::order_state::paid)
      EXPECT_EQ(charges, 1) << "order " << id << " paid without a charge";
    else
      EXPECT_EQ(charges, 0) << "order " << id << " charged but " << to_string(row->state);
  }
  RecordProperty("acknowledged", static_cast<int>(ids.size()));
  RecordProperty("paid", static_cast<int>(count(final_states, "paid")));
}

}  // namespace

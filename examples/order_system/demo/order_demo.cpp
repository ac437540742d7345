// order_demo: the order system under load and chaos, in one command (`make demo`).
//
//   build/default/examples/order_system/demo/order_demo
//   order_demo --orders 2000 --chaos-rate 20 --outage ""     # shorter, harsher, no outage
//
// 1. starts payment_gateway (failures, lost replies, latency, an outage window)
//    and order_service (a chaos monkey killing its processes, a per-customer
//    rate limit) as child processes on free loopback ports;
// 2. replays data/orders.jsonl, each line the verbatim body of a POST /orders,
//    from --concurrency clients (keep-alive, no retries);
// 3. stops the chaos and waits until no order is pending or reserved;
// 4. stops both servers (SIGTERM), then reconciles the service's SQLite
//    database with the gateway's ledger: every accepted order must be stored
//    and final, and an order must be paid exactly when it has one succeeded
//    charge.
//
// The report goes to stdout, a progress line to stderr. The servers' stderr
// goes to gateway.log and service.log in a temporary directory, which also
// holds the database unless --db is given; the directory is removed when the
// run passes and kept (its path printed) otherwise.
//
// Exit status: 0 every check passed; 1 an order was lost, double-charged,
// charged but not paid, paid but not charged, or left unfinished; 2 the run
// could not be set up (an executable or data file missing, a server that did
// not start, an unreadable database).
#include <fcntl.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/child_process.hpp"
#include "common/set_flag.hpp"
#include "servers.hpp"
#include "soak.hpp"
#include "store.hpp"
#include "upgrade.hpp"

namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;
using order_demo::service_keeper;
using order_demo::setup_error;
using order_demo::start_server;
using order_demo::stop_within;

/// The command line; see add_options() for the meaning of each field.
struct options {
  std::size_t orders = 0;
  int concurrency = 16;
  double chaos_rate = 5;
  double chaos_supervisors = 0.05;
  double gateway_failure_rate = 0.02;
  double lost_reply_rate = 0.01;
  int gateway_latency_ms = 5;
  int gateway_jitter_ms = 5;
  std::string outage = "8000:3000";
  std::string db;
  std::string data = ORDER_DEMO_DATA;
  std::string service = ORDER_DEMO_SERVICE;
  std::string config = ORDER_DEMO_CONFIG;
  std::string gateway = ORDER_DEMO_GATEWAY;
  double rate = 20;
  int burst = 20;
  int drain_timeout_s = 120;
  unsigned seed = 1;
  int duration_s = 0;         ///< soak: send the orders again and again for this long
  bool hostile = false;       ///< soak: hostile clients beside the orders
  int slow_connections = 20;  ///< hostile slowloris connections
  int max_rss_mb = 0;         ///< fail when the service's RSS passes this (0: no bound)
  int observer_port = 0;      ///< the service's observer page on this port (0: none)
  bool upgrade = false;       ///< change the risk rules under load (upgrade.hpp)
};

/// Declares every flag of `o` on `app`, with its default.
void add_options(CLI::App& app, options& o) {
  app.option_defaults()->always_capture_default();
  app.add_option("--orders", o.orders, "replay the first N orders of orders.jsonl (0: all)");
  app.add_option("--concurrency", o.concurrency, "concurrent clients")->check(CLI::Range(1, 1024));
  app.add_option("--chaos-supervisors", o.chaos_supervisors,
                 "the share of chaos kills aimed at supervisors (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--chaos-rate", o.chaos_rate, "processes the service's chaos monkey kills per s")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--gateway-failure-rate", o.gateway_failure_rate,
                 "share of charges the gateway answers 503 without charging")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--lost-reply-rate", o.lost_reply_rate,
                 "share of charges the gateway makes but answers 503 (a lost reply)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--gateway-latency-ms", o.gateway_latency_ms, "gateway latency per request, ms")
      ->check(CLI::Range(0, 60000));
  app.add_option("--gateway-jitter-ms", o.gateway_jitter_ms, "gateway latency varies by this, ms")
      ->check(CLI::Range(0, 60000));
  app.add_option("--outage", o.outage,
                 "gateway outage START_MS:DURATION_MS after it starts (\"\": none)")
      ->check([](const std::string& s) {
        return s.empty() || std::regex_match(s, std::regex("[0-9]+:[0-9]+"))
                   ? std::string()
                   : "expected START_MS:DURATION_MS, got " + s;
      });
  app.add_option("--db", o.db, "the service's database (a fresh file; default: in a temp dir)");
  app.add_option("--data", o.data, "directory with catalogue.json and orders.jsonl");
  app.add_option("--service", o.service, "order_service executable");
  app.add_option("--observer-port", o.observer_port,
                 "serve the service's observer page (kill enabled) on this port (0: none)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--config", o.config, "order_service's configuration file");
  app.add_option("--gateway", o.gateway, "payment_gateway executable");
  app.add_option("--rate", o.rate, "per-customer rate limit, requests per s")
      ->check(CLI::PositiveNumber);
  app.add_option("--burst", o.burst, "per-customer rate limit burst")->check(CLI::PositiveNumber);
  app.add_option("--drain-timeout-s", o.drain_timeout_s,
                 "longest wait for accepted orders to finish, s")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", o.seed, "the gateway's fault seed");
  app.add_option("--duration-s", o.duration_s,
                 "soak: send the orders again and again until this many seconds have passed")
      ->check(CLI::Range(0, 7 * 24 * 3600));
  app.add_flag("--hostile", o.hostile,
               "soak: slowloris, oversized, compressed and malformed requests beside the orders");
  app.add_option("--slow-connections", o.slow_connections, "hostile slowloris connections")
      ->check(CLI::Range(0, 1000));
  app.add_flag("--upgrade", o.upgrade,
               "change the service's risk rules while the orders flow: upgrade 1 -> 2, downgrade "
               "2 -> 1, upgrade 1 -> 2 made permanent, then try a broken version 3, which must be "
               "rolled back");
  app.add_option("--max-rss-mb", o.max_rss_mb,
                 "fail when the service's resident memory passes this many MiB (0: no bound)")
      ->check(CLI::Range(0, 1 << 20));
}

/// `v` the shortest way ("5", "0.02").
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// `obj[key]` as a count: 0 when `obj` is not an object or the field is missing or not a number.
std::int64_t count_of(const json& obj, const char* key) {
  if (!obj.is_object()) return 0;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

/// `obj[key]`, or null when `obj` is not an object or has no such field.
const json& field(const json& obj, const char* key) {
  static const json null;
  if (!obj.is_object()) return null;
  const auto it = obj.find(key);
  return it != obj.end() ? *it : null;
}

/// GET `path` from `c`: the parsed body of a 200, else null.
json get_json(httplib::Client& c, const char* path) {
  const auto res = c.Get(path);
  if (!res || res->status != 200) return nullptr;
  json j = json::parse(res->body, nullptr, false);
  return j.is_discarded() ? json() : j;
}

/// The lines of `file` (the first `limit`, 0: all), each a request body; empty lines skipped.
/// @throws setup_error when the file cannot be read or holds no order.
std::vector<std::string> read_orders(const fs::path& file, std::size_t limit) {
  std::ifstream in(file);
  if (!in) throw setup_error("cannot read " + file.string());
  std::vector<std::string> bodies;
  for (std::string line; (limit == 0 || bodies.size() < limit) && std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) bodies.push_back(std::move(line));
  }
  if (bodies.empty()) throw setup_error("no orders in " + file.string());
  return bodies;
}

/// The run's scratch directory (logs, and the database unless --db).
/// @throws setup_error when it cannot be made.
fs::path make_work_dir() {
  std::string tmpl = (fs::temp_directory_path() / "order_demo.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw setup_error("cannot make a temporary directory");
  return tmpl;
}

/// The progress line on stderr: redrawn in place on a terminal, else printed
/// once per tenth of each phase (sending, then draining). Main thread only.
class progress {
 public:
  explicit progress(std::size_t total) : total_(total), tty_(isatty(STDERR_FILENO) != 0) {}

  /// Shows `sent` of the orders sent, `accepted` of them accepted, `paid` and
  /// `unfinished` (pending + reserved, shown while draining) from /stats.
  void show(std::size_t sent, std::size_t accepted, std::int64_t paid, std::int64_t unfinished,
            bool draining) {
    const double sent_share = static_cast<double>(sent) / static_cast<double>(total_);
    const double done_share =
        accepted == 0 ? 1.0 : 1.0 - static_cast<double>(unfinished) / static_cast<double>(accepted);
    const int tenth =
        static_cast<int>(std::clamp(draining ? done_share : sent_share, 0.0, 1.0) * 10);
    const int step = (draining ? 11 : 0) + tenth;
    if (!tty_ && step <= last_step_) return;
    last_step_ = step;
    constexpr int width = 30;
    const int filled = static_cast<int>(sent_share * width);
    std::string bar(width, ' ');
    std::fill_n(bar.begin(), filled, '=');
    if (filled < width) bar[filled] = '>';
    const double secs = std::chrono::duration<double>(steady::now() - t0_).count();
    std::fprintf(stderr, "%s[%s] %zu/%zu sent, %zu accepted, paid %lld", tty_ ? "\r" : "",
                 bar.c_str(), sent, total_, accepted, static_cast<long long>(paid));
    if (draining) std::fprintf(stderr, ", draining %lld", static_cast<long long>(unfinished));
    std::fprintf(stderr, ", %.1f s%s", secs, tty_ ? "\x1b[K" : "\n");
    std::fflush(stderr);
  }

  /// Ends the line on a terminal.
  void finish() {
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  std::size_t total_;
  bool tty_;
  int last_step_ = -1;
  steady::time_point t0_ = steady::now();
};

/// What one POST /orders got.
struct sent_request {
  int status = 0;  ///< the HTTP status; 0 for a connection error
  std::int64_t latency_us = 0;
  std::string id;  ///< the order id of a 202
};

/// Counters the senders bump and the progress line reads.
struct live_counts {
  std::atomic<std::size_t> retried_busy{0};  ///< 503 + Retry-After answers waited out
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> sent{0};
  std::atomic<std::size_t> accepted{0};
};

/// The pending + reserved and paid counts of a /stats answer.
std::pair<std::int64_t, std::int64_t> unfinished_and_paid(const json& stats) {
  const json& orders = field(stats, "orders");
  return {count_of(orders, "pending") + count_of(orders, "reserved"), count_of(orders, "paid")};
}

/// How many times the load generator sends one order at most.
constexpr int kMaxSends = 60;

/// POSTs every body to the service on `port` from `concurrency` threads, each
/// with its own keep-alive client, and shows progress until all are sent or
/// `gone()` says the service has ended for good (the rest are not sent).
/// @returns what each request got, by line.
std::vector<sent_request> replay(const std::vector<std::string>& bodies, int port, int concurrency,
                                 const std::function<bool()>& gone, live_counts& live,
                                 progress& bar) {
  std::vector<sent_request> out(bodies.size());
  std::vector<std::thread> senders;
  for (int t = 0; t < concurrency; ++t)
    senders.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      c.set_connection_timeout(5);
      c.set_read_timeout(30);
      for (std::size_t i; !gone() && (i = live.next.fetch_add(1)) < bodies.size();) {
        const auto t0 = steady::now();
        auto res = c.Post("/orders", bodies[i], "application/json");
        // Sent again, after a pause, only when the order was surely not
        // stored: a refused connection (the service is restarting) or a 503
        // with Retry-After (the backlog is full, or the store is restarting).
        std::chrono::milliseconds pause{50};
        for (int tries = 1; tries < kMaxSends; ++tries) {
          const bool refused = !res && res.error() == httplib::Error::Connection;
          const bool busy = res && res->status == 503 && res->has_header("Retry-After");
          if ((!refused && !busy) || (refused && gone())) break;
          if (busy) {
            ++live.retried_busy;
            pause = std::chrono::milliseconds(
                std::clamp<long>(std::atol(res->get_header_value("Retry-After").c_str()), 1, 5) *
                1000);
          }
          std::this_thread::sleep_for(pause);
          if (refused) pause = std::min(pause * 2, std::chrono::milliseconds(1000));
          res = c.Post("/orders", bodies[i], "application/json");
        }
        sent_request& r = out[i];
        r.latency_us =
            std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t0).count();
        r.status = res ? res->status : 0;
        if (r.status == 202) {
          const json j = json::parse(res->body, nullptr, false);
          if (field(j, "id").is_string()) r.id = j["id"].get<std::string>();
          if (!r.id.empty()) live.accepted.fetch_add(1);
        }
        live.sent.fetch_add(1);
      }
    });
  // Poll /stats only for the progress line ("paid"), until the senders finish.
  httplib::Client poller("127.0.0.1", port);
  poller.set_read_timeout(10);
  while (live.sent.load() < bodies.size() && !gone()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto [unfinished, paid] = unfinished_and_paid(get_json(poller, "/stats"));
    bar.show(live.sent.load(), live.accepted.load(), paid, unfinished, false);
  }
  for (auto& s : senders) s.join();
  return out;
}

/// Stops the chaos monkey, then polls GET /stats every 200 ms until no order
/// is pending or reserved, `timeout` passes or the service has ended for good
/// (`ended()` is true). Notes trouble in `warnings`. @returns whether every order finished.
bool drain(httplib::Client& svc, const std::function<bool()>& ended, std::chrono::seconds timeout,
           const live_counts& live, progress& bar, std::vector<std::string>& warnings) {
  const auto res = svc.Post("/admin/chaos", R"({"rate": 0})", "application/json");
  if (!res || res->status != 200)
    warnings.push_back(
        "POST /admin/chaos {\"rate\": 0} failed (" +
        (res ? "status " + std::to_string(res->status) : httplib::to_string(res.error())) +
        "): drained with chaos on");
  const auto deadline = steady::now() + timeout;
  for (;;) {
    const json stats = get_json(svc, "/stats");
    const auto [unfinished, paid] = unfinished_and_paid(stats);
    bar.show(live.sent.load(), live.accepted.load(), paid, unfinished, true);
    if (!stats.is_null() && unfinished == 0) return true;
    if (ended()) {
      warnings.push_back("order_service exited before its orders finished");
      return false;
    }
    if (steady::now() >= deadline) {
      warnings.push_back("drain timed out after " + std::to_string(timeout.count()) + " s" +
                         (stats.is_null() ? " (GET /stats failed)" : ""));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

/// A wait status in words ("exit 0", "killed by signal 9").
std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

/// One charge of the gateway's ledger.
struct ledger_charge {
  std::string order_id;
  bool succeeded = false;
};

/// GET /ledger from the gateway. @throws setup_error when it does not answer.
std::vector<ledger_charge> read_ledger(httplib::Client& gw) {
  const json ledger = get_json(gw, "/ledger");
  if (!field(ledger, "charges").is_array())
    throw setup_error("GET /ledger from the gateway failed");
  std::vector<ledger_charge> out;
  for (const json& c : ledger["charges"])
    if (field(c, "order_id").is_string())
      out.push_back({c["order_id"].get<std::string>(), field(c, "status") == "succeeded"});
  return out;
}

/// What the database and the ledger say about the run.
struct reconciliation {
  std::map<std::string, std::int64_t> by_state;  ///< orders per state, all stored orders
  std::map<std::string, std::int64_t> failed_by_reason;
  std::int64_t lost = 0;              ///< accepted (202) but not stored
  std::int64_t unfinished = 0;        ///< stored, pending or reserved
  std::int64_t double_charged = 0;    ///< orders with more than one succeeded charge
  std::int64_t charged_not_paid = 0;  ///< orders with a succeeded charge, not paid (or not stored)
  std::int64_t paid_not_charged = 0;  ///< paid orders without a succeeded charge
  std::map<std::string, std::string> example;  ///< an order id per problem, for the report
};

/// Opens the database at `db` (the service has stopped) and checks it against
/// the accepted orders and the ledger. @throws order_system::store_error.
reconciliation reconcile(const std::string& db, const std::vector<sent_request>& requests,
                         const std::vector<ledger_charge>& ledger) {
  order_system::store st(db);
  reconciliation r;
  for (const auto& [state, n] : st.count_by_state()) r.by_state[to_string(state)] = n;
  r.failed_by_reason = st.failures_by_reason();
  const auto note = [&r](const char* problem, const std::string& id) {
    r.example.emplace(problem, id);
  };

  const auto unfinished = st.unfinished_orders();
  r.unfinished = static_cast<std::int64_t>(unfinished.size());
  if (!unfinished.empty()) note("still pending", unfinished.front());

  std::unordered_map<std::string, int> charges;  // succeeded charges per order id
  for (const ledger_charge& c : ledger)
    if (c.succeeded) ++charges[c.order_id];
  std::int64_t paid_with_charge = 0;
  for (const auto& [id, n] : charges) {
    if (n > 1) ++r.double_charged, note("double charges", id);
    const auto o = st.get_order(id);
    if (o && o->state == order_system::order_state::paid)
      ++paid_with_charge;
    else
      ++r.charged_not_paid, note("charges without a paid order", id);
  }
  r.paid_not_charged = r.by_state["paid"] - paid_with_charge;

  for (const sent_request& q : requests) {
    if (q.id.empty()) continue;
    const auto o = st.get_order(q.id);
    if (!o)
      ++r.lost, note("lost", q.id);
    else if (o->state == order_system::order_state::paid && charges.count(q.id) == 0)
      note("paid without a charge", q.id);
  }
  return r;
}

/// Everything the report shows.
struct run_result {
  std::vector<sent_request> requests;
  json stats;  ///< the service's last /stats (null if it did not answer)
  double sending_s = 0;
  double draining_s = 0;
  int service_status = 0;
  int service_restarts = 0;  ///< times the tree gave up and the service was started again
  int rounds = 1;            ///< passes over the orders (more than one in a soak)
  std::int64_t peak_rss_kb = 0;
  std::int64_t end_rss_kb = 0;
  std::int64_t peak_processes = 0;
  std::int64_t kills = 0;  ///< chaos kills over every incarnation of the service
  std::int64_t hostile_sent = 0;
  std::map<int, std::int64_t> hostile_answers;
  std::vector<std::string> failures;  ///< soak and upgrade checks that failed
  std::vector<std::string> upgrades;  ///< --upgrade: one line per step
  int gateway_status = 0;
  std::vector<std::string> warnings;
  reconciliation rec;
};

/// The p-th percentile (0 < p <= 100) of sorted `v` by nearest rank, in ms; 0 when empty.
double percentile_ms(const std::vector<std::int64_t>& v, double p) {
  if (v.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return static_cast<double>(v[std::clamp<std::size_t>(rank, 1, v.size()) - 1]) / 1000.0;
}

/// Prints the first line of the report: what is being run.
void print_header(const options& o, std::size_t orders) {
  std::string outage = "no outage";
  if (!o.outage.empty()) outage = "outage " + o.outage + " ms";
  std::replace(outage.begin(), outage.end(), ':', '+');
  if (o.observer_port != 0)
    std::printf("observer: http://127.0.0.1:%d/ (the service's live tree; kill from the page)\n",
                o.observer_port);
  std::printf(
      "order system demo: %zu orders, concurrency %d, chaos %s kills/s, rate limit %s/s burst %d, "
      "gateway failure %s%%, lost replies %s%%, latency %d+-%d ms, %s\n",
      orders, o.concurrency, num(o.chaos_rate).c_str(), num(o.rate).c_str(), o.burst,
      num(o.gateway_failure_rate * 100).c_str(), num(o.lost_reply_rate * 100).c_str(),
      o.gateway_latency_ms, o.gateway_jitter_ms, outage.c_str());
  std::fflush(stdout);
}

/// Prints the requests and latency lines: what the clients got.
void print_requests(const std::vector<sent_request>& requests) {
  std::size_t accepted = 0, bad = 0, limited = 0, unavailable = 0, refused = 0, other = 0;
  std::vector<std::int64_t> latencies;
  for (const sent_request& q : requests) {
    if (q.status != 0) latencies.push_back(q.latency_us);
    std::size_t& n = q.status == 202 && !q.id.empty() ? accepted
                     : q.status == 400                ? bad
                     : q.status == 429                ? limited
                     : q.status == 503                ? unavailable
                     : q.status == 0                  ? refused
                                                      : other;
    ++n;
  }
  std::printf("requests    sent %zu   accepted %zu   rejected 400: %zu   rejected 429: %zu",
              requests.size(), accepted, bad, limited);
  std::printf("   errors %zu", unavailable + refused);
  if (unavailable + refused != 0) std::printf(" (503: %zu, connection: %zu)", unavailable, refused);
  if (other != 0) std::printf("   other status %zu", other);
  std::sort(latencies.begin(), latencies.end());
  std::printf("\nlatency     POST /orders p50 %.1f ms   p99 %.1f ms   max %.1f ms\n",
              percentile_ms(latencies, 50), percentile_ms(latencies, 99),
              percentile_ms(latencies, 100));
}

/// Prints the orders line: states and failure reasons, from the database.
void print_orders(const reconciliation& c) {
  const auto state = [&c](const char* s) {
    const auto it = c.by_state.find(s);
    return it == c.by_state.end() ? std::int64_t{0} : it->second;
  };
  std::vector<std::pair<std::string, std::int64_t>> reasons(c.failed_by_reason.begin(),
                                                            c.failed_by_reason.end());
  std::sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second
                                : a.first < b.first;  // most first, then by name
  });
  std::string why;
  for (const auto& [reason, n] : reasons)
    why += (why.empty() ? " (" : ", ") + (reason.empty() ? "?" : reason) + " " + std::to_string(n);
  if (!why.empty()) why += ")";
  std::printf("orders      paid %" PRId64 "   failed %" PRId64 "%s   still pending %" PRId64 "\n",
              state("paid"), state("failed"), why.c_str(), c.unfinished);
}

/// Prints the chaos and restarts lines, from the service's /stats.
void print_service_stats(const json& s) {
  std::printf("chaos       crashes injected %" PRId64 "   order crashes %" PRId64,
              count_of(s, "crashes_injected"), count_of(s, "order_crashes"));
  std::printf("   escalations %" PRId64 "   circuit openings %" PRId64
              "   resumed by reconciler %" PRId64 "\n",
              count_of(s, "escalations"), count_of(field(s, "circuit"), "openings"),
              count_of(s, "resumed_by_reconciler"));
  std::string restarts;
  for (const auto& [child, count] : field(s, "restarts").items())
    restarts += (restarts.empty() ? "" : "  ") + child + " " +
                std::to_string(count.is_number() ? count.get<std::int64_t>() : 0);
  std::printf("restarts    %s\n", restarts.empty() ? "none reported" : restarts.c_str());
  const json& risk = field(s, "risk");
  if (risk.is_object())
    std::printf("risk        %s version %s: assessed %" PRId64 ", refused %" PRId64 " (%s)\n",
                risk.value("module", "?").c_str(), risk.value("vsn", "?").c_str(),
                count_of(risk, "assessed"), count_of(risk, "refused"),
                risk.value("rules", "").c_str());
  const json& n = field(s, "notifications");
  std::printf("notify      sent %" PRId64 "   dropped %" PRId64 "   lag mean %" PRId64
              " ms   max %" PRId64 " ms\n",
              count_of(n, "sent"), count_of(n, "dropped"), count_of(n, "lag_ms_mean"),
              count_of(n, "lag_ms_max"));
}

/// Prints the reconcile and result lines. @returns the exit status: 0 when
/// every check passed, 1 otherwise.
int print_verdict(const reconciliation& c) {
  std::printf("reconcile   lost %" PRId64 "   double charges %" PRId64
              "   charges without a paid order %" PRId64 "   paid without a charge %" PRId64 "\n",
              c.lost, c.double_charged, c.charged_not_paid, c.paid_not_charged);
  std::string failed;
  for (const auto& [what, count] : {std::pair{"lost", c.lost},
                                    {"double charges", c.double_charged},
                                    {"charges without a paid order", c.charged_not_paid},
                                    {"paid without a charge", c.paid_not_charged},
                                    {"still pending", c.unfinished}}) {
    if (count == 0) continue;
    failed += (failed.empty() ? "" : "; ") + std::string(what) + " " + std::to_string(count);
    if (const auto e = c.example.find(what); e != c.example.end())
      failed += " (e.g. " + e->second + ")";
  }
  if (failed.empty())
    std::printf("result      OK (all accepted orders reached a final state; %s)\n",
                "nothing lost or double-charged");
  else
    std::printf("result      FAILED: %s\n", failed.c_str());
  return failed.empty() ? 0 : 1;
}

/// Prints the report after the header. @returns the exit status (print_verdict).
int print_report(const run_result& r) {
  print_requests(r.requests);
  print_orders(r.rec);
  print_service_stats(r.stats);
  std::printf("time        sending %.1f s (%.0f requests/s)   draining %.1f s", r.sending_s,
              static_cast<double>(r.requests.size()) / std::max(r.sending_s, 1e-3), r.draining_s);
  std::printf("   service %s   gateway %s\n", describe_status(r.service_status).c_str(),
              describe_status(r.gateway_status).c_str());
  if (r.service_restarts > 0)
    std::printf("service     started again %d time(s) after its supervision tree gave up\n",
                r.service_restarts);
  std::int64_t accepted = 0;
  for (const sent_request& q : r.requests) accepted += q.status == 202 ? 1 : 0;
  std::printf("soak        %d round(s), %.0f orders accepted/s, kills survived %" PRId64
              ", service RSS peak %.0f MiB (%.0f at the end), processes peak %" PRId64 "\n",
              r.rounds, static_cast<double>(accepted) / std::max(r.sending_s, 1e-3), r.kills,
              static_cast<double>(r.peak_rss_kb) / 1024.0,
              static_cast<double>(r.end_rss_kb) / 1024.0, r.peak_processes);
  if (r.hostile_sent > 0) {
    std::string by;
    for (const auto& [st, n] : r.hostile_answers)
      by +=
          "  " + (st == 0 ? std::string("closed") : std::to_string(st)) + ": " + std::to_string(n);
    std::printf("hostile     sent %" PRId64 "%s\n", r.hostile_sent, by.c_str());
  }
  for (const std::string& u : r.upgrades) std::printf("upgrade     %s\n", u.c_str());
  for (const std::string& w : r.warnings) std::printf("warning     %s\n", w.c_str());
  for (const std::string& f : r.failures) std::printf("failure     %s\n", f.c_str());
  int status = print_verdict(r.rec);
  if (!r.failures.empty()) {
    if (status == 0) std::printf("result      FAILED: %zu check(s)\n", r.failures.size());
    status = 1;
  }
  std::fflush(stdout);
  return status;
}

/// The gateway's command line (after `--port 0`).
/// @param ledger the gateway's SQLite ledger file.
std::vector<std::string> gateway_args(const options& o, const fs::path& ledger) {
  std::vector<std::string> a{
      "--failure-rate", num(o.gateway_failure_rate), "--lost-reply-rate", num(o.lost_reply_rate),
      "--seed",         std::to_string(o.seed),      "--ledger",          ledger.string()};
  a.insert(a.end(), {"--latency-ms", std::to_string(o.gateway_latency_ms), "--jitter-ms",
                     std::to_string(o.gateway_jitter_ms)});
  if (!o.outage.empty()) a.insert(a.end(), {"--outage", o.outage});
  return a;
}

/// The service's command line (after its port flag): the configuration
/// file, and `--set` for what the demo varies.
std::vector<std::string> service_args(const options& o, const std::string& db,
                                      const fs::path& catalogue, int gateway_port) {
  using order_system::set_string;
  using order_system::set_value;
  std::vector<std::string> a{"--config", o.config};
  set_value(a, "order_system.admin", "true");
  set_string(a, "order_system.db_path", db);
  set_string(a, "order_system.gateway_url", "http://127.0.0.1:" + std::to_string(gateway_port));
  set_string(a, "order_system.catalogue_path", catalogue.string());
  set_value(a, "order_system.limit.rate_per_second", num(o.rate));
  set_value(a, "order_system.limit.burst", std::to_string(o.burst));
  set_value(a, "order_chaos.rate", num(o.chaos_rate));
  set_value(a, "order_chaos.supervisors", num(o.chaos_supervisors));
  if (o.observer_port != 0) {
    set_value(a, "order_system.observer.enabled", "true");
    set_value(a, "order_system.observer.actions", "true");
    set_value(a, "order_system.observer.port", std::to_string(o.observer_port));
  }
  return a;
}

/// The whole run: start, replay, drain, collect, reconcile, report.
/// @returns the exit status. @throws setup_error (and store_error) when it cannot run.
int run(const options& o) {
  const fs::path data(o.data);
  const fs::path catalogue = data / "catalogue.json";
  const std::vector<std::string> bodies = read_orders(data / "orders.jsonl", o.orders);
  if (!fs::is_regular_file(catalogue)) throw setup_error("no catalogue at " + catalogue.string());
  if (!fs::is_regular_file(o.config)) throw setup_error("no configuration at " + o.config);
  for (const std::string& exe : {o.gateway, o.service})
    if (access(exe.c_str(), X_OK) != 0)
      throw setup_error(exe + " is not an executable (build it, or pass its path)");
  const fs::path dir = make_work_dir();
  const std::string db = o.db.empty() ? (dir / "orders.db").string() : o.db;
  print_header(o, bodies.size());

  run_result r;
  std::vector<ledger_charge> ledger;
  {
    const auto gateway =
        start_server(o.gateway, gateway_args(o, dir / "ledger.db"), dir / "gateway.log");
    service_keeper service(o.service, service_args(o, db, catalogue, gateway->port()),
                           dir / "service.log");
    // A server dying mid-request must not kill the driver; set only now, as
    // the servers would inherit an ignored SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    {
      // httplib's client keeps its response parser in function-local statics
      // inside the (uninstrumented) library: set them up on this thread
      // before any client thread starts, so ThreadSanitizer sees the order.
      httplib::Client first = service.client();
      (void)first.Get("/health");
    }
    order_demo::service_sampler sampler(service.port(), [&] { return service.os_pid(); });
    std::unique_ptr<order_demo::hostile_clients> hostile;
    if (o.hostile)
      hostile = std::make_unique<order_demo::hostile_clients>(service.port(), o.slow_connections);
    live_counts first;  // the first round's counts: the upgrade steps follow them
    std::unique_ptr<order_demo::upgrade_steps> upgrade;
    if (o.upgrade)
      upgrade = std::make_unique<order_demo::upgrade_steps>(
          service.port(), [&] { return first.sent.load(); }, bodies.size(),
          [&] { return service.restarts(); });
    const auto t0 = steady::now();
    const auto soak_end = t0 + std::chrono::seconds(o.duration_s);
    r.rounds = 0;
    do {
      live_counts later;
      live_counts& live = r.rounds == 0 ? first : later;
      progress bar(bodies.size());
      std::vector<sent_request> round = replay(
          bodies, service.port(), o.concurrency, [&] { return service.ended(); }, live, bar);
      bar.finish();
      r.requests.insert(r.requests.end(), round.begin(), round.end());
      ++r.rounds;
    } while (steady::now() < soak_end && !service.ended());
    const auto t1 = steady::now();
    if (upgrade) upgrade->finish();
    if (hostile) {
      hostile->stop();
      r.hostile_sent = hostile->sent();
      r.hostile_answers = hostile->answers();
      for (const std::string& f : hostile->failures())
        r.failures.push_back("hostile request not refused: " + f);
    }
    live_counts live;  // for the progress line while draining
    live.sent = r.requests.size();
    for (const sent_request& q : r.requests) live.accepted += q.status == 202 ? 1 : 0;
    progress bar(r.requests.size());
    httplib::Client svc = service.client();
    service.chaos_off();
    drain(
        svc, [&] { return service.ended(); }, std::chrono::seconds(o.drain_timeout_s), live, bar,
        r.warnings);
    bar.finish();
    r.sending_s = std::chrono::duration<double>(t1 - t0).count();
    r.draining_s = std::chrono::duration<double>(steady::now() - t1).count();
    r.stats = get_json(svc, "/stats");
    if (r.stats.is_null()) r.warnings.push_back("GET /stats failed after draining");
    if (upgrade) {
      r.upgrades = upgrade->lines();
      for (std::string& f : upgrade->failures(field(r.stats, "risk"))) r.failures.push_back(f);
      for (std::string& w : upgrade->warnings(field(r.stats, "risk"))) r.warnings.push_back(w);
    }
    sampler.stop();
    r.peak_rss_kb = sampler.peak_rss_kb();
    r.end_rss_kb = sampler.last_rss_kb();
    r.peak_processes = sampler.peak_processes();
    r.kills = sampler.kills();
    if (o.max_rss_mb > 0 && r.peak_rss_kb > std::int64_t{o.max_rss_mb} * 1024)
      r.failures.push_back("the service's RSS reached " + std::to_string(r.peak_rss_kb / 1024) +
                           " MiB (bound " + std::to_string(o.max_rss_mb) + " MiB)");
    r.service_status = service.stop(std::chrono::seconds(30));
    if (WIFSIGNALED(r.service_status))
      r.failures.push_back("order_service ended by signal " +
                           std::to_string(WTERMSIG(r.service_status)) +
                           (WTERMSIG(r.service_status) == SIGKILL ? " (it hung on SIGTERM)" : ""));
    r.service_restarts = service.restarts();
    httplib::Client gw = gateway->client();
    ledger = read_ledger(gw);
    r.gateway_status = stop_within(*gateway, std::chrono::seconds(30));
  }
  r.rec = reconcile(db, r.requests, ledger);
  const int status = print_report(r);
  if (status == 0) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  } else {
    std::printf("kept        %s (server logs%s)\n", dir.c_str(), o.db.empty() ? ", database" : "");
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"order_demo: replays orders against order_service under chaos, then reconciles"};
  options o;
  add_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is 0, a bad flag a setup error
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "order_demo: %s\n", e.what());
    return 2;
  }
}

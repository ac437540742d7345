// An order system under test: the real payment_gateway executable, and the
// service's supervision tree started in this test process (so tests can
// kill its processes and watch them), reached over real HTTP.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "repo.hpp"
#include "service.hpp"

namespace otp_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// A temporary directory, removed with its contents.
struct scratch_dir {
  std::filesystem::path dir;
  scratch_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otp_orders_XXXXXX").string();
    dir = mkdtemp(tmpl.data());
  }
  ~scratch_dir() { std::filesystem::remove_all(dir); }
};

/// How a test wants the service and gateway set up.
struct service_setup {
  std::vector<std::string> gateway_args{};
  std::size_t breaker_failures = 20;
  std::chrono::milliseconds breaker_reset{1000};
  std::chrono::milliseconds payment_deadline{30'000};
  std::chrono::milliseconds reconcile_every{100};
  bool admin = false;  ///< serve the /admin routes
  std::int64_t max_backlog = 5000;
  otp::rate_limit limit{.rate_per_second = 1000, .burst = 1000};
  /// Leave the node's reports to otp::logger (where an observer's crash feed
  /// reads them) instead of keeping them for stats() and reports().
  bool reports_to_logger = false;
  /// The risk rules' module library to start with (a full path; empty: no
  /// risk rules), its directory being the modules directory, and limits.
  std::string risk_module{};
  order_system::risk_limits risk_limits{.max_order_cents = 1000, .max_customer_cents = 1500};
};

class service_under_test {
  static std::vector<std::string> with_admin(std::vector<std::string> args) {
    args.push_back("--admin");
    return args;
  }

 public:
  explicit service_under_test(service_setup s = {})
      : gateway_(OTP_PAYMENT_GATEWAY, with_admin(s.gateway_args)),
        stats_(std::make_shared<order_system::service_stats>()),
        node_({.schedulers = 2,
               .on_report = s.reports_to_logger
                                ? std::function<void(const otp::report&)>()
                                : [st = stats_, reports = reports_](const otp::report& r) {
                                    st->count(r);
                                    std::lock_guard l(reports->mu);
                                    reports->all.push_back(r);
                                  }}),
        me_(node_) {
    otp::trap_exit(true);
    {
      std::ofstream cat(dir_.dir / "catalogue.json");
      cat << R"([{"item": "widget", "unit_price_cents": 500, "stock": 1000},
                 {"item": "gadget", "unit_price_cents": 1200, "stock": 1},
                 {"item": "broken", "unit_price_cents": "n/a", "stock": 1000}])";
    }
    cfg_.db_path = (dir_.dir / "orders.db").string();
    cfg_.db_connections = 2;
    cfg_.items = order_system::catalogue::load((dir_.dir / "catalogue.json").string());
    cfg_.payment.gateway_url = "http://127.0.0.1:" + std::to_string(gateway_.port());
    cfg_.payment.max_failures = s.breaker_failures;
    cfg_.payment.reset_timeout = s.breaker_reset;
    cfg_.http.threads = 8;
    cfg_.http.admin = s.admin;
    cfg_.limit = s.limit;
    cfg_.reconcile_every = s.reconcile_every;
    if (!s.risk_module.empty()) {
      const std::filesystem::path m(s.risk_module);
      cfg_.risk = {m.parent_path().string(), m.filename().string(), s.risk_limits};
    }
    order_system::prepare(node_, cfg_, stats_);
    cfg_.orders->payment_deadline = s.payment_deadline;
    cfg_.orders->max_backlog = s.max_backlog;
    cfg_.orders->notifications_log = (dir_.dir / "notifications.log").string();
    const otp::start_result r = order_system::start_link(node_, cfg_).get();
    if (!r.is_ok()) throw std::runtime_error("tree did not start: " + r.reason.to_string());
    root_ = r.child;
  }
  ~service_under_test() {
    try {
      (void)otp::gen_server::stop(otp::supervisor::ref(root_), otp::exit_reason::shutdown()).get();
    } catch (const otp::exit_error& e) {  // the tree gave up during the test: say so, go on
      ADD_FAILURE() << "the root was not running at the end of the test: " << e.reason();
    }
  }

  otp::mailbox& me() { return me_; }
  /// The service's SQLite file.
  const std::string& db_path() const { return cfg_.db_path; }
  otp::node& node() { return node_; }
  order_system::service_stats& stats() { return *stats_; }
  std::shared_ptr<order_system::service_stats> stats_ptr() { return stats_; }
  const std::shared_ptr<order_system::order_context>& orders() { return cfg_.orders; }
  order_system::child_process& gateway() { return gateway_; }

  /// A client for the service's endpoint.
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", cfg_.http.bound_port->load());
    c.set_read_timeout(10, 0);
    return c;
  }

  /// The root supervisor.
  otp::supervisor::ref root() const { return otp::supervisor::ref(root_); }

  /// The port the endpoint listens on.
  int port() const { return cfg_.http.bound_port->load(); }

  /// POSTs `body` to /orders. @returns the status and the parsed reply.
  std::pair<int, json> post(const std::string& body) const {
    auto c = client();
    auto res = c.Post("/orders", body, "application/json");
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }
  /// A valid order body for `items` (item, quantity).
  static std::string order_body(const std::vector<std::pair<std::string, int>>& items,
                                const std::string& customer = "alice",
                                const std::string& card = "tok_visa") {
    json lines = json::array();
    for (const auto& [item, q] : items) lines.push_back({{"item", item}, {"quantity", q}});
    return json{
        {"customer", customer}, {"items", lines}, {"amount_cents", 500}, {"card_token", card}}
        .dump();
  }

  /// The stored order (from the database); nullopt while the repo restarts.
  std::optional<order_system::order_row> order(const std::string& id) {
    try {
      return order_system::query(order_system::db_conn::get_order{id}).get();
    } catch (const otp::exit_error&) {
      return std::nullopt;
    }
  }

  /// Waits until order `id` is paid or failed: follows its process (a
  /// monitor), and when none runs, waits for the reconciler to start one.
  /// @returns the final row, or nullopt after `limit`.
  std::optional<order_system::order_row> await_final(const std::string& id,
                                                     std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      auto row = order(id);
      if (row && (row->state == order_system::order_state::paid ||
                  row->state == order_system::order_state::failed))
        return row;
      const auto running = cfg_.orders->registry.lookup(id);
      if (!running.empty()) {
        const otp::ref m = otp::monitor(running.front().first);
        me_.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                              [](const otp::down_msg&) {}),
                    otp::after(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   until - std::chrono::steady_clock::now()),
                               [] {}));
      } else {
        me_.receive(otp::after(20ms, [] {}));  // the reconciler's next sweep
      }
    }
    return std::nullopt;
  }

  /// Every charge the gateway made, as JSON objects.
  json ledger() {
    auto c = gateway_.client();
    auto res = c.Get("/ledger");
    return res ? json::parse(res->body)["charges"] : json::array();
  }

  /// The reports seen so far.
  std::vector<otp::report> reports() {
    std::lock_guard l(reports_->mu);
    return reports_->all;
  }

 private:
  struct report_log {
    std::mutex mu;
    std::vector<otp::report> all;
  };
  // Declared (so initialised) before the node, whose report handler uses them.
  scratch_dir dir_;
  order_system::child_process gateway_;
  std::shared_ptr<order_system::service_stats> stats_;
  std::shared_ptr<report_log> reports_ = std::make_shared<report_log>();
  otp::node node_;
  otp::mailbox me_;
  order_system::service_config cfg_;
  otp::pid root_;
};

}  // namespace otp_test

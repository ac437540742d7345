// order_service: the order system of the source articles as one executable.
//
//   order_service --db /tmp/orders.db --gateway http://127.0.0.1:8081
//                 --catalogue examples/order_system/data/catalogue.json --port 8080
//
// Prints `order_service listening on HOST:PORT` once the tree has started
// (port 0 picks a free one), serves the HTTP API of app/endpoint.hpp, logs
// crash and supervisor reports (with stack traces) to --log or stderr, and
// stops the tree in order on SIGINT / SIGTERM (or, with --stop-on-eof, when
// its standard input closes). With --chaos-rate it also
// kills random processes of its own tree (see app/chaos.hpp).
//
// If the root supervisor itself gives up (restarts came too fast at the top),
// the service ends as an Erlang node does when a permanent application's
// supervisor dies: one line on stderr ("order_service: the supervision tree
// gave up (REASON): exiting with status 3"), exit status 3 at once, for the
// service manager (systemd's Restart=on-failure, Kubernetes, order_demo) to
// start it again. The database holds every accepted order, and the next start's
// reconciler resumes them.
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "chaos.hpp"
#include "common/stop_on_eof.hpp"
#include "service.hpp"

namespace {

std::atomic<bool> g_stop{false};

/// The exit status when the root supervisor gives up.
constexpr int kTreeGaveUp = 3;

extern "C" void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"order_service: the order system (HTTP API over a supervision tree)"};
  order_system::service_config cfg;
  std::string catalogue_path;
  std::string log_path;
  std::string notifications_path;
  double chaos_rate = 0;
  double chaos_supervisors = 0.05;
  unsigned seed = 1;
  unsigned schedulers = 0;
  std::int64_t max_attempts = 3;
  int payment_deadline_ms = 30'000;
  app.add_option("--db", cfg.db_path, "SQLite database file (created if missing)")->required();
  app.add_option("--gateway", cfg.payment.gateway_url, "payment gateway, http://HOST:PORT")
      ->required();
  app.add_option("--catalogue", catalogue_path, "catalogue JSON file")->required();
  app.add_option("--host", cfg.http.host, "address to listen on");
  app.add_option("--port", cfg.http.port, "port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--threads", cfg.http.threads, "HTTP threads")->check(CLI::Range(1, 1024));
  app.add_flag("--admin", cfg.http.admin, "serve the /admin routes (the demo's chaos switch)");
  app.add_option("--db-connections", cfg.db_connections, "connections in the repo pool")
      ->check(CLI::Range(1, 64));
  app.add_option("--rate", cfg.limit.rate_per_second, "orders per second per customer")
      ->check(CLI::PositiveNumber);
  app.add_option("--burst", cfg.limit.burst, "burst of orders per customer")
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--chaos-supervisors", chaos_supervisors,
                 "the share of chaos kills aimed at supervisors (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--chaos-rate", chaos_rate, "processes killed per second (0: none)")
      ->check(CLI::NonNegativeNumber);
  std::int64_t max_backlog = 5000;
  app.add_option("--max-backlog", max_backlog,
                 "answer POST /orders 503 while this many orders are unfinished (0: no bound)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000'000}));
  app.add_option("--max-attempts", max_attempts, "starts of an order process before it settles")
      ->check(CLI::Range(1, 100));
  app.add_option("--payment-deadline-ms", payment_deadline_ms,
                 "how long an order retries an unavailable gateway, ms")
      ->check(CLI::Range(0, 3'600'000));
  app.add_option("--breaker-failures", cfg.payment.max_failures,
                 "gateway failures within --breaker-window-ms that open the circuit")
      ->check(CLI::Range(1, 100000));
  int breaker_window_ms = 1000;
  int breaker_reset_ms = 1000;
  app.add_option("--breaker-window-ms", breaker_window_ms)->check(CLI::Range(1, 3'600'000));
  app.add_option("--breaker-reset-ms", breaker_reset_ms, "how long the circuit stays open, ms")
      ->check(CLI::Range(1, 3'600'000));
  app.add_option("--notifications", notifications_path,
                 "file the notification tasks append to (default: DB.notifications.log)");
  app.add_option("--log", log_path, "file for crash and supervisor reports (default: stderr)");
  app.add_option("--schedulers", schedulers, "scheduler threads (0: one per core)");
  app.add_option("--seed", seed, "random seed for the chaos process");
  bool stop_on_eof = false;
  app.add_flag("--stop-on-eof", stop_on_eof,
               "stop when standard input reaches end of file (the parent that started it is gone)");
  CLI11_PARSE(app, argc, argv);
  // A peer that closed its end makes a write fail with EPIPE, never end the
  // process (cpp-httplib's client sends without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  cfg.payment.window = std::chrono::milliseconds(breaker_window_ms);
  cfg.payment.reset_timeout = std::chrono::milliseconds(breaker_reset_ms);

  std::shared_ptr<spdlog::logger> log;
  try {
    log = log_path.empty() ? spdlog::stderr_color_mt("order_service")
                           : spdlog::basic_logger_mt("order_service", log_path, true);
    cfg.items = order_system::catalogue::load(catalogue_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order_service: %s\n", e.what());
    return 2;
  }
  log->flush_on(spdlog::level::warn);

  auto stats = std::make_shared<order_system::service_stats>();
  otp::node node({.schedulers = schedulers,
                  .blocking_threads = 32,
                  .on_report = [stats, log](const otp::report& r) {
                    stats->count(r);
                    log->error(r.to_string());
                  }});
  otp::mailbox me(node);
  otp::trap_exit(true);

  try {
    order_system::prepare(node, cfg, stats);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order_service: %s\n", e.what());
    return 2;
  }
  auto ctx = cfg.orders;
  ctx->max_attempts = max_attempts;
  ctx->max_backlog = max_backlog;
  ctx->payment_deadline = std::chrono::milliseconds(payment_deadline_ms);
  ctx->notifications_log =
      notifications_path.empty() ? cfg.db_path + ".notifications.log" : notifications_path;

  otp::start_result root = order_system::start_link(node, cfg).get();
  if (!root.is_ok()) {
    std::fprintf(stderr, "order_service: the tree did not start: %s\n",
                 root.reason.to_string().c_str());
    return 1;
  }
  otp::start_options chaos_name;
  chaos_name.name = order_system::chaos_name;
  const auto chaos =
      otp::gen_server::start<order_system::chaos>(chaos_name, std::string(order_system::root_name),
                                                  chaos_rate, chaos_supervisors, stats, seed)
          .get();

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (stop_on_eof) order_system::stop_on_stdin_eof();
  std::printf("order_service listening on %s:%d\n", cfg.http.host.c_str(),
              cfg.http.bound_port->load());
  std::fflush(stdout);

  std::optional<otp::exit_reason> gave_up;
  while (!g_stop.load() && !gave_up) {
    gave_up = me.receive(
        otp::when([&](const otp::exit_msg& e) { return e.from == root.child; },
                  [](otp::exit_msg&& e) { return std::optional<otp::exit_reason>(e.reason); }),
        otp::after(std::chrono::milliseconds(100),
                   [] { return std::optional<otp::exit_reason>(); }));
  }
  if (gave_up) {
    // As an Erlang node halts: the accepted orders are committed to the
    // database, so nothing is gained by tearing the rest down first.
    log->critical("the supervision tree gave up ({}): exiting with status {}", gave_up->to_string(),
                  kTreeGaveUp);
    log->flush();
    std::fprintf(stderr,
                 "order_service: the supervision tree gave up (%s): exiting with status %d\n",
                 gave_up->to_string().c_str(), kTreeGaveUp);
    std::fflush(stderr);
    std::_Exit(kTreeGaveUp);
  }
  if (chaos.is_ok())
    (void)otp::gen_server::stop(otp::whereis<order_system::chaos>(order_system::chaos_name)).get();
  (void)otp::gen_server::stop(otp::supervisor::ref(root.child), otp::exit_reason::shutdown()).get();
  log->flush();
  std::fflush(stdout);
  // The tree has stopped in order. Threads the process does not own (an HTTP
  // connection a slow client still holds) may outlive it: end here rather
  // than destroy the node under them.
  std::_Exit(0);
}

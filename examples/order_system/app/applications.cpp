#include "applications.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "chaos.hpp"
#include "service.hpp"

namespace order_system {

namespace {

using json = nlohmann::json;

/// `[order_system.breaker]`: the payment circuit.
struct breaker_settings {
  std::int64_t failures = 0;
  std::int64_t window_ms = 0;
  std::int64_t reset_ms = 0;
};
void from_json(const json& j, breaker_settings& b) {
  j.at("failures").get_to(b.failures);
  j.at("window_ms").get_to(b.window_ms);
  j.at("reset_ms").get_to(b.reset_ms);
}

/// `[order_system.limit]`: the per-customer rate limit of POST /orders.
struct limit_settings {
  double rate_per_second = 0;
  double burst = 0;
};
void from_json(const json& j, limit_settings& l) {
  j.at("rate_per_second").get_to(l.rate_per_second);
  j.at("burst").get_to(l.burst);
}

/// `[order_system.risk]`: the risk rules' module and limits.
struct risk_settings {
  std::string modules_dir;
  std::string module;
  std::int64_t max_order_cents = 0;
  std::int64_t max_customer_cents = 0;
};
void from_json(const json& j, risk_settings& r) {
  j.at("modules_dir").get_to(r.modules_dir);
  j.at("module").get_to(r.module);
  j.at("max_order_cents").get_to(r.max_order_cents);
  j.at("max_customer_cents").get_to(r.max_customer_cents);
}

/// The directory of the running executable (where order_service's modules
/// are built). @throws otp::env_error when /proc/self/exe cannot be read.
std::string program_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    throw otp::env_error(
        "application order_system: key risk.modules_dir: empty, and the "
        "program's directory is unknown (" +
        ec.message() + ")");
  return exe.parent_path().string();
}

/// The defaults: today's behaviour of order_service, and the full list of
/// the application's keys (config/order_service.toml explains each).
json order_system_env() {
  return {
      {"db_path", "orders.db"},
      {"gateway_url", "http://127.0.0.1:8081"},
      {"catalogue_path", "examples/order_system/data/catalogue.json"},
      {"notifications_path", ""},
      {"notifications_capacity", 10'000},
      {"notifications_senders", 8},
      {"notifications_delay_ms", 0},
      {"host", "127.0.0.1"},
      {"port", 8080},
      {"http_threads", 16},
      {"admin", false},
      {"db_connections", 4},
      {"limit", {{"rate_per_second", 20.0}, {"burst", 20.0}}},
      {"max_backlog", 5000},
      {"max_attempts", 3},
      {"payment_deadline_ms", 30'000},
      {"reconcile_every_ms", 250},
      {"breaker", {{"failures", 20}, {"window_ms", 1000}, {"reset_ms", 1000}}},
      {"risk",
       {{"modules_dir", ""},
        {"module", "order_risk_v1.so"},
        {"max_order_cents", 100'000},
        {"max_customer_cents", 1'000'000}}},
      {"observer",
       {{"enabled", false}, {"host", "127.0.0.1"}, {"port", 0}, {"token", ""}, {"actions", false}}},
  };
}

/// `app`'s `key`, which must lie in [lo, hi].
/// @throws otp::env_error naming the key and the range otherwise.
template <class T>
T in_range(const char* app, const char* key, T v, T lo, T hi) {
  if (!(v >= lo && v <= hi))
    throw otp::env_error(
        fmt::format("application {}: key {}: expected {}..{}, got {}", app, key, lo, hi, v));
  return v;
}

template <class T>
T ranged(const char* key, T lo, T hi) {
  return in_range(app_name, key, otp::fetch_env<T>(app_name, key), lo, hi);
}

/// The tree's settings from the application's environment.
/// @throws otp::env_error for a value out of range; a catalogue error.
service_config read_config(const app_shared& shared) {
  using std::chrono::milliseconds;
  service_config c;
  c.db_path = otp::fetch_env<std::string>(app_name, "db_path");
  c.db_connections = ranged<std::size_t>("db_connections", 1, 64);
  c.items = catalogue::load(otp::fetch_env<std::string>(app_name, "catalogue_path"));
  c.payment.gateway_url = otp::fetch_env<std::string>(app_name, "gateway_url");
  const auto breaker = otp::fetch_env<breaker_settings>(app_name, "breaker");
  c.payment.max_failures = static_cast<std::size_t>(
      in_range<std::int64_t>(app_name, "breaker.failures", breaker.failures, 1, 100'000));
  c.payment.window = milliseconds(
      in_range<std::int64_t>(app_name, "breaker.window_ms", breaker.window_ms, 1, 3'600'000));
  c.payment.reset_timeout = milliseconds(
      in_range<std::int64_t>(app_name, "breaker.reset_ms", breaker.reset_ms, 1, 3'600'000));
  c.http.host = otp::fetch_env<std::string>(app_name, "host");
  c.http.port = ranged("port", 0, 65535);
  c.http.threads = ranged("http_threads", 1, 1024);
  c.http.admin = otp::fetch_env<bool>(app_name, "admin");
  c.http.bound_port = shared.bound_port;
  const auto limit = otp::fetch_env<limit_settings>(app_name, "limit");
  c.limit.rate_per_second =
      in_range(app_name, "limit.rate_per_second", limit.rate_per_second, 1e-9, 1e9);
  c.limit.burst = in_range(app_name, "limit.burst", limit.burst, 1.0, 1e9);
  c.reconcile_every = milliseconds(ranged<std::int64_t>("reconcile_every_ms", 1, 3'600'000));
  c.notifications_capacity = ranged<std::size_t>("notifications_capacity", 1, 10'000'000);
  c.notifications_senders = ranged<std::size_t>("notifications_senders", 1, 10'000);
  c.notifications_delay = milliseconds(ranged<std::int64_t>("notifications_delay_ms", 0, 60'000));
  const auto risk = otp::fetch_env<risk_settings>(app_name, "risk");
  c.risk.module_file = risk.module;
  if (risk.module.find('/') != std::string::npos)
    throw otp::env_error(
        "application order_system: key risk.module: a file name in "
        "risk.modules_dir, got \"" +
        risk.module + "\"");
  if (c.risk.enabled())
    c.risk.modules_dir = risk.modules_dir.empty() ? program_dir() : risk.modules_dir;
  c.risk.limits.max_order_cents = in_range<std::int64_t>(
      app_name, "risk.max_order_cents", risk.max_order_cents, 1, 1'000'000'000'000);
  c.risk.limits.max_customer_cents = in_range<std::int64_t>(
      app_name, "risk.max_customer_cents", risk.max_customer_cents, 1, 1'000'000'000'000);
  return c;
}

/// Counts the supervisor reports the logger carries into the stats (the
/// /stats endpoint's restarts, escalations, order crashes). The burst limit
/// is off: a count must not drop events. Reports reach it as long as the
/// primary level lets `error` through (any level but critical and above).
void add_stats_handler(const std::shared_ptr<service_stats>& stats) {
  (void)otp::logger::add_handler(
      stats_handler_id, otp::logger::callback_handler([stats](const otp::logger::log_event& e) {
        if (e.report != nullptr) stats->count(*e.report);
      }),
      {.burst_limit_enable = false});
}

}  // namespace

otp::application_spec order_system_application(app_shared shared) {
  otp::application_spec s;
  s.name = app_name;
  s.version = "1.0.0";
  s.description = "the order system: HTTP API over a supervision tree";
  s.env = order_system_env();
  s.declared_keys_only = true;
  s.start = [shared](otp::start_type) -> otp::task<otp::start_result> {
    service_config cfg = read_config(shared);
    otp::node& node = otp::this_node();
    prepare(node, cfg, shared.stats);  // throws store_error for a bad database
    order_context& ctx = *cfg.orders;
    ctx.max_attempts = ranged<std::int64_t>("max_attempts", 1, 100);
    ctx.max_backlog = ranged<std::int64_t>("max_backlog", 0, 100'000'000);
    ctx.payment_deadline =
        std::chrono::milliseconds(ranged<std::int64_t>("payment_deadline_ms", 0, 3'600'000));
    const auto notifications = otp::fetch_env<std::string>(app_name, "notifications_path");
    ctx.notifications_log =
        notifications.empty() ? cfg.db_path + ".notifications.log" : notifications;
    add_stats_handler(shared.stats);
    co_return co_await start_link(node, cfg);
  };
  s.stop = [] { (void)otp::logger::remove_handler(stats_handler_id); };
  return s;
}

otp::application_spec order_chaos_application(app_shared shared) {
  otp::application_spec s;
  s.name = chaos_app_name;
  s.version = "1.0.0";
  s.description = "kills random processes of the order system's tree";
  s.applications = {app_name};
  s.env = {{"rate", 0.0}, {"supervisors", 0.05}, {"seed", 1}};
  s.declared_keys_only = true;
  s.start = [shared](otp::start_type) -> otp::task<otp::start_result> {
    const double rate =
        in_range(chaos_app_name, "rate", otp::fetch_env<double>(chaos_app_name, "rate"), 0.0,
                 chaos::kMaxRate);
    const double share = in_range(chaos_app_name, "supervisors",
                                  otp::fetch_env<double>(chaos_app_name, "supervisors"), 0.0, 1.0);
    const auto seed = otp::fetch_env<unsigned>(chaos_app_name, "seed");
    co_return co_await otp::supervisor::start_link(
        {.strategy = otp::one_for_one, .intensity = 3, .period = std::chrono::milliseconds(5000)},
        {otp::named_worker<chaos>("chaos", chaos_name, std::string(root_name), rate, share,
                                  shared.stats, seed)});
  };
  return s;
}

}  // namespace order_system

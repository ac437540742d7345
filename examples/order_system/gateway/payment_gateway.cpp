// payment_gateway: a stand-in for a card processor, on loopback HTTP, that
// fails in the ways real ones do. The order system charges through it.
//
//   payment_gateway --port 0 --failure-rate 0.05 --latency-ms 20 --outage 10000:3000
//
// Prints `payment_gateway listening on 127.0.0.1:PORT` once it accepts
// connections (port 0 picks a free one), and stops on SIGINT / SIGTERM, or,
// with --stop-on-eof, when its standard input closes.
//
// Requests and answers:
// - POST /charges (JSON below): 201 new charge; 200 replay of the key's
//   charge; 409 same key, other order or amount; 402 declined; 400
//   malformed; 503 unavailable.
// - GET /charges/{key}: 200 the charge made under the key; 404 none.
// - GET /ledger: 200 {"count": n, "charges": [...]}, every charge in order.
// - POST /admin/outage {"duration_ms": 0..3600000}: 503 to every charge for
//   that long (only with --admin; 404 otherwise).
// - GET /health: 200 {"status": "ok"}.
//
// A charge is {"idempotency_key", "order_id", "amount_cents" (> 0), "card_token"}.
// Charges are kept in SQLite (--ledger FILE; in memory without it), so a
// gateway killed and started again on the same file loses none. Every route
// has the limits of otp/tools/http_server.hpp (413, 415, 431, 503 busy, timeouts).
// A token starting with "tok_declined" is declined (recorded, 402). Faults:
// - failure rate: 503 before anything is recorded;
// - lost-reply rate: the charge is recorded, then 503 is answered as if the
//   reply were lost, so only the idempotency key prevents a double charge;
// - latency (mean) and jitter, per request;
// - outage windows (START_MS:DURATION_MS after launch, repeatable) and
//   /admin/outage: every charge gets 503.
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/stop_on_eof.hpp"
#include "ledger.hpp"
#include "otp/tools/http_server.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using json = nlohmann::json;
using otp::http_request;
using otp::http_response;

struct fault_options {
  double failure_rate = 0;
  double lost_reply_rate = 0;
  int latency_ms = 0;
  int jitter_ms = 0;
  std::vector<std::string> outages;  // "START_MS:DURATION_MS"
  unsigned seed = 1;
};

/// Decides, per request, which fault (if any) strikes. Thread-safe.
class faults {
 public:
  explicit faults(const fault_options& o) : o_(o), rng_(o.seed), t0_(clock_type::now()) {
    for (const std::string& w : o.outages) {
      const auto colon = w.find(':');
      if (colon == std::string::npos)
        throw CLI::ValidationError("--outage", "expected START_MS:DURATION_MS, got " + w);
      const auto start = std::chrono::milliseconds(std::stoll(w.substr(0, colon)));
      const auto len = std::chrono::milliseconds(std::stoll(w.substr(colon + 1)));
      windows_.push_back({t0_ + start, t0_ + start + len});
    }
  }

  /// Starts an outage now, for `d`.
  void outage_for(std::chrono::milliseconds d) {
    std::lock_guard l(mu_);
    const auto now = clock_type::now();
    windows_.push_back({now, now + d});
  }

  bool in_outage() {
    std::lock_guard l(mu_);
    const auto now = clock_type::now();
    for (const auto& w : windows_)
      if (now >= w.first && now < w.second) return true;
    return false;
  }

  bool roll(double p) {
    if (p <= 0) return false;
    std::lock_guard l(mu_);
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }

  void delay() {
    if (o_.latency_ms <= 0 && o_.jitter_ms <= 0) return;
    int ms = o_.latency_ms;
    if (o_.jitter_ms > 0) {
      std::lock_guard l(mu_);
      ms += std::uniform_int_distribution<int>(-o_.jitter_ms, o_.jitter_ms)(rng_);
    }
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }

  const fault_options& options() const { return o_; }

 private:
  fault_options o_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  clock_type::time_point t0_;
  std::vector<std::pair<clock_type::time_point, clock_type::time_point>> windows_;
};

json to_json(const gateway::charge& c) {
  return {{"charge_id", c.charge_id},
          {"idempotency_key", c.idempotency_key},
          {"order_id", c.order_id},
          {"amount_cents", c.amount_cents},
          {"status", c.status}};
}

void reply(http_response& res, int status, const json& body) {
  res.status = status;
  res.body = body.dump();
}

/// Parses and checks a charge request; false with `error` set when malformed.
bool parse_charge(const std::string& body, gateway::charge_request& r, std::string& error) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "body is not a JSON object";
    return false;
  }
  for (const char* field : {"idempotency_key", "order_id", "card_token"}) {
    if (!j.contains(field) || !j[field].is_string() || j[field].get<std::string>().empty()) {
      error = std::string("missing or empty string field: ") + field;
      return false;
    }
  }
  if (!j.contains("amount_cents") || !j["amount_cents"].is_number_integer() ||
      j["amount_cents"].get<std::int64_t>() <= 0) {
    error = "amount_cents must be a positive integer";
    return false;
  }
  r.idempotency_key = j["idempotency_key"].get<std::string>();
  r.order_id = j["order_id"].get<std::string>();
  r.card_token = j["card_token"].get<std::string>();
  r.amount_cents = j["amount_cents"].get<std::int64_t>();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"payment_gateway: a card processor stand-in with injectable faults"};
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 32;
  fault_options fo;
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port", port, "port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--threads", threads, "request threads")->check(CLI::Range(1, 1024));
  app.add_option("--failure-rate", fo.failure_rate,
                 "share of charges answered 503 before recording")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--lost-reply-rate", fo.lost_reply_rate,
                 "share of charges recorded but answered 503 (a lost reply)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--latency-ms", fo.latency_ms, "added latency per request, ms")
      ->check(CLI::Range(0, 60000));
  app.add_option("--jitter-ms", fo.jitter_ms, "latency varies by up to this much, ms")
      ->check(CLI::Range(0, 60000));
  app.add_option("--outage", fo.outages,
                 "outage window START_MS:DURATION_MS after launch (repeatable)");
  app.add_option("--seed", fo.seed, "random seed for the faults");
  std::string ledger_path = ":memory:";
  app.add_option("--ledger", ledger_path, "SQLite file of the charges (default: in memory)");
  bool admin = false;
  app.add_flag("--admin", admin, "serve POST /admin/outage");
  bool stop_on_eof = false;
  app.add_flag("--stop-on-eof", stop_on_eof,
               "stop when standard input reaches end of file (the parent that started it is gone)");
  CLI11_PARSE(app, argc, argv);
  // A client that closed its end makes a write fail with EPIPE, never end the
  // process.
  std::signal(SIGPIPE, SIG_IGN);

  // SIGINT and SIGTERM are taken by sigwait in main, never by a handler: the
  // mask is inherited by every thread started from here on.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  faults f(fo);
  std::unique_ptr<gateway::ledger> kept;
  try {
    kept = std::make_unique<gateway::ledger>(ledger_path);
  } catch (const gateway::ledger_error& e) {
    std::fprintf(stderr, "payment_gateway: %s\n", e.what());
    return 2;
  }
  gateway::ledger& ledger = *kept;
  otp::http_server svr({}, threads);

  svr.route("POST", "/charges", [&](const http_request& req, http_response& res) {
    f.delay();
    gateway::charge_request r;
    std::string error;
    if (!parse_charge(req.body, r, error))
      return reply(res, 400, {{"error", "bad_request"}, {"message", error}});
    if (f.in_outage()) return reply(res, 503, {{"error", "outage"}});
    if (f.roll(f.options().failure_rate)) return reply(res, 503, {{"error", "unavailable"}});
    const gateway::charge_outcome o = ledger.apply(r);
    if (o.what == gateway::charge_outcome::kind::conflict)
      return reply(res, 409, {{"error", "idempotency_conflict"}, {"charge", to_json(o.c)}});
    if (f.roll(f.options().lost_reply_rate)) return reply(res, 503, {{"error", "timeout"}});
    if (o.c.status == "declined")
      return reply(res, 402, {{"error", "card_declined"}, {"charge", to_json(o.c)}});
    reply(res, o.what == gateway::charge_outcome::kind::created ? 201 : 200, to_json(o.c));
  });
  svr.route("GET", "/charges/:key", [&](const http_request& req, http_response& res) {
    gateway::charge c;
    if (!ledger.find(req.param, c)) return reply(res, 404, {{"error", "not_found"}});
    reply(res, 200, to_json(c));
  });
  svr.route("GET", "/ledger", [&](const http_request&, http_response& res) {
    json list = json::array();
    for (const auto& c : ledger.all()) list.push_back(to_json(c));
    reply(res, 200, {{"count", list.size()}, {"charges", std::move(list)}});
  });
  if (admin)
    svr.route("POST", "/admin/outage", [&](const http_request& req, http_response& res) {
      const json j = json::parse(req.body, nullptr, false);
      constexpr std::int64_t kMaxOutageMs = 3'600'000;
      const bool ok = !j.is_discarded() && j.is_object() && j.contains("duration_ms") &&
                      j["duration_ms"].is_number_unsigned() &&
                      j["duration_ms"].get<std::uint64_t>() <= kMaxOutageMs;
      if (!ok)
        return reply(res, 400,
                     {{"error", "bad_request"},
                      {"message", "duration_ms must be an integer from 0 to 3600000"}});
      f.outage_for(std::chrono::milliseconds(j["duration_ms"].get<std::int64_t>()));
      reply(res, 200, {{"outage_ms", j["duration_ms"]}});
    });
  svr.route("GET", "/health", [](const http_request&, http_response& res) {
    reply(res, 200, {{"status", "ok"}});
  });

  const int bound = svr.bind(host, port);
  if (bound < 0) {
    std::fprintf(stderr, "payment_gateway: cannot listen on %s:%d\n", host.c_str(), port);
    return 1;
  }
  svr.start();
  if (stop_on_eof) order_system::stop_on_stdin_eof();
  std::printf("payment_gateway listening on %s:%d\n", host.c_str(), bound);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  svr.stop();
  return 0;
}

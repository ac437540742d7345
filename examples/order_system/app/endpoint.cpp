#include "endpoint.hpp"

#include <nlohmann/json.hpp>
#include <random>

#include "chaos.hpp"
#include "limiter.hpp"
#include "payment.hpp"
#include "repo.hpp"

namespace order_system {

namespace {

using json = nlohmann::json;

void reply(http_response& res, int status, const json& body) {
  res.status = status;
  res.body = body.dump();
}

void reply_error(http_response& res, int status, const std::string& message) {
  reply(res, status, {{"error", message}});
}

/// A new order id: "ord-" and 16 random hex digits.
std::string new_order_id() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string id = "ord-";
  std::uint64_t v = rng();
  for (int i = 0; i < 16; ++i, v >>= 4) id.push_back(hex[v & 0xf]);
  return id;
}

/// True for a string of 1..max printable characters (no NUL or other control character).
bool printable(const json& v, std::size_t max) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

/// True for an integer in [1, max].
bool in_range(const json& v, std::int64_t max) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned()) {
    const std::uint64_t x = v.get<std::uint64_t>();
    return x >= 1 && x <= static_cast<std::uint64_t>(max);
  }
  const std::int64_t x = v.get<std::int64_t>();
  return x >= 1 && x <= max;
}

/// Reads a POST /orders body into `o`. @returns the error for a 400, or empty.
std::string parse_order(const std::string& body, const catalogue& cat, order_row& o) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return "body is not valid JSON";
  if (!j.is_object()) return "body must be a JSON object";
  if (!j.contains("customer") || !printable(j["customer"], order_limits::kMaxText))
    return "customer must be a string of 1 to " + std::to_string(order_limits::kMaxText) +
           " printable characters";
  if (!j.contains("card_token") || !printable(j["card_token"], order_limits::kMaxText))
    return "card_token must be a string of 1 to " + std::to_string(order_limits::kMaxText) +
           " printable characters";
  if (!j.contains("amount_cents") || !in_range(j["amount_cents"], order_limits::kMaxAmountCents))
    return "amount_cents must be an integer from 1 to " +
           std::to_string(order_limits::kMaxAmountCents);
  if (!j.contains("items") || !j["items"].is_array() || j["items"].empty() ||
      j["items"].size() > order_limits::kMaxLines)
    return "items must be an array of 1 to " + std::to_string(order_limits::kMaxLines) + " lines";
  for (const json& line : j["items"]) {
    if (!line.is_object() || !line.contains("item") ||
        !printable(line["item"], order_limits::kMaxText))
      return "each item needs an \"item\" code (a string of printable characters)";
    const std::string code = line["item"].get<std::string>();
    if (!cat.contains(code)) return "unknown item " + code;
    if (!line.contains("quantity") || !in_range(line["quantity"], order_limits::kMaxQuantity))
      return "quantity of " + code + " must be an integer from 1 to " +
             std::to_string(order_limits::kMaxQuantity);
    for (const order_line& seen : o.items)
      if (seen.item == code) return "item " + code + " is listed twice";
    o.items.push_back({code, line["quantity"].get<std::int64_t>()});
  }
  o.customer = j["customer"].get<std::string>();
  o.card_token = j["card_token"].get<std::string>();
  o.amount_cents = j["amount_cents"].get<std::int64_t>();
  return {};
}

/// True for an order id as new_order_id makes them.
bool valid_order_id(const std::string& id) {
  if (id.size() != 20 || id.rfind("ord-", 0) != 0) return false;
  return id.find_first_not_of("0123456789abcdef", 4) == std::string::npos;
}

json to_json(const order_row& o) {
  json items = json::array();
  for (const auto& l : o.items) items.push_back({{"item", l.item}, {"quantity", l.quantity}});
  return {{"id", o.id},
          {"state", to_string(o.state)},
          {"reason", o.reason},
          {"charge_id", o.charge_id},
          {"attempts", o.attempts},
          {"customer", o.customer},
          {"amount_cents", o.amount_cents},
          {"items", std::move(items)}};
}

void post_order(const std::shared_ptr<const order_context>& ctx, const catalogue& cat,
                const http_request& req, http_response& res) {
  order_row o;
  if (std::string error = parse_order(req.body, cat, o); !error.empty())
    return reply_error(res, 400, error);
  if (ctx->max_backlog > 0 && ctx->stats->backlog.load() >= ctx->max_backlog) {
    ++ctx->stats->shed;
    res.set_header("Retry-After", "1");
    return reply(res, 503,
                 {{"error", "overloaded"},
                  {"message", "too many orders in progress; retry later"},
                  {"retry_after_ms", 1000}});
  }
  try {
    const auto limiter = otp::whereis<rate_limit_server>(rate_limiter_name);
    const otp::rate_decision d =
        otp::call(limiter, rate_limit_server::check{o.customer}, std::chrono::milliseconds(1000))
            .get();
    if (!d) {
      const auto ms = d.retry_after.count();
      res.set_header("Retry-After", std::to_string((ms + 999) / 1000));
      return reply(res, 429, {{"error", "rate_limited"}, {"retry_after_ms", ms}});
    }
  } catch (const otp::exit_error&) {
    // The limiter is restarting: let the request through rather than refuse
    // every client for the moment it takes.
  }
  try {
    for (;;) {  // a random id that is taken already gets a new one
      o.id = new_order_id();
      if (query(db_conn::insert_order{o}).get()) break;
    }
  } catch (const std::exception&) {
    res.set_header("Retry-After", "1");
    return reply_error(res, 503, "cannot store the order now");
  }
  try {
    (void)start_order(o.id, ctx).get();
  } catch (const otp::exit_error&) {
    // The order supervisor is restarting; the order is stored, and the
    // reconciler starts its process.
  }
  ++ctx->stats->backlog;
  reply(res, 202, {{"id", o.id}});
}

void get_order(const http_request& req, http_response& res) {
  const std::string& id = req.param;
  if (!valid_order_id(id)) return reply_error(res, 404, "no such order");
  try {
    const std::optional<order_row> o = query(db_conn::get_order{id}).get();
    if (!o) return reply_error(res, 404, "no order " + id);
    reply(res, 200, to_json(*o));
  } catch (const std::exception&) {
    reply_error(res, 503, "cannot read the order now");
  }
}

void get_stats(otp::node& n, const order_context& ctx, http_response& res) {
  json orders = json::object();
  json failed = json::object();
  try {
    for (const auto& [state, count] : query(db_conn::count_by_state{}).get())
      orders[to_string(state)] = count;
    for (const auto& [reason, count] : query(db_conn::failures_by_reason{}).get())
      failed[reason] = count;
  } catch (const std::exception&) {
    return reply_error(res, 503, "cannot read the database now");
  }
  for (const char* s : {"pending", "reserved", "paid", "failed"})
    if (!orders.contains(s)) orders[s] = 0;
  std::string circuit = "unknown";
  try {
    const auto pay = otp::whereis<payment>(payment_name);
    circuit = otp::to_string(otp::call(pay, payment::circuit{}).get());
  } catch (const otp::exit_error&) {
  }
  json risk = nullptr;
  if (ctx.risk) {
    risk = {{"module", risk_module}, {"vsn", "unknown"}};
    try {
      const auto rules = otp::whereis<risk_server>(risk_name);
      risk["vsn"] = otp::code::version_of(rules).get();
      const risk_summary s = otp::call(rules, risk_api::summary{}).get();
      risk["rules"] = s.rules;
      risk["assessed"] = s.assessed;
      risk["refused"] = s.refused;
    } catch (const otp::exit_error&) {  // restarting: the version is unknown for now
    }
  }
  json restarts = json::object();
  for (const auto& [id, count] : ctx.stats->restarts()) restarts[id] = count;
  const service_stats& s = *ctx.stats;
  reply(res, 200,
        {{"orders", orders},
         {"failed_by_reason", failed},
         {"restarts", restarts},
         {"escalations", s.escalations.load()},
         {"crashes_injected", s.crashes_injected.load()},
         {"backlog", s.backlog.load()},
         {"processes", n.process_count()},
         {"shed", s.shed.load()},
         {"memory",
          {{"blocks_in_use", otp::memory().blocks_in_use},
           {"blocks_held", otp::memory().blocks_held},
           {"released", s.memory_released.load()}}},
         {"order_crashes", s.order_crashes.load()},
         {"resumed_by_reconciler", s.resumed_by_reconciler.load()},
         {"notifications_dropped", s.notifications_dropped.load()},
         {"notifications",
          {{"sent", s.notifications_sent.load()},
           {"dropped", s.notifications_dropped.load()},
           {"lag_ms_max", s.notification_lag_ms_max.load()},
           {"lag_ms_mean", s.notifications_sent.load() == 0
                               ? 0
                               : s.notification_lag_ms_sum.load() / s.notifications_sent.load()}}},
         {"circuit", {{"state", circuit}, {"openings", s.circuit_openings.load()}}},
         {"risk", risk}});
}

void post_chaos(const http_request& req, http_response& res) {
  const json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("rate") || !j["rate"].is_number() ||
      !(j["rate"].get<double>() >= 0 && j["rate"].get<double>() <= chaos::kMaxRate))
    return reply_error(res, 400,
                       "rate must be a number from 0 to " + std::to_string(int(chaos::kMaxRate)) +
                           " (kills per second)");
  const auto c = otp::whereis<chaos>(chaos_name);
  if (c.resolve().is_null()) return reply_error(res, 404, "no chaos process is running");
  otp::cast(c, chaos::set_rate{j["rate"].get<double>()});
  reply(res, 200, {{"rate", j["rate"]}});
}

/// The body of POST /admin/upgrade or /admin/downgrade: `file` (upgrade
/// only), `extra` and `permanent`, each optional but `file`. @returns the
/// error for a 400, or empty.
std::string parse_code_change(const std::string& body, bool with_file, std::string& file,
                              std::string& extra, bool& permanent) {
  const json j = json::parse(body, nullptr, false);
  const char* shape = with_file ? R"(body must be {"file": a module file name, "extra": text for )"
                                  R"(its code_change, "permanent": true or false})"
                                : R"(body must be {"extra": text for the code_change, )"
                                  R"("permanent": true or false})";
  if (!j.is_object()) return shape;
  if (with_file) {
    if (!printable(j.value("file", json()), order_limits::kMaxText)) return shape;
    file = j["file"].get<std::string>();
  }
  if (j.contains("extra")) {
    if (!j["extra"].is_string() ||
        j["extra"].get_ref<const std::string&>().size() > order_limits::kMaxText)
      return shape;
    extra = j["extra"].get<std::string>();
  }
  if (j.contains("permanent")) {
    if (!j["permanent"].is_boolean()) return shape;
    permanent = j["permanent"].get<bool>();
  }
  return {};
}

/// Answers an upgrade's or downgrade's outcome: 200, or 409 when it failed.
void reply_code_change(const risk_change& c, http_response& res) {
  const otp::code::upgrade_report& r = c.report;
  json body = {{"module", risk_module},        {"vsn", r.vsn},
               {"processes", r.processes},     {"suspended_us", r.suspended.count()},
               {"rolled_back", r.rolled_back}, {"permanent", c.permanent},
               {"left_out", r.left_out}};
  if (!c.permanent_error.empty()) body["permanent_error"] = c.permanent_error;
  if (r.failed) {
    body["error"] = *r.failed;
    otp::logger::warning("{}: the change of version failed ({}); version {} runs", risk_module,
                         *r.failed, r.vsn);
    return reply(res, 409, body);
  }
  otp::logger::notice("{}: version {} runs ({} process(es) suspended {} us{})", risk_module, r.vsn,
                      r.processes, r.suspended.count(), c.permanent ? ", made permanent" : "");
  reply(res, 200, body);
}

/// POST /admin/upgrade (`upgrade`) or /admin/downgrade.
void post_code_change(const risk_options& risk, bool upgrade, const http_request& req,
                      http_response& res) {
  if (!risk.enabled()) return reply_error(res, 404, "the service runs without risk rules");
  std::string file, extra;
  bool permanent = false;
  if (auto bad = parse_code_change(req.body, upgrade, file, extra, permanent); !bad.empty())
    return reply_error(res, 400, bad);
  try {
    reply_code_change(upgrade ? upgrade_risk_rules(risk, file, extra, permanent)
                              : downgrade_risk_rules(extra, permanent),
                      res);
  } catch (const std::invalid_argument& e) {
    reply_error(res, 400, e.what());
  } catch (const otp::code::code_error& e) {
    reply_error(res, 422, e.what());
  }
}

}  // namespace

endpoint::endpoint(endpoint_options o, otp::node* node, std::shared_ptr<const order_context> ctx,
                   std::shared_ptr<const catalogue> cat, risk_options risk)
    : o_(std::move(o)),
      node_(node),
      ctx_(std::move(ctx)),
      cat_(std::move(cat)),
      risk_(std::move(risk)) {}

endpoint::~endpoint() { stop(); }

otp::server_result endpoint::init() {
  otp::trap_exit(true);  // so terminate stops the HTTP server on shutdown
  server_ = std::make_unique<http_server>(o_.limits, o_.threads);
  otp::node& n = *node_;
  auto ctx = ctx_;
  auto cat = cat_;
  // Every handler that reaches the node passes the gate: while the endpoint
  // serves, it runs with a mailbox of its own for the request (a process
  // identity that ends with the request, so no worker thread holds one past
  // the node); after stop(), it answers 503 and leaves the node alone.
  auto gate = gate_;
  const auto guarded = [gate, &n](auto f) {
    return [gate, &n, f](const http_request& req, http_response& res) {
      if (!gate->enter()) {
        res.set_header("Retry-After", "1");
        return reply_error(res, 503, "the service is stopping");
      }
      struct leave {
        request_gate& g;
        ~leave() { g.leave(); }
      } done{*gate};
      otp::mailbox mb(n);
      f(req, res);
    };
  };
  server_->route("POST", "/orders",
                 guarded([ctx, cat](const http_request& req, http_response& res) {
                   post_order(ctx, *cat, req, res);
                 }));
  server_->route("GET", "/orders/:id",
                 guarded([](const http_request& req, http_response& res) { get_order(req, res); }));
  server_->route("GET", "/health", [](const http_request&, http_response& res) {
    reply(res, 200, {{"status", "ok"}});
  });
  server_->route("GET", "/stats", guarded([&n, ctx](const http_request&, http_response& res) {
                   get_stats(n, *ctx, res);
                 }));
  if (o_.admin) {
    server_->route("POST", "/admin/chaos", guarded([](const http_request& req, http_response& res) {
                     post_chaos(req, res);
                   }));
    server_->route("POST", "/admin/upgrade",
                   guarded([risk = risk_](const http_request& req, http_response& res) {
                     post_code_change(risk, true, req, res);
                   }));
    server_->route("POST", "/admin/downgrade",
                   guarded([risk = risk_](const http_request& req, http_response& res) {
                     post_code_change(risk, false, req, res);
                   }));
  }
  const int want = o_.bound_port->load() != 0 ? o_.bound_port->load() : o_.port;
  const int port = server_->bind(o_.host, want);
  if (port < 0)
    return otp::stop(otp::exit_reason::other("{bind_failed," + std::to_string(want) + "}"));
  o_.bound_port->store(port);
  server_->start();
  return otp::noreply();
}

void endpoint::stop() {
  // No request reaches the node from here on; those already in wait for the
  // calls they make (each has a timeout), so the node outlives them.
  gate_->close(std::chrono::seconds(15));
  if (!server_) return;
  // Closes the port and every connection at once: a slow or idle client
  // holds no thread, so nothing here waits for one.
  server_->stop();
  server_.reset();
}

}  // namespace order_system

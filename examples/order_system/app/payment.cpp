#include "payment.hpp"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "table_keeper.hpp"

namespace order_system {

const char* to_string(charge_outcome::kind k) noexcept {
  switch (k) {
    case charge_outcome::kind::paid:
      return "paid";
    case charge_outcome::kind::declined:
      return "declined";
    case charge_outcome::kind::rejected:
      return "rejected";
    case charge_outcome::kind::unavailable:
      return "unavailable";
    case charge_outcome::kind::circuit_open:
      return "circuit_open";
    case charge_outcome::kind::not_found:
      return "not_found";
  }
  return "?";
}

namespace {

using json = nlohmann::json;

/// The calling (blocking pool) thread's keep-alive client for `o`'s gateway.
httplib::Client& client_for(const payment_options& o) {
  thread_local std::unique_ptr<httplib::Client> cli;
  thread_local std::string url;
  if (!cli || url != o.gateway_url) {
    cli = std::make_unique<httplib::Client>(o.gateway_url);
    url = o.gateway_url;
    cli->set_keep_alive(true);
    cli->set_tcp_nodelay(true);
    const auto c = o.connect_timeout.count();
    const auto r = o.read_timeout.count();
    cli->set_connection_timeout(c / 1000, (c % 1000) * 1000);
    cli->set_read_timeout(r / 1000, (r % 1000) * 1000);
  }
  return *cli;
}

/// The outcome a gateway answer stands for. Blocking: call on the blocking pool.
charge_outcome outcome_of(const httplib::Result& res) {
  charge_outcome out;
  if (!res) {
    out.detail = "http: " + httplib::to_string(res.error());
    return out;  // unavailable
  }
  const json body = json::parse(res->body, nullptr, false);
  const json charge = body.is_object() && body.contains("charge") ? body["charge"] : body;
  const auto id = [&] {
    return charge.is_object() ? charge.value("charge_id", std::string()) : std::string();
  };
  const auto status = charge.is_object() ? charge.value("status", std::string()) : std::string();
  out.detail = "gateway " + std::to_string(res->status);
  switch (res->status) {
    case 200:
    case 201:
    case 409:  // the key's earlier charge: take what it was
      out.what = status == "declined" ? charge_outcome::kind::declined : charge_outcome::kind::paid;
      out.charge_id = id();
      break;
    case 402:
      out.what = charge_outcome::kind::declined;
      out.charge_id = id();
      break;
    case 404:
      out.what = charge_outcome::kind::not_found;
      break;
    case 400:
      out.what = charge_outcome::kind::rejected;
      out.detail = body.is_object() ? body.value("message", out.detail) : out.detail;
      break;
    default:
      out.what = charge_outcome::kind::unavailable;
      break;
  }
  return out;
}

charge_outcome post_charge(const payment_options& o, const payment::charge& c) {
  const json req{{"idempotency_key", c.order_id},
                 {"order_id", c.order_id},
                 {"amount_cents", c.amount_cents},
                 {"card_token", c.card_token}};
  return outcome_of(client_for(o).Post("/charges", req.dump(), "application/json"));
}

charge_outcome get_charge(const payment_options& o, const std::string& key) {
  return outcome_of(client_for(o).Get("/charges/" + key));
}

/// One charge in flight: the HTTP request off the scheduler threads, the
/// breaker told how it went, the caller answered. The permit comes shared
/// only because spawn arguments must be copyable; if the process is killed
/// it reports a failure, even when payment (and its breaker) went first.
otp::task<void> charge_worker(payment_options o, payment::charge c,
                              std::shared_ptr<otp::circuit_permit> held,
                              otp::from<charge_outcome> f) {
  otp::circuit_permit permit = std::move(*held);
  const auto start = std::chrono::steady_clock::now();
  charge_outcome r = co_await otp::blocking([&] { return post_charge(o, c); });
  // The source articles' [:payment, :processed] event, with the gateway
  // round trip's duration (ns) and the amount.
  otp::telemetry::execute({"payment", "processed"},
                          {{"duration", std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::steady_clock::now() - start)
                                            .count()},
                           {"amount_cents", c.amount_cents}},
                          {{"order_id", std::string_view(c.order_id)},
                           {"outcome", std::string_view(to_string(r.what))}});
  if (r.what == charge_outcome::kind::unavailable)
    permit.failure();
  else
    permit.success();
  otp::reply(f, std::move(r));
}

otp::task<void> lookup_worker(payment_options o, std::string key, otp::from<charge_outcome> f) {
  charge_outcome r = co_await otp::blocking([&] { return get_charge(o, key); });
  otp::reply(f, std::move(r));
}

}  // namespace

payment::payment(payment_options o, std::shared_ptr<service_stats> stats)
    : o_(std::move(o)), stats_(std::move(stats)) {
  otp::circuit_breaker_options bo;
  bo.name = "payment_gateway";
  bo.max_failures = o_.max_failures;
  bo.window = o_.window;
  bo.reset_timeout = o_.reset_timeout;
  bo.store =
      breaker_table::named(breaker_table_name);  // an open circuit stays open across a restart
  bo.on_state_change = [s = stats_](const otp::circuit_event& e) {
    if (e.to == otp::circuit_state::open) ++s->circuit_openings;
  };
  breaker_ = std::make_unique<otp::circuit_breaker>(std::move(bo));
}

otp::call_result<charge_outcome> payment::handle_call(charge c, otp::from<charge_outcome> f) {
  otp::circuit_permit permit = breaker_->ask();
  if (!permit) {
    charge_outcome refused;
    refused.what = charge_outcome::kind::circuit_open;
    refused.retry_after = permit.retry_after();
    refused.detail = "circuit open";
    return refused;
  }
  otp::spawn_link(charge_worker, o_, std::move(c),
                  std::make_shared<otp::circuit_permit>(std::move(permit)), f);
  return otp::noreply();
}

otp::call_result<charge_outcome> payment::handle_call(lookup l, otp::from<charge_outcome> f) {
  otp::spawn_link(lookup_worker, o_, std::move(l.order_id), f);
  return otp::noreply();
}

}  // namespace order_system

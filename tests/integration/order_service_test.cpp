// The order system end to end: the service's tree in this process, the real
// payment_gateway executable, real HTTP between them and to the endpoint.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chaos.hpp"
#include "integration/service_fixture.hpp"
#include "inventory.hpp"
#include "notifications.hpp"

namespace {

using order_system::order_state;
using otp_test::json;
using otp_test::service_under_test;
using namespace std::chrono_literals;

TEST(OrderService, AnOrderIsStoredThenReservedChargedAndPaid) {
  service_under_test svc;
  const auto [status, body] = svc.post(service_under_test::order_body({{"widget", 2}}));
  ASSERT_EQ(status, 202) << body.dump();
  const std::string id = body["id"];
  const auto row = svc.await_final(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, order_state::paid) << row->reason;
  EXPECT_FALSE(row->charge_id.empty());

  // The gateway charged it once, under the order id, and stock went down.
  const json charges = svc.ledger();
  ASSERT_EQ(charges.size(), 1U);
  EXPECT_EQ(charges[0]["order_id"], id);
  EXPECT_EQ(charges[0]["idempotency_key"], id);
  EXPECT_EQ(charges[0]["status"], "succeeded");
  EXPECT_EQ(charges[0]["charge_id"], row->charge_id);
  auto client = svc.client();
  const auto got = client.Get("/orders/" + id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(json::parse(got->body)["state"], "paid");
}

TEST(OrderService, MalformedOrdersAre400WithAMessageAndChangeNothing) {
  service_under_test svc;
  const std::vector<std::pair<std::string, std::string>> bad{
      {"{not json", "not valid JSON"},
      {"[1,2]", "JSON object"},
      {R"({"items": [{"item": "widget", "quantity": 1}], "amount_cents": 5, "card_token": "t"})",
       "customer"},
      {R"({"customer": "a", "items": [], "amount_cents": 5, "card_token": "t"})", "items"},
      {R"({"customer": "a", "items": [{"item": "widget", "quantity": 0}], "amount_cents": 5,
           "card_token": "t"})",
       "quantity"},
      {R"({"customer": "a", "items": [{"item": "widget", "quantity": 1}], "amount_cents": -5,
           "card_token": "t"})",
       "amount_cents"},
      {R"({"customer": "a", "items": [{"item": "nope", "quantity": 1}], "amount_cents": 5,
           "card_token": "t"})",
       "unknown item nope"},
  };
  for (const auto& [body, says] : bad) {
    const auto [status, reply] = svc.post(body);
    EXPECT_EQ(status, 400) << body;
    ASSERT_TRUE(reply.is_object()) << body;
    EXPECT_NE(reply["error"].get<std::string>().find(says), std::string::npos)
        << body << " -> " << reply.dump();
  }
  const auto counts = order_system::query(order_system::db_conn::count_by_state{}).get();
  EXPECT_TRUE(counts.empty());
  EXPECT_TRUE(svc.ledger().empty());
}

TEST(OrderService, AGatewayOutageOpensTheCircuitThenOrdersRecover) {
  service_under_test svc({.breaker_failures = 3, .breaker_reset = 300ms});
  auto gw = svc.gateway().client();
  ASSERT_TRUE(gw.Post("/admin/outage", R"({"duration_ms": 1500})", "application/json"));

  const auto [status, body] = svc.post(service_under_test::order_body({{"widget", 1}}));
  ASSERT_EQ(status, 202);
  const std::string id = body["id"];

  // The order's retries fail, and the third failure opens the circuit.
  const auto pay = otp::whereis<order_system::payment>(order_system::payment_name);
  while (otp::call(pay, order_system::payment::circuit{}).get() != otp::circuit_state::open)
    svc.me().receive(otp::after(10ms, [] {}));
  EXPECT_GE(svc.stats().circuit_openings.load(), 1);

  // While it is open a charge fails fast, without reaching the gateway.
  const auto before = svc.ledger().size();
  const order_system::charge_outcome refused =
      otp::call(pay, order_system::payment::charge{"probe-test", 100, "tok_visa"}).get();
  EXPECT_EQ(refused.what, order_system::charge_outcome::kind::circuit_open);
  EXPECT_GT(refused.retry_after.count(), 0);
  EXPECT_EQ(svc.ledger().size(), before);

  // When the outage is over, a probe closes the circuit and the order is paid.
  const auto row = svc.await_final(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, order_state::paid) << row->reason;
  EXPECT_EQ(otp::call(pay, order_system::payment::circuit{}).get(), otp::circuit_state::closed);
}

// Rule (telemetry): a charge sent to the gateway emits [payment, processed]
// (the source articles' event) with its duration, amount, order and outcome,
// before the caller has its answer.
TEST(OrderService, AChargeEmitsPaymentProcessed) {
  service_under_test svc;
  std::mutex mu;
  std::vector<std::string> seen;
  ASSERT_TRUE(otp::telemetry::attach(
      "order-service-test", {"payment", "processed"}, [&](const otp::telemetry::event& e) {
        const auto text = [&](const char* k) {
          return std::string(std::get<std::string_view>(*e.metadata_of(k)));
        };
        std::lock_guard l(mu);
        seen.push_back(text("order_id") + " " + text("outcome") + " " +
                       std::to_string(static_cast<long>(*e.measurement_of("amount_cents"))) +
                       (*e.measurement_of("duration") > 0 ? " timed" : " untimed"));
      }));
  const auto pay = otp::whereis<order_system::payment>(order_system::payment_name);
  const order_system::charge_outcome paid =
      otp::call(pay, order_system::payment::charge{"telemetry-1", 250, "tok_visa"}).get();
  otp::telemetry::detach("order-service-test");
  EXPECT_EQ(paid.what, order_system::charge_outcome::kind::paid);
  std::lock_guard l(mu);
  EXPECT_EQ(seen, std::vector<std::string>{"telemetry-1 paid 250 timed"});
}

TEST(OrderService, KillingPaymentRestartsNotificationsAfterItButNotInventory) {
  service_under_test svc;
  const otp::pid inventory = otp::whereis(order_system::inventory_name);
  const otp::pid payment = otp::whereis(order_system::payment_name);
  const otp::pid notifications = otp::whereis(order_system::notifications_name);
  ASSERT_FALSE(inventory.is_null() || payment.is_null() || notifications.is_null());
  const otp::ref m = otp::monitor(notifications);

  otp::exit(payment, otp::exit_reason::kill());
  // rest_for_one: notifications, started after payment, is stopped too.
  svc.me().receive(
      otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                [](const otp::down_msg& d) { EXPECT_EQ(d.reason, otp::exit_reason::shutdown()); }));
  // which_children is answered after the supervisor has handled the exit.
  const auto children =
      otp::supervisor::which_children(otp::whereis<otp::supervisor::server>("services")).get();
  std::map<std::string, otp::pid> now;
  for (const auto& c : children) now[c.id] = c.child;
  EXPECT_EQ(now["inventory"], inventory);
  EXPECT_NE(now["payment"], payment);
  EXPECT_NE(now["notifications"], notifications);
  EXPECT_FALSE(now["payment"].is_null());
  EXPECT_FALSE(now["notifications"].is_null());
  EXPECT_EQ(svc.stats().restarts()["payment"], 1);

  // And the service still takes and pays orders.
  const auto [status, body] = svc.post(service_under_test::order_body({{"widget", 1}}));
  ASSERT_EQ(status, 202);
  const auto row = svc.await_final(body["id"]);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, order_state::paid);
}

TEST(OrderService, AKilledOrderProcessLeavesItsOrderPendingUntilTheReconcilerFinishesIt) {
  // Slow charges, so the order process is caught mid-flight, and a slow
  // reconciler, so the order is seen unfinished in between.
  service_under_test svc({.gateway_args = {"--latency-ms", "400"}, .reconcile_every = 500ms});
  const auto [status, body] = svc.post(service_under_test::order_body({{"widget", 1}}));
  ASSERT_EQ(status, 202);
  const std::string id = body["id"];
  const auto running = svc.orders()->registry.lookup(id);
  ASSERT_EQ(running.size(), 1U);
  const otp::ref m = otp::monitor(running[0].first);
  otp::exit(running[0].first, otp::exit_reason::kill());
  svc.me().receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                             [](const otp::down_msg&) {}));

  const auto mid = svc.order(id);
  ASSERT_TRUE(mid);
  EXPECT_TRUE(mid->state == order_state::pending || mid->state == order_state::reserved);

  const auto row = svc.await_final(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, order_state::paid);
  EXPECT_EQ(row->attempts, 0);  // a kill is not the order's fault: no crash counted
  EXPECT_GE(svc.stats().resumed_by_reconciler.load(), 1);
  EXPECT_GE(svc.stats().order_crashes.load(), 1);
  // The charge the killed process may have made was not made twice.
  int succeeded = 0;
  for (const json& c : svc.ledger())
    if (c["order_id"] == id && c["status"] == "succeeded") ++succeeded;
  EXPECT_EQ(succeeded, 1);
}

TEST(OrderService, APoisonOrderCrashesWithAStackTraceAndFailsAfterMaxAttempts) {
  service_under_test svc;
  const auto [status, body] = svc.post(service_under_test::order_body({{"broken", 1}}));
  ASSERT_EQ(status, 202);
  const auto row = svc.await_final(body["id"]);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, order_state::failed);
  EXPECT_EQ(row->reason, "crashed");
  EXPECT_EQ(row->attempts, svc.orders()->max_attempts);
  EXPECT_EQ(svc.stats().order_crashes.load(), svc.orders()->max_attempts);
  // Each crash was reported with the exception and where it was thrown.
  int crash_reports = 0;
  for (const otp::report& r : svc.reports()) {
    if (r.what != otp::report::kind::crash) continue;
    ++crash_reports;
    EXPECT_NE(r.field("exception").find("type_error"), std::string::npos);
    EXPECT_NE(r.to_string().find("stacktrace"), std::string::npos);
  }
  EXPECT_EQ(crash_reports, svc.orders()->max_attempts);
  EXPECT_TRUE(svc.ledger().empty());  // never charged
}

// Chaos at 30 kills/s, a tenth of them supervisors, 30 kills at most: the
// root's intensity (20 restarts in 10 s) is not reached however slowly the
// build runs. Under ASan on a loaded machine the 300 orders take 2 s; with
// no budget that was 62 kills, the root gave up (order_service's exit, not
// this test's subject) and no order finished. With 30 it held in every run.
TEST(OrderService, AShortChaosRunLosesNothingAndChargesNothingTwice) {
  service_under_test svc({.gateway_args = {"--failure-rate", "0.05", "--lost-reply-rate", "0.05"}});
  otp::start_options named;
  named.name = order_system::chaos_name;
  const auto chaos =
      otp::gen_server::start<order_system::chaos>(named, std::string(order_system::root_name), 30.0,
                                                  0.1, svc.stats_ptr(), 7U, std::uint64_t{30})
          .get();
  ASSERT_TRUE(chaos.is_ok());

  // Four client threads, 75 orders each.
  std::mutex mu;
  std::vector<std::string> accepted;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < 75; ++i) {
        const std::string customer = "c" + std::to_string(t * 100 + i % 10);
        const auto [status, body] =
            svc.post(service_under_test::order_body({{"widget", 1}}, customer));
        if (status == 202) {
          std::lock_guard l(mu);
          accepted.push_back(body["id"]);
        }
      }
    });
  for (auto& c : clients) c.join();
  otp::gen_server::stop(otp::whereis<order_system::chaos>(order_system::chaos_name)).get();
  EXPECT_GT(svc.stats().crashes_injected.load(), 0);
  ASSERT_GT(accepted.size(), 200U);

  std::map<std::string, order_state> final_state;
  for (const std::string& id : accepted) {
    const auto row = svc.await_final(id, 60s);
    ASSERT_TRUE(row) << "order " << id << " never finished";
    final_state[id] = row->state;
  }
  // Reconcile with the gateway: one succeeded charge per paid order, none else.
  std::map<std::string, int> charges;
  for (const json& c : svc.ledger())
    if (c["status"] == "succeeded") ++charges[c["order_id"].get<std::string>()];
  for (const auto& [order_id, n] : charges) {
    EXPECT_EQ(n, 1) << "double charge for " << order_id;
    // An order whose POST failed after it was stored (its reply lost to a
    // killed connection process) is not in `accepted`, but is processed all
    // the same: look it up.
    const auto row = final_state.count(order_id) ? svc.order(order_id) : svc.await_final(order_id);
    ASSERT_TRUE(row) << order_id;
    EXPECT_EQ(row->state, order_state::paid) << "charge without a paid order: " << order_id;
  }
  for (const auto& [order_id, state] : final_state)
    if (state == order_state::paid) {
      EXPECT_EQ(charges[order_id], 1) << order_id;
    }
}

}  // namespace

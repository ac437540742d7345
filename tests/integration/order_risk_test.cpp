// The order system's risk rules (examples/order_system/risk): a
// hot-upgradable module every order passes, upgraded through
// POST /admin/upgrade while orders flow, and a broken version rolled back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service_fixture.hpp"

namespace {

using order_system::order_state;
using otp_test::json;
using otp_test::service_setup;
using otp_test::service_under_test;

/// An order of one widget from `customer` for `amount` cents.
std::string risk_order(const std::string& customer, std::int64_t amount) {
  return json{{"customer", customer},
              {"items", json::array({{{"item", "widget"}, {"quantity", 1}}})},
              {"amount_cents", amount},
              {"card_token", "tok_visa"}}
      .dump();
}

/// POSTs the order and waits for its final row: its state and reason.
std::pair<order_state, std::string> settle(service_under_test& svc, const std::string& body) {
  const auto [status, reply] = svc.post(body);
  EXPECT_EQ(status, 202) << reply;
  if (status != 202) return {order_state::pending, "not accepted"};
  const auto row = svc.await_final(reply["id"].get<std::string>());
  EXPECT_TRUE(row.has_value());
  if (!row) return {order_state::pending, "not final"};
  return {row->state, row->reason};
}

/// POST /admin/`what` (upgrade, downgrade) with `body`: the status and the reply.
std::pair<int, json> admin(service_under_test& svc, const std::string& what, const json& body) {
  auto c = svc.client();
  c.set_read_timeout(60, 0);
  const auto res = c.Post("/admin/" + what, body.dump(), "application/json");
  if (!res) return {0, json()};
  return {res->status, json::parse(res->body, nullptr, false)};
}

/// POST /admin/upgrade of `file`: the status and the reply.
std::pair<int, json> upgrade(service_under_test& svc, const std::string& file) {
  return admin(svc, "upgrade", {{"file", file}});
}

const std::pair<order_state, std::string> kPaid{order_state::paid, ""};

TEST(OrderRisk, AnUpgradeUnderLoadChangesTheRulesAndABrokenOneIsRolledBack) {
  service_setup setup;
  setup.admin = true;
  setup.risk_module = OTP_ORDER_RISK_V1;  // order limit 1000, customer limit 1500
  service_under_test svc(setup);
  // Version 1: only the order limit.
  EXPECT_EQ(settle(svc, risk_order("big", 2000)),
            std::pair(order_state::failed, std::string("risk_order_limit")));
  EXPECT_EQ(settle(svc, risk_order("carol", 900)), kPaid);
  EXPECT_EQ(settle(svc, risk_order("carol", 900)), kPaid);

  // Orders flow from another thread while version 2 is installed.
  std::vector<std::string> ids;
  std::thread load([&svc, &ids] {
    for (int i = 0; i < 40; ++i) {
      const auto [status, reply] = svc.post(risk_order("load" + std::to_string(i % 8), 100));
      if (status == 202) ids.push_back(reply["id"].get<std::string>());
    }
  });
  const auto [up, report] = upgrade(svc, "order_risk_v2.so");
  load.join();
  EXPECT_EQ(up, 200) << report;
  EXPECT_EQ(report["vsn"], "2");
  EXPECT_EQ(report["processes"], 1);
  EXPECT_EQ(report["rolled_back"], false);
  EXPECT_GT(report["suspended_us"].get<std::int64_t>(), 0);

  // Version 2 adds the customer limit; its spend starts at the upgrade.
  EXPECT_EQ(settle(svc, risk_order("carol", 900)), kPaid);
  EXPECT_EQ(settle(svc, risk_order("carol", 900)),
            std::pair(order_state::failed, std::string("risk_customer_limit")));

  // Version 3's code_change throws: rolled back, version 2 keeps its state
  // (carol's 900 spent: 700 more passes the limit).
  const auto [bad, refused] = upgrade(svc, "order_risk_v3.so");
  EXPECT_EQ(bad, 409) << refused;
  EXPECT_EQ(refused["rolled_back"], true);
  EXPECT_EQ(refused["vsn"], "2");
  EXPECT_NE(refused.value("error", "").find("cannot migrate"), std::string::npos) << refused;
  EXPECT_EQ(settle(svc, risk_order("carol", 700)),
            std::pair(order_state::failed, std::string("risk_customer_limit")));
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, "2");

  // Every order sent during the upgrade finished, and was charged once.
  EXPECT_EQ(ids.size(), 40u);
  for (const std::string& id : ids) {
    const auto row = svc.await_final(id);
    ASSERT_TRUE(row.has_value()) << id;
    EXPECT_EQ(row->state, order_state::paid) << id << " " << row->reason;
  }
  std::map<std::string, int> charges;
  for (const json& c : svc.ledger())
    if (c.value("status", "") == "succeeded") ++charges[c.value("order_id", "")];
  for (const std::string& id : ids) EXPECT_EQ(charges[id], 1) << id;
}

TEST(OrderRisk, BadUpgradeRequestsAreRefusedAndChangeNothing) {
  service_setup setup;
  setup.admin = true;
  setup.risk_module = OTP_ORDER_RISK_V1;
  service_under_test svc(setup);
  const std::string before = otp::code::which(order_system::risk_module)->vsn;
  for (const std::string file : {"../order_risk_v2.so", "/etc/passwd", "", ".."})
    EXPECT_EQ(upgrade(svc, file).first, 400) << file;
  EXPECT_EQ(upgrade(svc, "no_such_module.so").first, 422);
  auto c = svc.client();
  for (const char* body : {"{", "[]", R"({"file": 5})", R"({"file": "x.so", "extra": 1})"}) {
    const auto res = c.Post("/admin/upgrade", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body;
  }
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, before);
  EXPECT_EQ(settle(svc, risk_order("dave", 500)), kPaid);
}

TEST(OrderRisk, ADowngradeGoesBackAndAPermanentVersionIsRecorded) {
  service_setup setup;
  setup.admin = true;
  setup.risk_module = OTP_ORDER_RISK_V1;
  service_under_test svc(setup);
  ASSERT_EQ(upgrade(svc, "order_risk_v2.so").first, 200);
  EXPECT_EQ(settle(svc, risk_order("erin", 900)), kPaid);
  EXPECT_EQ(settle(svc, risk_order("erin", 900)),
            std::pair(order_state::failed, std::string("risk_customer_limit")));
  // Back to version 1: its rules, and the counts carried back.
  const auto [down, report] = admin(svc, "downgrade", json::object());
  EXPECT_EQ(down, 200) << report;
  EXPECT_EQ(report["vsn"], "1");
  EXPECT_EQ(report["processes"], 1);
  EXPECT_EQ(report["permanent"], false);
  EXPECT_EQ(settle(svc, risk_order("erin", 900)), kPaid);
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, "1");
  // Nothing older to go back to: refused, nothing changes.
  const auto [again, none] = admin(svc, "downgrade", {{"extra", ""}});
  EXPECT_EQ(again, 409) << none;
  EXPECT_EQ(none["vsn"], "1");
  EXPECT_NE(none.value("error", "").find("no old version"), std::string::npos) << none;
  // Made permanent: recorded where the next start of the service reads it.
  const auto [up, perm] =
      admin(svc, "upgrade", {{"file", "order_risk_v2.so"}, {"permanent", true}});
  EXPECT_EQ(up, 200) << perm;
  EXPECT_EQ(perm["permanent"], true);
  order_system::store db(svc.db_path());
  EXPECT_EQ(db.setting(order_system::risk_setting), "order_risk_v2.so");
  EXPECT_EQ(admin(svc, "downgrade", {{"permanent", "yes"}}).first, 400);
}

TEST(OrderRisk, AServiceStartsOnThePermanentVersionOrElseTheConfiguredOne) {
  otp::node node;
  otp::mailbox mb(node);
  const std::filesystem::path v1(OTP_ORDER_RISK_V1);
  const order_system::risk_options o{v1.parent_path().string(), v1.filename().string(), {}};
  using order_system::load_risk_rules;
  EXPECT_EQ(load_risk_rules(o, std::nullopt), "order_risk_v1.so");
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, "1");
  EXPECT_EQ(load_risk_rules(o, "order_risk_v2.so"), "order_risk_v2.so");
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, "2");
  // A permanent version that cannot be loaded: the configured one (a
  // warning is logged), never a file outside the modules directory.
  EXPECT_EQ(load_risk_rules(o, "order_risk_v9.so"), "order_risk_v1.so");
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, "1");
  EXPECT_EQ(load_risk_rules(o, "../order_risk_v2.so"), "order_risk_v1.so");
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, "1");
}

TEST(OrderRisk, TheServiceStartsOnTheVersionItsDatabaseMadePermanent) {
  otp::node node;
  otp::mailbox mb(node);
  otp_test::scratch_dir dir;
  const std::string db_path = (dir.dir / "orders.db").string();
  order_system::store(db_path).set_setting(order_system::risk_setting, "order_risk_v2.so");
  std::ofstream(dir.dir / "catalogue.json")
      << R"([{"item": "widget", "unit_price_cents": 500, "stock": 1}])";
  order_system::service_config c;
  c.db_path = db_path;
  c.items = order_system::catalogue::load((dir.dir / "catalogue.json").string());
  const std::filesystem::path v1(OTP_ORDER_RISK_V1);
  c.risk = {v1.parent_path().string(), v1.filename().string(), {}};
  otp::code::load(order_system::risk_module, OTP_ORDER_RISK_V1);
  order_system::prepare(node, c, std::make_shared<order_system::service_stats>());
  EXPECT_EQ(otp::code::which(order_system::risk_module)->vsn, "2");
  EXPECT_TRUE(c.orders->risk);
}

}  // namespace

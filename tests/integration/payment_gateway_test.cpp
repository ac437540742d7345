// The payment gateway the order system charges through, driven over real
// HTTP: idempotency, validation, declines and each injected fault.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/child_process.hpp"

namespace {

using json = nlohmann::json;

std::string charge_body(const std::string& key, long amount, const std::string& card = "tok_visa") {
  return json{
      {"idempotency_key", key}, {"order_id", key}, {"amount_cents", amount}, {"card_token", card}}
      .dump();
}

int ledger_count(httplib::Client& c) {
  auto r = c.Get("/ledger");
  EXPECT_TRUE(r);
  return r ? json::parse(r->body)["count"].get<int>() : -1;
}

// Rule (idempotency): a key is charged once; the same request again replays
// the charge (200) and a different amount under the key is a conflict (409).
TEST(PaymentGateway, AKeyIsChargedOnceAndReplayed) {
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {});
  auto c = gw.client();
  auto first = c.Post("/charges", charge_body("order-1", 1250), "application/json");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 201);
  auto again = c.Post("/charges", charge_body("order-1", 1250), "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(json::parse(again->body)["charge_id"], json::parse(first->body)["charge_id"]);
  auto other = c.Post("/charges", charge_body("order-1", 999), "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 409);
  EXPECT_EQ(ledger_count(c), 1);
  auto found = c.Get("/charges/order-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, 200);
  EXPECT_EQ(c.Get("/charges/order-2")->status, 404);
}

// Rule (validation): malformed charges get 400 with a message and record nothing.
TEST(PaymentGateway, MalformedChargesAre400AndRecordNothing) {
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {});
  auto c = gw.client();
  for (const std::string& body : {std::string("not json"), charge_body("k", 0),
                                  charge_body("k", -5), json{{"order_id", "x"}}.dump()}) {
    auto r = c.Post("/charges", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_TRUE(json::parse(r->body).contains("message")) << r->body;
  }
  EXPECT_EQ(ledger_count(c), 0);
}

// Rule (decline): a declined card is answered 402 and recorded as declined.
TEST(PaymentGateway, DeclinedCardsAre402AndRecorded) {
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {});
  auto c = gw.client();
  auto r = c.Post("/charges", charge_body("order-9", 100, "tok_declined_insufficient"),
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 402);
  EXPECT_EQ(json::parse(c.Get("/ledger")->body)["charges"][0]["status"], "declined");
}

// Rule (failure rate): a failed request is 503 and records nothing.
TEST(PaymentGateway, FailuresAre503AndRecordNothing) {
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {"--failure-rate", "1"});
  auto c = gw.client();
  auto r = c.Post("/charges", charge_body("order-2", 100), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(ledger_count(c), 0);
}

// Rule (lost reply): the charge is recorded but the reply says 503; retrying
// with the same key never charges twice.
TEST(PaymentGateway, LostRepliesRecordTheChargeOnce) {
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {"--lost-reply-rate", "1"});
  auto c = gw.client();
  for (int i = 0; i < 3; ++i) {
    auto r = c.Post("/charges", charge_body("order-3", 700), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
  }
  EXPECT_EQ(ledger_count(c), 1);
  EXPECT_EQ(c.Get("/charges/order-3")->status, 200);
}

// Rule (outage): during an outage every charge is 503 and nothing is recorded.
TEST(PaymentGateway, AdminOutageRefusesChargesForItsDuration) {
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {"--admin"});
  auto c = gw.client();
  auto o = c.Post("/admin/outage", R"({"duration_ms": 600000})", "application/json");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, 200);
  auto r = c.Post("/charges", charge_body("order-4", 100), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["error"], "outage");
  EXPECT_EQ(ledger_count(c), 0);
  EXPECT_EQ(c.Post("/admin/outage", "{}", "application/json")->status, 400);
  for (const char* body :
       {R"({"duration_ms": 1e308})", R"({"duration_ms": -1})", R"({"duration_ms": 3600001})",
        R"({"duration_ms": 18446744073709551615})"})
    EXPECT_EQ(c.Post("/admin/outage", body, "application/json")->status, 400) << body;
}

// Rule (admin): without --admin there is no /admin route.
TEST(PaymentGateway, AdminRoutesAreOffByDefault) {
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {});
  auto c = gw.client();
  auto o = c.Post("/admin/outage", R"({"duration_ms": 1000})", "application/json");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, 404);
  EXPECT_EQ(c.Post("/charges", charge_body("order-5", 100), "application/json")->status, 201);
}

// Rule (durability): a gateway killed with SIGKILL and started again on the
// same ledger file keeps every charge it answered for: their keys replay,
// and charge ids are never reused.
TEST(PaymentGateway, AKilledGatewayKeepsItsLedger) {
  char dir_template[] = "/tmp/otp_ledger_XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string file = dir + "/ledger.db";
  std::string first_id;
  {
    order_system::child_process gw(OTP_PAYMENT_GATEWAY, {"--ledger", file});
    auto c = gw.client();
    auto r = c.Post("/charges", charge_body("order-1", 1250), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201);
    first_id = json::parse(r->body)["charge_id"];
    kill(gw.os_pid(), SIGKILL);
    const auto status = gw.wait_exit(std::chrono::seconds(10));
    ASSERT_TRUE(status && WIFSIGNALED(*status));
  }
  order_system::child_process gw(OTP_PAYMENT_GATEWAY, {"--ledger", file});
  auto c = gw.client();
  auto again = c.Post("/charges", charge_body("order-1", 1250), "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(json::parse(again->body)["charge_id"], first_id);
  auto other = c.Post("/charges", charge_body("order-2", 300), "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 201);
  EXPECT_NE(json::parse(other->body)["charge_id"], first_id);
  EXPECT_EQ(ledger_count(c), 2);
  std::filesystem::remove_all(dir);
}

// Rule (no orphans): a server started by child_process stops by itself when
// the process that started it dies without stopping it (here: _exit, as a
// crash or a sanitizer abort would), so it cannot outlive a failed test.
TEST(PaymentGateway, StopsWhenTheProcessThatStartedItDies) {
  // Orphans are re-parented to this process, so it can reap the gateway.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t starter = fork();
  ASSERT_GE(starter, 0);
  if (starter == 0) {
    close(fds[0]);
    order_system::child_process gw(OTP_PAYMENT_GATEWAY, {});
    const pid_t pid = gw.os_pid();
    const bool sent = write(fds[1], &pid, sizeof pid) == static_cast<ssize_t>(sizeof pid);
    _exit(sent ? 0 : 1);  // no destructors: the gateway is not stopped
  }
  close(fds[1]);
  pid_t gateway = -1;
  ASSERT_EQ(read(fds[0], &gateway, sizeof gateway), static_cast<ssize_t>(sizeof gateway));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(starter, &status, 0), starter);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // It is this process's child now; it gets SIGTERM from itself and stops
  // cleanly. Wait for its exit on a pidfd, 30 s at most.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, gateway, 0));
  ASSERT_GE(pidfd, 0);
  pollfd pfd{pidfd, POLLIN, 0};
  const int ready = poll(&pfd, 1, 30'000);
  close(pidfd);
  if (ready != 1) kill(gateway, SIGKILL);
  const pid_t reaped = waitpid(gateway, &status, 0);
  EXPECT_EQ(ready, 1) << "the gateway outlived the process that started it";
  ASSERT_EQ(reaped, gateway);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace

// The observer's page in a real headless Chromium (through chromedriver),
// over the order system's real supervision tree: the tree shows the
// service's children, and a kill clicked on the page restarts the payment
// service. Saves a screenshot: to docs/images/observer.png when
// OTP_UPDATE_SCREENSHOT=1, else to the build directory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "integration/service_fixture.hpp"
#include "otp/tools/observer.hpp"
#include "support/webdriver.hpp"

namespace {

using otp_test::service_under_test;
using otp_test::webdriver;
using namespace std::chrono_literals;

/// The script expression for the text of `part` in the tree row of child `id`.
std::string obs_page_cell(const std::string& id, const std::string& part) {
  return "document.querySelector('#tree [data-id=\"" + id + "\"] " + part + "').textContent";
}

// Rule: the page shows the live tree, and a kill clicked on it restarts the
// child: a new pid, a restart count that went up, a report in the feed.
TEST(ObserverPage, KillingThePaymentServiceFromThePageRestartsIt) {
  if (!otp_test::browser_installed()) GTEST_SKIP() << "no /usr/bin/chromium or chromedriver";
  service_under_test svc({.reports_to_logger = true});
  otp::observer obs(svc.node(), {.allow_actions = true});
  for (int i = 0; i < 20; ++i)  // some load for the charts and the process table
    (void)svc.post(service_under_test::order_body({{"widget", 1}}));

  webdriver browser;
  browser.navigate(obs.url());
  // Every child of the root and of "services" appears, each with a pid.
  for (const char* id : {"table_keeper_a", "repo", "services", "inventory", "payment",
                         "notifications", "orders", "reconciler", "rate_limiter", "endpoint"})
    EXPECT_FALSE(browser.wait_for(obs_page_cell(id, ".pid"), 10s).is_null()) << id;
  const std::string old_pid = browser.wait_for(obs_page_cell("payment", ".pid"), 10s);
  ASSERT_EQ(old_pid, otp::whereis("payment").to_string());
  EXPECT_EQ(browser.execute("return " + obs_page_cell("payment", ".restarts") + ";"), "");

  // Two clicks: "kill", then "confirm kill". The page redraws the tree at
  // each refresh, so a click may miss a button just replaced: try again
  // until the deadline.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  const std::string kill_button = "#tree [data-id=\"payment\"] button.kill";
  bool armed = false;
  while (!armed && std::chrono::steady_clock::now() < deadline)
    armed = browser.click(kill_button) &&
            !browser.wait_for("document.querySelector('" + kill_button + ".armed')", 2s).is_null();
  ASSERT_TRUE(armed);
  bool sent = false;
  while (!sent && std::chrono::steady_clock::now() < deadline)
    sent = browser.click(kill_button + ".armed");
  ASSERT_TRUE(sent);

  // A new pid and one restart more, shown by the page's own refresh.
  const auto restarted =
      browser.wait_for(obs_page_cell("payment", ".restarts") + " === '\u21bb 1' && " +
                           obs_page_cell("payment", ".pid") + ".startsWith('<') && " +
                           obs_page_cell("payment", ".pid") + " !== '" + old_pid + "'",
                       15s);
  ASSERT_FALSE(restarted.is_null())
      << browser
             .execute(
                 "return document.getElementById('status').textContent + ' | ' + "
                 "document.getElementById('tree').innerText;")
             .dump();
  const std::string new_pid = browser.execute("return " + obs_page_cell("payment", ".pid") + ";");
  EXPECT_NE(new_pid, old_pid);
  EXPECT_EQ(new_pid, otp::whereis("payment").to_string());
  EXPECT_FALSE(browser.wait_for("document.querySelector('#crashes .crash')", 10s).is_null());

  // The charts have a few samples, then the picture.
  EXPECT_FALSE(browser.wait_for("document.getElementById('hist-span').textContent", 10s).is_null());
  browser.execute("document.getElementById('tree').scrollLeft = 0; window.scrollTo(0, 0);");
  const char* update = std::getenv("OTP_UPDATE_SCREENSHOT");
  const std::string dir =
      update != nullptr && std::string(update) == "1" ? OTP_DOCS_IMAGES : OTP_TEST_BINARY_DIR;
  std::filesystem::create_directories(dir);
  std::ofstream(dir + std::string("/observer.png"), std::ios::binary) << browser.screenshot_png();
}

}  // namespace

// The application environment: get_env / fetch_env / put_env / get_all_env,
// user types through from_json, and change_config's config_change calls.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

namespace shop {
struct repo_config {
  std::string path;
  int pool_size = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(repo_config, path, pool_size)
}  // namespace shop

namespace {

otp::application_spec shop_spec() {
  otp::application_spec s;
  s.name = "shop";
  s.version = "1.0";
  s.env = {{"port", 8080}, {"repo", {{"path", "shop.db"}, {"pool_size", 4}}}};
  return s;
}

class AppEnv : public ::testing::Test {
 protected:
  otp::node n{otp_test::quiet_manual()};
  otp::mailbox mb{n};
};

// Rule: a loaded application's defaults are its environment; get_env reads
// them as the type asked for, a user struct included.
TEST_F(AppEnv, DefaultsAreReadIntoTypes) {
  ASSERT_TRUE(otp::application::load(n, shop_spec()));
  EXPECT_EQ(otp::get_env<int>("shop", "port"), 8080);
  EXPECT_EQ(otp::get_env<int>(n, "shop", "missing"), std::nullopt);
  EXPECT_EQ(otp::get_env<int>("shop", "missing", 7), 7);
  auto repo = otp::fetch_env<shop::repo_config>("shop", "repo");
  EXPECT_EQ(repo.path, "shop.db");
  EXPECT_EQ(repo.pool_size, 4);
  EXPECT_EQ(otp::get_all_env("shop"), shop_spec().env);
}

// Rule: a value put before the load wins over the default (OTP keeps
// configured values and loads the defaults under them).
TEST_F(AppEnv, PutEnvBeforeLoadWinsOverDefault) {
  otp::put_env(n, "shop", "port", 9090);
  ASSERT_TRUE(otp::application::load(n, shop_spec()));
  EXPECT_EQ(otp::get_env<int>("shop", "port"), 9090);
  otp::put_env("shop", "port", 1);
  EXPECT_EQ(otp::get_env<int>("shop", "port"), 1);
  otp::unset_env("shop", "port");
  EXPECT_EQ(otp::get_env<int>("shop", "port"), std::nullopt);
}

// Rule: fetch_env names the application, the key and the type expected
// when the key is missing or of another type; get_env throws the same for a
// wrong type.
TEST_F(AppEnv, FetchEnvErrorsNameAppKeyAndType) {
  ASSERT_TRUE(otp::application::load(n, shop_spec()));
  try {
    (void)otp::fetch_env<int>("shop", "nope");
    FAIL() << "no throw";
  } catch (const otp::env_error& e) {
    EXPECT_STREQ(e.what(), "application shop: key nope: not set (expected int)");
  }
  try {
    (void)otp::fetch_env<std::string>("shop", "port");
    FAIL() << "no throw";
  } catch (const otp::env_error& e) {
    EXPECT_NE(std::string(e.what()).find("application shop: key port: expected std::"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("got 8080"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)otp::get_env<shop::repo_config>("shop", "port"), otp::env_error);
}

// Rule: change_config replaces the environment and calls config_change on
// the running application with the changed, new and removed keys.
TEST_F(AppEnv, ChangeConfigCallsConfigChangeWithTheDifference) {
  otp::application_spec s = shop_spec();
  std::vector<otp::config_changes> seen;
  s.config_change = [&](const otp::config_changes& c) { seen.push_back(c); };
  ASSERT_TRUE(otp::application::load(n, s));
  otp::application::change_config(n, {{"shop", {{"port", 1}}}});
  EXPECT_TRUE(seen.empty()) << "loaded, not running: no call";
  ASSERT_TRUE(otp::application::start("shop").get());
  otp::application::change_config(n, {{"shop", {{"port", 2}, {"mode", "fast"}}}});
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].changed, nlohmann::json({{"port", 2}}));
  EXPECT_EQ(seen[0].added, nlohmann::json({{"mode", "fast"}}));
  EXPECT_TRUE(seen[0].removed.empty());
  otp::application::change_config(n, {{"shop", {{"port", 2}}}});
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[1].removed, std::vector<std::string>{"mode"});
  otp::application::change_config(n, {{"shop", {{"port", 2}}}});
  EXPECT_EQ(seen.size(), 2U) << "no change: no call";
  EXPECT_EQ(otp::get_env<int>("shop", "port"), 2);
}

// Rule: load refuses an invalid name and a different application under a
// loaded name; unload refuses a running application.
TEST_F(AppEnv, LoadAndUnloadErrors) {
  otp::application_spec bad = shop_spec();
  bad.name = "Shop-1";
  EXPECT_EQ(otp::application::load(n, bad).error, otp::application_error::bad_application);
  ASSERT_TRUE(otp::application::load(n, shop_spec()));
  EXPECT_TRUE(otp::application::load(n, shop_spec())) << "the same again is ok";
  otp::application_spec other = shop_spec();
  other.version = "2.0";
  EXPECT_EQ(otp::application::load(n, other).error, otp::application_error::bad_application);
  ASSERT_TRUE(otp::application::start("shop").get());
  EXPECT_EQ(otp::application::unload(n, "shop").error, otp::application_error::running);
  ASSERT_TRUE(otp::application::stop("shop").get());
  EXPECT_TRUE(otp::application::unload(n, "shop"));
  EXPECT_TRUE(otp::application::loaded_applications(n).empty());
  EXPECT_EQ(otp::get_env<int>(n, "shop", "port"), std::nullopt);
}

}  // namespace

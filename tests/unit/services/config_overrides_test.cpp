// The sources above the file: OTP__ environment variables and --set flags.
#include <gtest/gtest.h>
#include <stdlib.h>  // setenv, unsetenv

#include <algorithm>
#include <string>

#include "otp/services/config.hpp"
#include "support/config_files.hpp"

using nlohmann::json;
using otp::config::origin;
using otp_test::load_error;
using otp_test::order_system_schema;

namespace {

json env_with(const otp::config::sources& s, bool declared = false) {
  return otp::config::env_of(otp::config::load({order_system_schema(declared)}, s), "order_system");
}

// Rule (value text): a variable's value is read as a TOML value, else as a string.
TEST(ConfigEnvironment, ValuesAreTomlValuesOrPlainStrings) {
  const auto env = env_with({.environment = {{"OTP__ORDER_SYSTEM__PORT", "8080"},
                                             {"OTP__ORDER_SYSTEM__TAGS", "[1, 2]"},
                                             {"OTP__ORDER_SYSTEM__FLAG", "true"},
                                             {"OTP__ORDER_SYSTEM__QUOTED", "\"42\""},
                                             {"OTP__ORDER_SYSTEM__HOST", "db.local:5432"},
                                             {"OTP__ORDER_SYSTEM__EMPTY", ""}}});
  EXPECT_EQ(env.at("port"), 8080);
  EXPECT_EQ(env.at("tags"), json({1, 2}));
  EXPECT_EQ(env.at("flag"), true);
  EXPECT_EQ(env.at("quoted"), "42");
  EXPECT_EQ(env.at("host"), "db.local:5432");
  EXPECT_EQ(env.at("empty"), "");
}

// Rule: a value is one TOML value; text that would add keys is a plain string.
TEST(ConfigEnvironment, TextThatIsMoreThanOneValueIsAString) {
  const auto env = env_with({.environment = {{"OTP__ORDER_SYSTEM__NOTE", "1\nport = 2"}}});
  EXPECT_EQ(env.at("note"), "1\nport = 2");
  EXPECT_EQ(env.at("port"), 4000);
}

// Rule (names): only OTP__ names are read; app and keys are matched ignoring
// case, keys against the defaults' spelling, at every level.
TEST(ConfigEnvironment, NamesMapToDefaultKeysIgnoringCase) {
  const otp::config::app_schema s{.name = "web",
                                  .defaults = {{"maxConn", 1}, {"tls", {{"certFile", "a"}}}}};
  const auto set = otp::config::load({s}, {.environment = {{"OTP__WEB__MAXCONN", "5"},
                                                           {"OTP__WEB__TLS__CERTFILE", "b.pem"},
                                                           {"OTP__WEB__NEW__DEEP_KEY", "1"},
                                                           {"OTP_WEB__MAXCONN", "7"},
                                                           {"PATH", "/bin"}}});
  EXPECT_EQ(otp::config::env_of(set, "web"),
            json::parse(R"({"maxConn": 5, "tls": {"certFile": "b.pem"}, "new": {"deep_key": 1}})"));
  EXPECT_EQ(set.at("web").at("tls").origin_of("/certFile"),
            (origin{origin::kind::environment, "OTP__WEB__TLS__CERTFILE"}));
}

// Rule (nesting): a nested key's variable merges into the table; variables
// apply in name order, so a table's variable comes before its keys'.
TEST(ConfigEnvironment, NestedVariablesMergeAfterTheTablesVariable) {
  const auto env =
      env_with({.environment = {{"OTP__ORDER_SYSTEM__REPO__POOL_SIZE", "8"},
                                {"OTP__ORDER_SYSTEM__REPO", "{pool_size = 2, url = \"x\"}"}}});
  EXPECT_EQ(env.at("repo"), json({{"pool_size", 8}, {"url", "x"}}));
}

// Rule (typo protection): an OTP__ variable for an unknown application is an error.
TEST(ConfigEnvironment, UnknownApplicationIsAnError) {
  EXPECT_EQ(
      load_error({order_system_schema()}, {.environment = {{"OTP__ORDER_SYTSEM__PORT", "1"}}}),
      "OTP__ORDER_SYTSEM__PORT: unknown application 'order_sytsem' (known: logger, order_system)");
}

// Rule: errors name the variable.
TEST(ConfigEnvironment, ErrorsNameTheVariable) {
  const auto known = std::vector{order_system_schema(true)};
  EXPECT_EQ(load_error(known, {.environment = {{"OTP__ORDER_SYSTEM__PORT", "http"}}}),
            "OTP__ORDER_SYSTEM__PORT: order_system.port: expected an integer, got a string");
  EXPECT_EQ(load_error(known, {.environment = {{"OTP__ORDER_SYSTEM", "1"}}}),
            "OTP__ORDER_SYSTEM: expected OTP__<APP>__<KEY>[__<SUBKEY>...]: no key");
  EXPECT_EQ(load_error(known, {.environment = {{"OTP__ORDER_SYSTEM____PORT", "1"}}}),
            "OTP__ORDER_SYSTEM____PORT: expected OTP__<APP>__<KEY>[__<SUBKEY>...]: an empty name");
  EXPECT_EQ(load_error(known, {.environment = {{"OTP__ORDER_SYSTEM__PROT", "1"}}}),
            "OTP__ORDER_SYSTEM__PROT: unknown key 'prot' of application 'order_system' "
            "(its keys: extra, port, repo, tags, timeout_s)");
}

// Rule: process_environment reads environ, keeping only OTP__ names.
TEST(ConfigEnvironment, ProcessEnvironmentKeepsOnlyOtpVariables) {
  ASSERT_EQ(::setenv("OTP__CONFIG_TEST__K", "v=1", 1), 0);
  const auto vars = otp::config::process_environment();
  ::unsetenv("OTP__CONFIG_TEST__K");
  EXPECT_NE(std::find(vars.begin(), vars.end(),
                      std::pair<std::string, std::string>{"OTP__CONFIG_TEST__K", "v=1"}),
            vars.end());
  for (const auto& [name, value] : vars) EXPECT_TRUE(name.starts_with("OTP__")) << name;
}

// Rule (precedence): --set beats the environment; a later --set beats an earlier one.
TEST(ConfigSet, LaterFlagsWinOverEarlierFlagsAndTheEnvironment) {
  const auto set = otp::config::load(
      {order_system_schema()},
      {.environment = {{"OTP__ORDER_SYSTEM__PORT", "1"}},
       .sets = {"order_system.port=2", "order_system.port=3", "order_system.repo.pool_size=9"}});
  const auto& env = set.at("order_system");
  EXPECT_EQ(env.at("port").value, 3);
  EXPECT_EQ(env.at("port").from, (origin{origin::kind::command_line, "--set order_system.port=3"}));
  EXPECT_EQ(env.at("repo").value, json({{"pool_size", 9}, {"url", "sqlite:orders.db"}}));
  EXPECT_EQ(env.at("repo").origin_of("/url"), origin{});
}

// Rule: a flag's value is read like a variable's; text after the first '=' is the value.
TEST(ConfigSet, ValuesAreTomlValuesOrPlainStrings) {
  const auto env = env_with({.sets = {"order_system.tags=[\"x\"]", "order_system.note=a=b c"}});
  EXPECT_EQ(env.at("tags"), json({"x"}));
  EXPECT_EQ(env.at("note"), "a=b c");
}

// Rule: errors name the flag.
TEST(ConfigSet, ErrorsNameTheFlag) {
  const auto known = std::vector{order_system_schema(true)};
  EXPECT_EQ(load_error(known, {.sets = {"order_system.port"}}),
            "--set order_system.port: expected app.key=value: no '='");
  EXPECT_EQ(load_error(known, {.sets = {"order_system=1"}}),
            "--set order_system=1: expected app.key=value: no key");
  EXPECT_EQ(load_error(known, {.sets = {"order_system..port=1"}}),
            "--set order_system..port=1: expected app.key=value: an empty name");
  EXPECT_EQ(load_error(known, {.sets = {"shop.port=1"}}),
            "--set shop.port=1: unknown application 'shop' (known: logger, order_system)");
  EXPECT_EQ(load_error(known, {.sets = {"order_system.prot=1"}}),
            "--set order_system.prot=1: unknown key 'prot' of application 'order_system' "
            "(its keys: extra, port, repo, tags, timeout_s)");
  EXPECT_EQ(load_error(known, {.sets = {"order_system.repo.pool_size=many"}}),
            "--set order_system.repo.pool_size=many: order_system.repo.pool_size: expected an "
            "integer, got a string");
  // A line break in the flag is written \n: the message stays one line.
  EXPECT_EQ(load_error(known, {.sets = {"order_system.port=a\nb"}}),
            "--set order_system.port=a\\nb: order_system.port: expected an integer, got a string");
}

}  // namespace

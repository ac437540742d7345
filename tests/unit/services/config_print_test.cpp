#include <gtest/gtest.h>

#include <string>

#include "otp/services/config.hpp"
#include "support/config_files.hpp"

using nlohmann::json;
using otp_test::config_dir;
using otp_test::order_system_schema;

namespace {

// Rule: one [app] block per application in name order, one line per leaf in
// key order, tables flattened to dotted keys, each with its origin.
TEST(ConfigPrint, ShowsEachLeafWithItsOrigin) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system]\nport = 8080\n");
  const auto set = otp::config::load(
      {order_system_schema()}, {.file = file,
                                .environment = {{"OTP__ORDER_SYSTEM__REPO__URL", "sqlite:x.db"}},
                                .sets = {"logger.level=\"debug\""}});
  EXPECT_EQ(otp::config::print(set),
            "[logger]\n"
            "level = \"debug\"  # --set logger.level=\"debug\"\n"
            "\n"
            "[order_system]\n"
            "# extra = null  # default\n"
            "port = 8080  # " +
                file.string() +
                ":2:8\n"
                "repo.pool_size = 4  # default\n"
                "repo.url = \"sqlite:x.db\"  # OTP__ORDER_SYSTEM__REPO__URL\n"
                "tags = [\"a\", \"b\"]  # default\n"
                "timeout_s = 1.5  # default\n");
}

// Rule: values are written as TOML writes them; keys that are not bare are quoted.
TEST(ConfigPrint, WritesTomlValuesAndQuotesKeys) {
  const otp::config::app_schema s{
      .name = "web",
      .defaults = {{"a.b", 1},
                   {"f", 2.0},
                   {"s", "line\n\"q\""},
                   {"list", json::parse(R"([{"x": 1, "y key": [true]}, {}])")},
                   {"empty", json::object()}}};
  auto set = otp::config::load({s}, {});
  set.erase("logger");
  EXPECT_EQ(otp::config::print(set),
            "[web]\n"
            "\"a.b\" = 1  # default\n"
            "empty = {}  # default\n"
            "f = 2.0  # default\n"
            "list = [{ x = 1, \"y key\" = [true] }, {}]  # default\n"
            "s = \"line\\n\\\"q\\\"\"  # default\n");
}

// Rule: what print shows, read back as a config file, is the same configuration.
TEST(ConfigPrint, OutputReadBackGivesTheSameValues) {
  config_dir dir;
  const auto first = otp::config::load(
      {order_system_schema()},
      {.sets = {"order_system.extra={ k = [1, 2.5, \"s\"] }", "order_system.repo.pool_size=7",
                "order_system.when=1979-05-27T07:32:00Z"}});
  const auto again = otp::config::load(
      {order_system_schema()}, {.file = dir.write("printed.toml", otp::config::print(first))});
  EXPECT_EQ(otp::config::env_of(again, "order_system"), otp::config::env_of(first, "order_system"));
}

}  // namespace

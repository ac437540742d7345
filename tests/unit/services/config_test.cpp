#include "otp/services/config.hpp"

#include <gtest/gtest.h>

#include <string>

#include "otp/runtime/errors.hpp"
#include "support/config_files.hpp"

using nlohmann::json;
using otp::config::origin;
using otp_test::config_dir;
using otp_test::load_error;
using otp_test::order_system_schema;

namespace {

using origin_kind = origin::kind;

// Rule (defaults): with no sources, each application's environment is its
// defaults, and `logger` is there too, empty.
TEST(ConfigLoad, WithoutSourcesEachApplicationHasItsDefaults) {
  const auto set = otp::config::load({order_system_schema()}, {});
  EXPECT_EQ(otp::config::env_of(set, "order_system"), order_system_schema().defaults);
  EXPECT_EQ(set.at("order_system").at("port").from, origin{});
  EXPECT_EQ(otp::config::env_of(set, "logger"), json::object());
}

// Rule (precedence): defaults < file < environment < --set, key by key.
TEST(ConfigLoad, EachSourceOverridesTheOnesBelowIt) {
  config_dir dir;
  const auto file = dir.write("app.toml",
                              "[order_system]\n"
                              "port = 5000\n"
                              "timeout_s = 2.5\n"
                              "extra = \"file\"\n");
  const auto set = otp::config::load({order_system_schema()},
                                     {.file = file,
                                      .environment = {{"OTP__ORDER_SYSTEM__TIMEOUT_S", "3.5"},
                                                      {"OTP__ORDER_SYSTEM__PORT", "6000"}},
                                      .sets = {"order_system.port=7000"}});
  const auto& env = set.at("order_system");
  EXPECT_EQ(env.at("tags").value, json({"a", "b"}));
  EXPECT_EQ(env.at("tags").from.from, origin_kind::defaults);
  EXPECT_EQ(env.at("extra").value, "file");
  EXPECT_EQ(env.at("extra").from, (origin{origin_kind::file, file.string() + ":4:9"}));
  EXPECT_EQ(env.at("timeout_s").value, 3.5);
  EXPECT_EQ(env.at("timeout_s").from,
            (origin{origin_kind::environment, "OTP__ORDER_SYSTEM__TIMEOUT_S"}));
  EXPECT_EQ(env.at("port").value, 7000);
  EXPECT_EQ(env.at("port").from,
            (origin{origin_kind::command_line, "--set order_system.port=7000"}));
}

// Rule (merging): tables merge key by key, each leaf keeping its origin;
// arrays are replaced whole.
TEST(ConfigLoad, TablesMergeKeyByKeyAndArraysAreReplaced) {
  config_dir dir;
  const auto file = dir.write("app.toml",
                              "[order_system]\n"
                              "tags = [\"z\"]\n"
                              "[order_system.repo]\n"
                              "url = \"sqlite:other.db\"\n");
  const auto set = otp::config::load({order_system_schema()}, {.file = file});
  const auto& repo = set.at("order_system").at("repo");
  EXPECT_EQ(repo.value, json({{"pool_size", 4}, {"url", "sqlite:other.db"}}));
  EXPECT_EQ(repo.origin_of("/pool_size"), origin{});
  EXPECT_EQ(repo.origin_of("/url"), (origin{origin_kind::file, file.string() + ":4:7"}));
  EXPECT_EQ(set.at("order_system").at("tags").value, json({"z"}));
}

// Rule (TOML -> JSON): integers, floats, booleans, strings, arrays, tables;
// dates and times become RFC 3339 strings.
TEST(ConfigLoad, TomlValuesBecomeJsonValues) {
  config_dir dir;
  const auto file = dir.write("app.toml",
                              "[order_system]\n"
                              "i = -12\n"
                              "f = 0.25\n"
                              "b = true\n"
                              "s = \"text\"\n"
                              "a = [1, \"two\", [3]]\n"
                              "t = { x = 1, y = { z = false } }\n"
                              "d = 1979-05-27\n"
                              "tm = 07:32:00.5\n"
                              "odt = 1979-05-27T07:32:00-08:00\n"
                              "utc = 1979-05-27T07:32:00Z\n"
                              "ldt = 1979-05-27T07:32:00\n"
                              "[[order_system.servers]]\n"
                              "host = \"a\"\n"
                              "[[order_system.servers]]\n"
                              "host = \"b\"\n");
  const auto env = otp::config::env_of(
      otp::config::load({{.name = "order_system"}}, {.file = file}), "order_system");
  EXPECT_EQ(env.at("i"), -12);
  EXPECT_TRUE(env.at("f").is_number_float());
  EXPECT_EQ(env.at("f"), 0.25);
  EXPECT_EQ(env.at("b"), true);
  EXPECT_EQ(env.at("s"), "text");
  EXPECT_EQ(env.at("a"), json::parse(R"([1, "two", [3]])"));
  EXPECT_EQ(env.at("t"), json::parse(R"({"x": 1, "y": {"z": false}})"));
  EXPECT_EQ(env.at("d"), "1979-05-27");
  EXPECT_EQ(env.at("tm"), "07:32:00.5");
  EXPECT_EQ(env.at("odt"), "1979-05-27T07:32:00-08:00");
  EXPECT_EQ(env.at("utc"), "1979-05-27T07:32:00Z");
  EXPECT_EQ(env.at("ldt"), "1979-05-27T07:32:00");
  EXPECT_EQ(env.at("servers"), json::parse(R"([{"host": "a"}, {"host": "b"}])"));
}

// Rule (types): an integer is accepted where the default is a float, and
// stored as a float; a null default accepts anything.
TEST(ConfigLoad, IntegerForAFloatBecomesAFloatAndNullAcceptsAnything) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system]\ntimeout_s = 3\nextra = [1]\n");
  const auto env = otp::config::env_of(otp::config::load({order_system_schema()}, {.file = file}),
                                       "order_system");
  EXPECT_TRUE(env.at("timeout_s").is_number_float());
  EXPECT_EQ(env.at("timeout_s"), 3.0);
  EXPECT_EQ(env.at("extra"), json({1}));
}

// Rule (logger): a [logger] table is always accepted and passed through.
TEST(ConfigLoad, LoggerTableIsPassedThrough) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[logger]\nlevel = \"debug\"\n");
  const auto set = otp::config::load({order_system_schema()}, {.file = file});
  EXPECT_EQ(otp::config::env_of(set, "logger"), json({{"level", "debug"}}));
}

// Rule (logger): a schema named logger replaces the implicit one.
TEST(ConfigLoad, LoggerSchemaGivenByTheCallerIsUsed) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[logger]\nlevle = \"debug\"\n");
  const otp::config::app_schema logger{
      .name = "logger", .defaults = {{"level", "info"}}, .declared_keys_only = true};
  EXPECT_EQ(load_error({logger}, {.file = file}),
            file.string() + ":2:1: unknown key 'levle' of application 'logger' (its keys: level)");
}

// Rule (open schemas): without declared_keys_only a key without a default is kept.
TEST(ConfigLoad, KeysWithoutDefaultsAreKeptUnlessKeysAreDeclared) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system]\nnew_key = 1\n");
  const auto env = otp::config::env_of(otp::config::load({order_system_schema()}, {.file = file}),
                                       "order_system");
  EXPECT_EQ(env.at("new_key"), 1);
}

// --- errors: one line, naming the place ---------------------------------------

// Rule: a syntax error is FILE:LINE:COLUMN and the parser's description, on one line.
TEST(ConfigLoadErrors, SyntaxErrorNamesFileLineAndColumn) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system]\nport = 80 80\n");
  try {
    (void)otp::config::load({order_system_schema()}, {.file = file});
    FAIL() << "no error";
  } catch (const otp::config::config_error& e) {
    EXPECT_EQ(e.where(), file.string() + ":2:11");
    EXPECT_FALSE(e.message().empty());
    EXPECT_EQ(std::string(e.what()), e.where() + ": " + e.message());
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

// Rule: a value of another type than its default's is an error at the value.
TEST(ConfigLoadErrors, WrongTypeNamesTheValuesPosition) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system]\n\n\nport = \"8080\"\n");
  EXPECT_EQ(load_error({order_system_schema()}, {.file = file}),
            file.string() + ":4:8: order_system.port: expected an integer, got a string");
}

// Rule: types are checked at every depth of a table.
TEST(ConfigLoadErrors, WrongTypeInsideATableNamesTheNestedKey) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system.repo]\npool_size = true\n");
  EXPECT_EQ(
      load_error({order_system_schema()}, {.file = file}),
      file.string() + ":2:13: order_system.repo.pool_size: expected an integer, got a boolean");
  const auto flat = dir.write("flat.toml", "[order_system]\nrepo = 3\n");
  EXPECT_EQ(load_error({order_system_schema()}, {.file = flat}),
            flat.string() + ":2:8: order_system.repo: expected a table, got an integer");
}

// Rule: a table naming no known application is an error (logger is always known).
TEST(ConfigLoadErrors, UnknownApplicationIsAnError) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system]\nport = 1\n\n[shop]\nport = 2\n");
  EXPECT_EQ(load_error({order_system_schema()}, {.file = file}),
            file.string() + ":4:2: unknown application 'shop' (known: logger, order_system)");
}

// Rule: a key outside any application table is an error.
TEST(ConfigLoadErrors, KeyOutsideAnApplicationTableIsAnError) {
  config_dir dir;
  const auto file = dir.write("app.toml", "port = 1\n[order_system]\n");
  EXPECT_EQ(load_error({order_system_schema()}, {.file = file}),
            file.string() + ":1:1: key 'port' is outside any application table");
}

// Rule: with declared_keys_only, a key without a default is an error at the key.
TEST(ConfigLoadErrors, UndeclaredKeyIsAnErrorWhenKeysAreDeclared) {
  config_dir dir;
  const auto file = dir.write("app.toml", "[order_system]\n  portt = 1\n");
  EXPECT_EQ(load_error({order_system_schema(true)}, {.file = file}),
            file.string() +
                ":2:3: unknown key 'portt' of application 'order_system' "
                "(its keys: extra, port, repo, tags, timeout_s)");
}

// Rule: a file that cannot be read is FILE: cannot read: <reason>.
TEST(ConfigLoadErrors, UnreadableFileSaysWhy) {
  config_dir dir;
  const auto missing = dir.path() / "missing.toml";
  EXPECT_EQ(load_error({}, {.file = missing}),
            missing.string() + ": cannot read: No such file or directory");
  EXPECT_EQ(load_error({}, {.file = dir.path()}),
            dir.path().string() + ": cannot read: Is a directory");
}

// Rule: schemas are the program's, not input: a bad one is otp::badarg.
TEST(ConfigLoadErrors, BadSchemasAreBadarg) {
  EXPECT_THROW((void)otp::config::load({{.name = "a"}, {.name = "a"}}, {}), otp::badarg);
  EXPECT_THROW((void)otp::config::load({{.name = "a", .defaults = 3}}, {}), otp::badarg);
  EXPECT_THROW((void)otp::config::env_of({}, "a"), otp::badarg);
}

}  // namespace

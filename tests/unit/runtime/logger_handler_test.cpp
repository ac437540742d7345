#include "otp/runtime/logger_handler.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/captured_log.hpp"

namespace {

namespace fs = std::filesystem;
using otp::log_level;

using LoggerHandler = otp_test::captured_log;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("otp_logger_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Rule (JSON lines): one object per event, with the standard fields and the
// caller's metadata, readable by any JSON parser.
TEST_F(LoggerHandler, JsonLinesParseAndCarryTheStandardFieldsAndMetadata) {
  const fs::path file = fresh_dir("json") / "events.jsonl";
  ASSERT_TRUE(otp::logger::add_handler("json", otp::logger::json_handler(file.string())));
  const unsigned line = __LINE__ + 1;
  otp::logger::warning({{"order", "42"}}, "low stock: {}", "tea");
  otp::logger::error("second \"quoted\"\nline");
  otp::logger::flush();
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 2u);
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "low stock: tea");
  EXPECT_EQ(j["order"], "42");
  EXPECT_EQ(j["line"], line);
  EXPECT_NE(j["file"].get<std::string>().find("logger_handler_test.cpp"), std::string::npos);
  EXPECT_TRUE(j["pid"].is_null());
  EXPECT_TRUE(j.contains("registered_name") && j.contains("application") && j.contains("logger"));
  EXPECT_EQ(j["time"].get<std::string>().back(), 'Z');
  EXPECT_EQ(nlohmann::json::parse(lines[1])["msg"], "second \"quoted\"\nline");
}

// Rule (logger_std_h max_no_bytes / max_no_files): the file rotates when
// full and keeps at most max_files old files.
TEST_F(LoggerHandler, TheFileHandlerRotatesAndKeepsAtMostMaxFiles) {
  const fs::path dir = fresh_dir("rotate");
  ASSERT_TRUE(otp::logger::add_handler(
      "file", otp::logger::file_handler((dir / "app.log").string(), 2000, 2),
      {.burst_limit_enable = false}));
  for (int i = 0; i < 200; ++i) otp::logger::error("line {} {}", i, std::string(60, 'x'));
  otp::logger::flush();
  EXPECT_TRUE(fs::exists(dir / "app.log"));
  EXPECT_TRUE(fs::exists(dir / "app.1.log"));
  EXPECT_TRUE(fs::exists(dir / "app.2.log"));
  EXPECT_FALSE(fs::exists(dir / "app.3.log"));
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_LE(fs::file_size(e.path()), 2000u);
  EXPECT_NE(lines_of(dir / "app.log").back().find("line 199"), std::string::npos);
}

// Rule (console format): one line with time, level, logger, file:line,
// message and key=value metadata (quoted when needed).
TEST(LoggerFormat, TheConsoleLineHasEveryPartOnOneLine) {
  const otp::logger::metadata_item md[] = {{"order", "42"}, {"note", "two words"}};
  otp::logger::log_event ev;
  ev.level = log_level::error;
  ev.logger = "shop";
  ev.message = "declined";
  ev.at = {"/src/pay.cpp", 12, "charge"};
  ev.application = "store";
  ev.metadata = md;
  const std::string line = otp::logger::format_console(ev);
  EXPECT_NE(line.find(" error [shop] (store) pay.cpp:12 declined order=42 note=\"two words\""),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

// Rule (configuration errors): a wrong key, type or level names its path,
// and the old configuration stays.
TEST_F(LoggerHandler, ConfigureErrorsNameTheKeyPathAndChangeNothing) {
  auto error_of = [](const char* text) -> std::string {
    try {
      otp::logger::configure(nlohmann::json::parse(text));
    } catch (const otp::logger::config_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(error_of(R"({"handlers": [{"id": "c", "type": "console"},
                       {"id": "f", "type": "file", "path": "x.log", "max_bytes": "big"}]})"),
            "logger.handlers[1].max_bytes: expected an unsigned integer, got \"big\"");
  EXPECT_EQ(error_of(R"({"level": "loud"})").rfind("logger.level: unknown log level \"loud\"", 0),
            0u);
  EXPECT_EQ(error_of(R"({"module_levels": {"a.b": 3}})"),
            "logger.module_levels.a.b: expected a string, got 3");
  EXPECT_EQ(error_of(R"({"colour": true})").rfind("logger.colour: unknown key", 0), 0u);
  EXPECT_EQ(error_of(R"({"handlers": [{"id": "c", "type": "syslog"}]})")
                .rfind("logger.handlers[0].type: unknown handler type \"syslog\"", 0),
            0u);
  EXPECT_EQ(
      error_of(R"({"handlers": [{"id": "c", "type": "console"}, {"id": "c", "type": "json"}]})"),
      "logger.handlers[1].id: duplicate handler id \"c\"");
  EXPECT_EQ(error_of(R"({"burst_limit_max_count": -1})"),
            "logger.burst_limit_max_count: expected an unsigned integer, got -1");
  // Nothing changed: still notice, still the capture handler.
  EXPECT_EQ(otp::logger::primary_level(), log_level::notice);
  otp::logger::notice("still captured");
  EXPECT_EQ(with_message("still captured").size(), 1u);
}

// Rule (configuration): levels, module levels and handlers apply together.
TEST_F(LoggerHandler, ConfigureSetsLevelsAndReplacesTheHandlers) {
  const fs::path file = fresh_dir("configure") / "x.jsonl";
  otp::logger::configure(
      {{"level", "warning"},
       {"module_levels", {{"order_system.payment", "debug"}}},
       {"burst_limit_max_count", 50},
       {"handlers",
        {{{"id", "json"}, {"type", "json"}, {"path", file.string()}, {"level", "info"}}}}});
  EXPECT_EQ(otp::logger::primary_level(), log_level::warning);
  EXPECT_TRUE(otp::logger::allows(log_level::debug, "order_system.payment"));
  EXPECT_EQ(otp::logger::handler_level("capture"), std::nullopt);  // replaced
  EXPECT_EQ(otp::logger::handler_level("json"), log_level::info);
  otp::logger::named("order_system.payment").debug("below the handler level");
  otp::logger::named("order_system.payment").info("kept");
  otp::logger::flush();
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["logger"], "order_system.payment");
}

}  // namespace

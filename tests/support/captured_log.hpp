// A fixture that captures every log event in memory: the logger's handlers
// are replaced by one capturing handler for the test, and the logger's
// default configuration is restored after it.
//
// | helper                   | what it does                                          |
// |--------------------------|-------------------------------------------------------|
// | captured_log (fixture)   | handlers -> one "capture" handler; defaults restored  |
// | captured                 | an owning copy of a log_event                         |
// | events() / with_message  | what was captured, oldest first / those with a text   |
// | reset_logger()           | the default configuration (notice, console "default") |
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"

namespace otp_test {

/// An owning copy of a log_event.
struct captured {
  otp::log_level level = otp::log_level::notice;
  std::string logger, message, registered_name, application, file, function, stacktrace;
  otp::pid process;
  unsigned line = 0;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::optional<otp::report::kind> report;

  explicit captured(const otp::logger::log_event& e)
      : level(e.level),
        logger(e.logger),
        message(e.message),
        registered_name(e.registered_name),
        application(e.application),
        file(e.at.file),
        function(e.at.function),
        stacktrace(e.stacktrace),
        process(e.process),
        line(e.at.line) {
    for (const auto& [k, v] : e.metadata) metadata.emplace_back(k, v);
    if (e.report != nullptr) report = e.report->what;
  }
  /// The metadata value of `key`, or "".
  std::string meta(const std::string& key) const {
    for (const auto& [k, v] : metadata)
      if (k == key) return v;
    return {};
  }
};

/// The logger's default configuration: primary level notice, no module
/// levels, one console handler "default".
inline void reset_logger() {
  otp::logger::configure(nlohmann::json::parse(R"({"level": "notice", "module_levels": {},
      "handlers": [{"id": "default", "type": "console"}]})"));
}

class captured_log : public ::testing::Test {
 protected:
  void SetUp() override {
    otp::logger::configure(nlohmann::json::parse(R"({"handlers": []})"));
    ASSERT_TRUE(otp::logger::add_handler("capture", capture_handler(state_)));
  }
  void TearDown() override { reset_logger(); }

  /// A handler appending to `s` (thread-safe).
  struct state {
    std::mutex m;
    std::vector<captured> events;
  };
  static std::shared_ptr<otp::logger::handler> capture_handler(std::shared_ptr<state> s) {
    return otp::logger::callback_handler([s](const otp::logger::log_event& e) {
      std::lock_guard lk(s->m);
      s->events.emplace_back(e);
    });
  }

  std::vector<captured> events() const {
    std::lock_guard lk(state_->m);
    return state_->events;
  }
  std::vector<captured> with_message(const std::string& part) const {
    std::vector<captured> out;
    for (captured& e : events())
      if (e.message.find(part) != std::string::npos) out.push_back(std::move(e));
    return out;
  }

  std::shared_ptr<state> state_ = std::make_shared<state>();
};

}  // namespace otp_test

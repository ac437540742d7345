// The two text forms of a log event: the console line and the JSON object.
#include <fmt/format.h>

#include <ctime>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "otp/runtime/logger_handler.hpp"
#include "otp/runtime/report.hpp"

namespace otp::logger {

namespace {

// ISO 8601 in UTC with microseconds: 2024-05-01T12:00:00.123456Z.
std::string iso_time(std::chrono::system_clock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(us.count() / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us.count() % 1'000'000);
}

std::string_view base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A metadata value as written on a console line: quoted when it has a
// space, a quote, an '=' or is empty.
void append_value(std::string& out, std::string_view v) {
  if (!v.empty() && v.find_first_of(" \"=\n\t") == std::string_view::npos) {
    out += v;
    return;
  }
  out += '"';
  for (const char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
}

}  // namespace

std::string format_console(const log_event& ev) {
  std::string out = iso_time(ev.time);
  out += ' ';
  out += to_string(ev.level);
  if (!ev.logger.empty()) fmt::format_to(std::back_inserter(out), " [{}]", ev.logger);
  if (!ev.process.is_null()) {
    out += ' ';
    out += ev.process.to_string();
  }
  if (!ev.registered_name.empty()) {
    out += ' ';
    out += ev.registered_name;
  }
  if (!ev.application.empty()) fmt::format_to(std::back_inserter(out), " ({})", ev.application);
  if (ev.at.line != 0)
    fmt::format_to(std::back_inserter(out), " {}:{}", base_name(ev.at.file), ev.at.line);
  out += ' ';
  out += ev.message;
  if (ev.report != nullptr) {  // multi-line, as OTP prints reports
    for (const auto& [k, v] : ev.metadata)
      fmt::format_to(std::back_inserter(out), "\n    {}: {}", k, v);
    if (!ev.stacktrace.empty()) {
      out += "\n    stacktrace:\n";
      out += ev.stacktrace;
      while (!out.empty() && out.back() == '\n') out.pop_back();
    }
    return out;
  }
  for (const auto& [k, v] : ev.metadata) {
    out += ' ';
    out += k;
    out += '=';
    append_value(out, v);
  }
  return out;
}

std::string format_json(const log_event& ev) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : ev.metadata) j[std::string(k)] = std::string(v);
  // The standard fields win over metadata keys of the same name.
  j["time"] = iso_time(ev.time);
  j["level"] = std::string(to_string(ev.level));
  j["msg"] = std::string(ev.message);
  j["logger"] = std::string(ev.logger);
  auto or_null = [](std::string_view s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(s));
  };
  j["pid"] =
      ev.process.is_null() ? nlohmann::json(nullptr) : nlohmann::json(ev.process.to_string());
  j["registered_name"] = or_null(ev.registered_name);
  j["application"] = or_null(ev.application);
  j["file"] = or_null(ev.at.file);
  j["line"] = ev.at.line != 0 ? nlohmann::json(ev.at.line) : nlohmann::json(nullptr);
  j["function"] = or_null(ev.at.function);
  if (ev.report != nullptr) {
    j["report"] = report::kind_name(ev.report->what);
    j["reason"] = ev.report->reason.to_string();
    if (!ev.stacktrace.empty()) j["stacktrace"] = std::string(ev.stacktrace);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace otp::logger

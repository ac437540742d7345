// logger::configure: checks a whole `logger` section, builds its handlers,
// then applies levels and handlers at once.
#include "otp/runtime/logger_config.hpp"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/logger_handler.hpp"
#include "runtime/logger_core.hpp"

namespace otp::logger {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw config_error(path + ": " + what);
}

std::string got(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

void only_keys(const json& obj, const std::string& path, std::initializer_list<const char*> keys) {
  for (const auto& [k, v] : obj.items()) {
    bool known = false;
    for (const char* key : keys) known = known || k == key;
    if (known) continue;
    std::string expected;
    for (const char* key : keys) expected += (expected.empty() ? "" : ", ") + std::string(key);
    fail(path + "." + k, "unknown key (expected one of " + expected + ")");
  }
}

const json& object_at(const json& v, const std::string& path) {
  if (!v.is_object()) fail(path, "expected an object, got " + got(v));
  return v;
}

std::string string_at(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "expected a string, got " + got(v));
  return v.get<std::string>();
}

std::uint64_t unsigned_at(const json& v, const std::string& path, std::uint64_t max) {
  if (!v.is_number_integer() ||
      (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0))
    fail(path, "expected an unsigned integer, got " + got(v));
  const auto n = v.get<std::uint64_t>();
  if (n > max) fail(path, "expected at most " + std::to_string(max) + ", got " + got(v));
  return n;
}

bool bool_at(const json& v, const std::string& path) {
  if (!v.is_boolean()) fail(path, "expected true or false, got " + got(v));
  return v.get<bool>();
}

log_level level_at(const json& v, const std::string& path) {
  const std::string name = string_at(v, path);
  try {
    return parse_log_level(name);
  } catch (const badarg& e) {
    fail(path, e.what());
  }
}

void burst_keys(const json& obj, const std::string& path, handler_config& c) {
  if (obj.contains("burst_limit_enable"))
    c.burst_limit_enable = bool_at(obj["burst_limit_enable"], path + ".burst_limit_enable");
  if (obj.contains("burst_limit_max_count"))
    c.burst_limit_max_count = static_cast<std::uint32_t>(
        unsigned_at(obj["burst_limit_max_count"], path + ".burst_limit_max_count", UINT32_MAX));
  if (obj.contains("burst_limit_window_time_ms")) {
    const auto ms = unsigned_at(obj["burst_limit_window_time_ms"],
                                path + ".burst_limit_window_time_ms", INT32_MAX);
    if (ms == 0) fail(path + ".burst_limit_window_time_ms", "expected a positive integer, got 0");
    c.burst_limit_window_time = std::chrono::milliseconds(ms);
  }
}

std::shared_ptr<detail::installed_handler> handler_at(const json& v, const std::string& path,
                                                      handler_config c) {
  object_at(v, path);
  if (!v.contains("id")) fail(path + ".id", "missing (every handler needs an id)");
  if (!v.contains("type")) fail(path + ".type", "missing (console, file or json)");
  const std::string id = string_at(v["id"], path + ".id");
  if (id.empty()) fail(path + ".id", "expected a non-empty string");
  const std::string type = string_at(v["type"], path + ".type");
  if (v.contains("level")) c.level = level_at(v["level"], path + ".level");
  burst_keys(v, path, c);
  std::shared_ptr<handler> h;
  try {
    if (type == "console") {
      only_keys(v, path,
                {"id", "type", "level", "burst_limit_enable", "burst_limit_max_count",
                 "burst_limit_window_time_ms"});
      h = console_handler();
    } else if (type == "file") {
      only_keys(v, path,
                {"id", "type", "level", "path", "max_bytes", "max_files", "burst_limit_enable",
                 "burst_limit_max_count", "burst_limit_window_time_ms"});
      if (!v.contains("path")) fail(path + ".path", "missing (a file handler needs a path)");
      const std::string file = string_at(v["path"], path + ".path");
      std::uint64_t max_bytes = 10 * 1024 * 1024;
      std::uint64_t max_files = 5;
      if (v.contains("max_bytes"))
        max_bytes = unsigned_at(v["max_bytes"], path + ".max_bytes", SIZE_MAX);
      if (max_bytes == 0) fail(path + ".max_bytes", "expected a positive integer, got 0");
      if (v.contains("max_files"))
        max_files = unsigned_at(v["max_files"], path + ".max_files", 200000);
      h = file_handler(file, max_bytes, max_files);
    } else if (type == "json") {
      only_keys(v, path,
                {"id", "type", "level", "path", "burst_limit_enable", "burst_limit_max_count",
                 "burst_limit_window_time_ms"});
      h = json_handler(v.contains("path") ? string_at(v["path"], path + ".path") : std::string());
    } else {
      fail(path + ".type",
           "unknown handler type " + got(v["type"]) + " (expected console, file or json)");
    }
  } catch (const badarg& e) {  // a file that cannot be opened
    fail(path, e.what());
  }
  return detail::make_installed(id, std::move(h), c);
}

}  // namespace

void configure(const json& section) {
  const std::string root = "logger";
  object_at(section, root);
  only_keys(section, root,
            {"level", "module_levels", "handlers", "burst_limit_enable", "burst_limit_max_count",
             "burst_limit_window_time_ms"});
  log_level primary = primary_level();
  if (section.contains("level")) primary = level_at(section["level"], root + ".level");

  std::vector<std::pair<std::string, log_level>> modules;
  const bool has_modules = section.contains("module_levels");
  if (has_modules) {
    const std::string path = root + ".module_levels";
    for (const auto& [name, level] : object_at(section["module_levels"], path).items()) {
      if (name.empty()) fail(path, "a module name must not be empty");
      modules.emplace_back(name, level_at(level, path + "." + name));
    }
  }

  handler_config defaults;
  burst_keys(section, root, defaults);
  std::vector<std::shared_ptr<detail::installed_handler>> handlers;
  const bool has_handlers = section.contains("handlers");
  if (has_handlers) {
    const std::string path = root + ".handlers";
    const json& list = section["handlers"];
    if (!list.is_array()) fail(path, "expected an array, got " + got(list));
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      auto h = handler_at(list[i], at, defaults);
      if (!ids.insert(list[i]["id"].get<std::string>()).second)
        fail(at + ".id", "duplicate handler id " + got(list[i]["id"]));
      handlers.push_back(std::move(h));
    }
  }
  // Everything checked and opened: apply.
  detail::replace_levels(primary, has_modules ? &modules : nullptr);
  if (has_handlers) detail::replace_handlers(std::move(handlers));
}

}  // namespace otp::logger

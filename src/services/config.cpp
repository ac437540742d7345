// otp::config::load and the small functions of config.hpp; the sources are
// in config_file.cpp and config_overrides.cpp, the merging in config_merge.cpp.
#include "otp/services/config.hpp"

#include <string>

#include "otp/runtime/errors.hpp"
#include "services/config_merge.hpp"
#include "services/config_sources.hpp"

namespace otp::config {

std::string_view to_string(origin::kind k) noexcept {
  switch (k) {
    case origin::kind::defaults:
      return "defaults";
    case origin::kind::file:
      return "file";
    case origin::kind::environment:
      return "environment";
    case origin::kind::command_line:
      return "command_line";
  }
  return "?";
}

std::string origin::to_string() const { return from == kind::defaults ? "default" : where; }

const origin& entry::origin_of(std::string_view pointer) const {
  const auto it = parts.find(pointer);
  return it != parts.end() ? it->second : from;
}

config_set load(const std::vector<app_schema>& known, const sources& s) {
  detail::merger m(known);
  if (s.file) detail::apply_file(m, *s.file);
  detail::apply_environment(m, s.environment);
  detail::apply_sets(m, s.sets);
  return m.take();
}

nlohmann::json env_of(const config_set& set, std::string_view app) {
  const auto it = set.find(app);
  if (it == set.end()) {
    throw badarg("otp::config::env_of: no application '" + std::string(app) + "'");
  }
  auto out = nlohmann::json::object();
  for (const auto& [key, e] : it->second) out[key] = e.value;
  return out;
}

}  // namespace otp::config

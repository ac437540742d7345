// otp::config::print: the merged configuration as TOML-like lines, each
// with its origin (what a --print-config flag shows).
#include <cmath>
#include <string>

#include "otp/services/config.hpp"
#include "services/config_merge.hpp"

namespace otp::config {

namespace {

using nlohmann::json;

std::string dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// v as a TOML value; tables become inline tables, null stays "null".
std::string toml_value(const json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
    return dump(v);
  }
  if (v.is_array()) {
    std::string out = "[";
    for (const auto& e : v) out += (out.size() == 1 ? "" : ", ") + toml_value(e);
    return out + "]";
  }
  if (v.is_object()) {
    if (v.empty()) return "{}";
    std::string out;
    for (const auto& [k, e] : v.items()) {
      out += (out.empty() ? "{ " : ", ") + detail::toml_key(k) + " = " + toml_value(e);
    }
    return out + " }";
  }
  return dump(v);
}

}  // namespace

std::string print(const config_set& set) {
  std::string out;
  for (const auto& [app, env] : set) {
    if (!out.empty()) out += "\n";
    out += "[" + detail::toml_key(app) + "]\n";
    for (const auto& kv : env) {
      const entry& e = kv.second;  // Clang 14 cannot capture a structured binding
      detail::for_each_leaf(
          e.value, "", detail::toml_key(kv.first),
          [&](const std::string& pointer, const std::string& name, const json& v) {
            const std::string line = name + " = " + toml_value(v);
            out +=
                (v.is_null() ? "# " : "") + line + "  # " + e.origin_of(pointer).to_string() + "\n";
          });
    }
  }
  return out;
}

}  // namespace otp::config

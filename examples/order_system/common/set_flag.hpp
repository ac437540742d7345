// The `--set APP.KEY=VALUE` flags of an otp::boot service (order_service), as
// its callers (order_demo, the integration tests) write them: a string value
// is quoted as a TOML string, so that a path or URL is never read as another
// TOML type.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace order_system {

/// `s` as a TOML basic string: `"..."` with `"`, `\` and control characters escaped.
inline std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + '"';
}

/// Appends `--set KEY=VALUE` to `args`; `value` is TOML text (`8080`, `true`, `1.5`).
inline void set_value(std::vector<std::string>& args, const std::string& key,
                      const std::string& value) {
  args.insert(args.end(), {"--set", key + "=" + value});
}

/// Appends `--set KEY="VALUE"` to `args`: `value` as a TOML string.
inline void set_string(std::vector<std::string>& args, const std::string& key,
                       const std::string& value) {
  set_value(args, key, toml_string(value));
}

}  // namespace order_system

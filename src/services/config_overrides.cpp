// The sources above the file: OTP__<APP>__<KEY>[__<SUB>...] environment
// variables and --set app.key[.sub...]=value flags.
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "services/config_sources.hpp"

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace otp::config::detail {

using nlohmann::json;

namespace {

constexpr std::string_view env_prefix = "OTP__";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::vector<std::string> split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  for (;;) {
    const auto at = s.find(sep);
    out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + sep.size());
  }
}

// The key of object `defaults` (may be null) that `name` names ignoring
// case, else `name` lowercased; and the default below it (or null).
std::pair<std::string, const json*> match_key(const json* defaults, const std::string& name) {
  if (defaults != nullptr && defaults->is_object()) {
    const std::string want = lower(name);
    for (const auto& [k, v] : defaults->items()) {
      if (lower(k) == want) return {k, &v};
    }
  }
  return {lower(name), nullptr};
}

// Wraps value in one object per subkey: {"a": {"b": value}} for {a, b}.
json nest(const std::vector<std::string>& subkeys, json value) {
  for (auto it = subkeys.rbegin(); it != subkeys.rend(); ++it) {
    value = json::object({{*it, std::move(value)}});
  }
  return value;
}

}  // namespace

void apply_environment(merger& m, const std::vector<std::pair<std::string, std::string>>& vars) {
  std::vector<const std::pair<std::string, std::string>*> ours;
  for (const auto& v : vars) {
    if (v.first.starts_with(env_prefix)) ours.push_back(&v);
  }
  // Name order: a variable for a table comes before those for its keys
  // (pointers into one vector: equal names stay in their order).
  std::sort(ours.begin(), ours.end(), [](auto* a, auto* b) {
    return a->first < b->first || (a->first == b->first && a < b);
  });
  for (const auto* var : ours) {
    const std::string& name = var->first;
    const auto names = split(std::string_view(name).substr(env_prefix.size()), "__");
    if (std::any_of(names.begin(), names.end(), [](const auto& n) { return n.empty(); })) {
      throw config_error(name, "expected OTP__<APP>__<KEY>[__<SUBKEY>...]: an empty name");
    }
    if (names.size() < 2) {
      throw config_error(name, "expected OTP__<APP>__<KEY>[__<SUBKEY>...]: no key");
    }
    const std::string app = lower(names[0]);
    const app_schema* schema = m.find(app);
    if (schema == nullptr) throw config_error(name, m.unknown_application(app));
    auto [key, def] = match_key(&schema->defaults, names[1]);
    std::vector<std::string> subkeys;
    for (std::size_t i = 2; i < names.size(); ++i) {
      auto [sub, sub_def] = match_key(def, names[i]);
      subkeys.push_back(std::move(sub));
      def = sub_def;
    }
    const origin o{origin::kind::environment, name};
    m.apply(app, key, make_entry(nest(subkeys, parse_value_text(var->second)), o), name);
  }
}

void apply_sets(merger& m, const std::vector<std::string>& sets) {
  for (const auto& flag : sets) {
    const std::string where = "--set " + flag;
    const auto eq = flag.find('=');
    if (eq == std::string::npos) throw config_error(where, "expected app.key=value: no '='");
    auto names = split(std::string_view(flag).substr(0, eq), ".");
    if (std::any_of(names.begin(), names.end(), [](const auto& n) { return n.empty(); })) {
      throw config_error(where, "expected app.key=value: an empty name");
    }
    if (names.size() < 2) throw config_error(where, "expected app.key=value: no key");
    if (m.find(names[0]) == nullptr) throw config_error(where, m.unknown_application(names[0]));
    const std::vector<std::string> subkeys(names.begin() + 2, names.end());
    const origin o{origin::kind::command_line, where};
    m.apply(names[0], names[1], make_entry(nest(subkeys, parse_value_text(flag.substr(eq + 1))), o),
            where);
  }
}

}  // namespace otp::config::detail

namespace otp::config {

std::vector<std::pair<std::string, std::string>> process_environment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view var(*e);
    if (!var.starts_with(detail::env_prefix)) continue;
    const auto eq = var.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(var.substr(0, eq)), std::string(var.substr(eq + 1)));
  }
  return out;
}

}  // namespace otp::config

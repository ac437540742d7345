// The merger: schemas, type checks and key-by-key merging of tables
// (invariants at the top of config_merge.hpp).
#include "services/config_merge.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "otp/runtime/errors.hpp"

namespace otp::config::detail {

using nlohmann::json;

namespace {

// The type names of the messages, in TOML's terms.
std::string_view type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a float";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "a table";
    default:
      return "null";
  }
}

// Where the value at `pointer` of c was written: its leaf's origin; for an
// inner table, its first leaf's (on a nearby line of a file); else c.from.
const origin& origin_near(const entry& c, const std::string& pointer) {
  if (pointer.empty()) return c.from;
  if (auto it = c.parts.find(pointer); it != c.parts.end()) return it->second;
  const std::string below = pointer + "/";
  if (auto it = c.parts.lower_bound(below); it != c.parts.end() && it->first.starts_with(below)) {
    return it->second;
  }
  return c.from;
}

bool same_kind(const json& a, const json& b) {
  return a.is_number_integer() == b.is_number_integer() &&
         (a.is_number_integer() || a.type() == b.type());
}

// Checks v (the value at `pointer` of contribution c, named `name`) against
// its default; an integer where a float is expected becomes a float.
void check(const json& def, json& v, const entry& c, const std::string& pointer,
           const std::string& name) {
  if (def.is_null()) return;
  if (def.is_number_float() && v.is_number_integer()) {
    v = v.get<double>();
    return;
  }
  if (!same_kind(def, v)) {
    throw config_error(
        origin_near(c, pointer).where,
        name + ": expected " + std::string(type_name(def)) + ", got " + std::string(type_name(v)));
  }
  if (!v.is_object()) return;
  for (auto& [k, sub] : v.items()) {
    if (auto it = def.find(k); it != def.end()) {
      check(*it, sub, c, pointer + "/" + pointer_token(k), name + "." + toml_key(k));
    }
  }
}

// Merges src into dst: tables key by key, anything else replaced (invariant 2).
void merge_json(json& dst, json src) {
  if (dst.is_object() && src.is_object()) {
    for (auto& [k, v] : src.items()) merge_json(dst[k], std::move(v));
  } else {
    dst = std::move(src);
  }
}

}  // namespace

std::string toml_key(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
  });
  if (bare) return std::string(key);
  return json(std::string(key)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char ch : key) {
    if (ch == '~') {
      out += "~0";
    } else if (ch == '/') {
      out += "~1";
    } else {
      out += ch;
    }
  }
  return out;
}

void for_each_leaf(
    const json& v, const std::string& pointer, const std::string& name,
    const std::function<void(const std::string&, const std::string&, const json&)>& f) {
  if (!v.is_object() || v.empty()) {
    f(pointer, name, v);
    return;
  }
  for (const auto& [k, sub] : v.items()) {
    for_each_leaf(sub, pointer + "/" + pointer_token(k),
                  name.empty() ? toml_key(k) : name + "." + toml_key(k), f);
  }
}

entry make_entry(json v, const origin& o) {
  entry e{.value = std::move(v), .from = o, .parts = {}};
  if (e.value.is_object() && !e.value.empty()) {
    for_each_leaf(e.value, "", "", [&](const std::string& p, const std::string&, const json&) {
      e.parts.emplace(p, o);
    });
  }
  return e;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

merger::merger(const std::vector<app_schema>& known) : schemas_(known) {
  if (find("logger") == nullptr) schemas_.push_back({.name = "logger"});
  for (const auto& s : schemas_) {
    if (!s.defaults.is_object() && !s.defaults.is_null()) {
      throw badarg("otp::config::load: the defaults of application '" + s.name +
                   "' are not a JSON object");
    }
    auto [env, fresh] = set_.try_emplace(s.name);
    if (!fresh) throw badarg("otp::config::load: application '" + s.name + "' is named twice");
    if (s.defaults.is_null()) continue;
    for (const auto& [k, v] : s.defaults.items()) env->second.emplace(k, make_entry(v, origin{}));
  }
}

const app_schema* merger::find(std::string_view app) const {
  auto it = std::find_if(schemas_.begin(), schemas_.end(),
                         [&](const app_schema& s) { return s.name == app; });
  return it == schemas_.end() ? nullptr : &*it;
}

std::string merger::unknown_application(std::string_view app) const {
  std::vector<std::string> names;
  for (const auto& [name, env] : set_) names.push_back(name);
  return "unknown application '" + std::string(app) + "' (known: " + join_names(names) + ")";
}

void merger::apply(std::string_view app, const std::string& key, entry c,
                   const std::string& key_where) {
  const app_schema& schema = *find(app);
  const json* def = nullptr;
  if (schema.defaults.is_object()) {
    if (auto it = schema.defaults.find(key); it != schema.defaults.end()) def = &*it;
  }
  if (def == nullptr && schema.declared_keys_only) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : schema.defaults.items()) keys.push_back(toml_key(k));
    throw config_error(key_where, "unknown key '" + key + "' of application '" + schema.name +
                                      "' (its keys: " + join_names(keys) + ")");
  }
  if (def != nullptr) check(*def, c.value, c, "", schema.name + "." + toml_key(key));

  entry& dst = set_[schema.name][key];
  const entry before = dst;
  merge_json(dst.value, c.value);
  dst.from = c.from;
  dst.parts.clear();
  if (dst.value.is_object() && !dst.value.empty()) {
    // A leaf the contribution holds came from it; any other kept its origin.
    for_each_leaf(dst.value, "", "", [&](const std::string& p, const std::string&, const json&) {
      const bool from_c = c.value.contains(json::json_pointer(p));
      dst.parts.emplace(p, from_c ? c.origin_of(p) : before.origin_of(p));
    });
  }
}

}  // namespace otp::config::detail

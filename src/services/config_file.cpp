// The TOML source: reading the file, TOML values as JSON values with the
// position of each leaf, and the TOML reading of a variable's or flag's text.
#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "services/config_sources.hpp"

namespace otp::config::detail {

using nlohmann::json;

namespace {

std::string two(unsigned v) { return (v < 10 ? "0" : "") + std::to_string(v); }

std::string rfc3339(const toml::date& d) {
  std::string y = std::to_string(d.year);
  return std::string(y.size() < 4 ? 4 - y.size() : 0, '0') + y + "-" + two(d.month) + "-" +
         two(d.day);
}

std::string rfc3339(const toml::time& t) {
  std::string out = two(t.hour) + ":" + two(t.minute) + ":" + two(t.second);
  if (t.nanosecond != 0) {
    std::string frac = std::to_string(t.nanosecond);
    frac.insert(0, 9 - frac.size(), '0');
    frac.erase(frac.find_last_not_of('0') + 1);
    out += "." + frac;
  }
  return out;
}

std::string rfc3339(const toml::date_time& dt) {
  std::string out = rfc3339(dt.date) + "T" + rfc3339(dt.time);
  if (dt.offset) {
    const int m = dt.offset->minutes;
    if (m == 0) return out + "Z";
    const unsigned a = static_cast<unsigned>(m < 0 ? -m : m);
    out += (m < 0 ? "-" : "+") + two(a / 60) + ":" + two(a % 60);
  }
  return out;
}

std::string position(const std::string& file, const toml::source_region& r) {
  return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

// n as JSON; each leaf's origin goes to parts (by its pointer) when parts is not null.
json to_json(const toml::node& n, const std::string& file, const std::string& pointer,
             std::map<std::string, origin, std::less<>>* parts) {
  json out;
  if (const auto* t = n.as_table()) {
    out = json::object();
    for (const auto& [k, sub] : *t) {
      std::string key(k.str());
      out[key] = to_json(sub, file, pointer + "/" + pointer_token(key), parts);
    }
    if (!t->empty()) return out;
  } else if (const auto* a = n.as_array()) {
    out = json::array();
    for (const auto& e : *a) out.push_back(to_json(e, file, pointer, nullptr));
  } else if (const auto* s = n.as_string()) {
    out = s->get();
  } else if (const auto* i = n.as_integer()) {
    out = i->get();
  } else if (const auto* f = n.as_floating_point()) {
    out = f->get();
  } else if (const auto* b = n.as_boolean()) {
    out = b->get();
  } else if (const auto* d = n.as_date()) {
    out = rfc3339(d->get());
  } else if (const auto* tm = n.as_time()) {
    out = rfc3339(tm->get());
  } else if (const auto* dt = n.as_date_time()) {
    out = rfc3339(dt->get());
  }
  if (parts != nullptr)
    parts->emplace(pointer, origin{origin::kind::file, position(file, n.source())});
  return out;
}

// One key's value of the file as an entry (invariant 1 of config_merge.hpp).
entry file_entry(const toml::node& n, const std::string& file) {
  entry e;
  e.from = origin{origin::kind::file, position(file, n.source())};
  e.value = to_json(n, file, "", &e.parts);
  if (!e.value.is_object() || e.value.empty()) e.parts.clear();
  return e;
}

std::string read_all(const std::filesystem::path& path) {
  auto fail = [&](int err) {
    return config_error(path.string(), "cannot read: " + std::generic_category().message(err));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw fail(errno);
  std::string text;
  char buf[8192];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    text.append(buf, n);
    if (n < sizeof buf) break;
  }
  if (std::ferror(f.get()) != 0) throw fail(errno);
  return text;
}

}  // namespace

json parse_value_text(const std::string& text) {
  try {
    const toml::table t = toml::parse("v = " + text);
    if (t.size() == 1) {
      if (const toml::node* v = t.get("v")) return to_json(*v, "", "", nullptr);
    }
  } catch (const toml::parse_error&) {
    // not a TOML value: the text itself
  }
  return json(text);
}

void apply_file(merger& m, const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string text = read_all(path);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw config_error(position(file, e.source()), std::string(e.description()));
  }
  for (const auto& [k, node] : root) {
    const std::string app(k.str());
    const auto* table = node.as_table();
    if (table == nullptr) {
      throw config_error(position(file, k.source()),
                         "key '" + app + "' is outside any application table");
    }
    if (m.find(app) == nullptr) {
      throw config_error(position(file, k.source()), m.unknown_application(app));
    }
    for (const auto& [key, value] : *table) {
      m.apply(app, std::string(key.str()), file_entry(value, file), position(file, key.source()));
    }
  }
}

}  // namespace otp::config::detail

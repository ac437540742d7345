#include "otp/behaviours/app_env.hpp"

#include "behaviours/application_controller.hpp"
#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/report.hpp"

namespace otp {

namespace detail {

std::optional<nlohmann::json> env_value(node_impl& n, std::string_view app, std::string_view key) {
  app_table& t = apps_of(n);
  std::shared_lock lock(t.mu);
  auto a = t.env.find(app);
  if (a == t.env.end()) return std::nullopt;
  auto k = a->second.find(key);
  if (k == a->second.end()) return std::nullopt;
  return *k;
}

node_impl& env_node() { return require_node("application environment"); }

void throw_env_error(std::string_view app, std::string_view key, std::string_view expected,
                     const nlohmann::json* got) {
  std::string msg = "application " + std::string(app) + ": key " + std::string(key) + ": ";
  if (got)
    msg += "expected " + std::string(expected) + ", got " + got->dump();
  else
    msg += "not set (expected " + std::string(expected) + ")";
  throw env_error(msg);
}

}  // namespace detail

namespace {

void put_env_of(detail::node_impl& n, std::string_view app, std::string_view key,
                nlohmann::json value) {
  detail::app_table& t = detail::apps_of(n);
  std::unique_lock lock(t.mu);
  nlohmann::json& env = t.env[std::string(app)];
  if (!env.is_object()) env = nlohmann::json::object();
  env[std::string(key)] = std::move(value);
}

void unset_env_of(detail::node_impl& n, std::string_view app, std::string_view key) {
  detail::app_table& t = detail::apps_of(n);
  std::unique_lock lock(t.mu);
  if (auto a = t.env.find(app); a != t.env.end()) a->second.erase(std::string(key));
}

nlohmann::json get_all_env_of(detail::node_impl& n, std::string_view app) {
  detail::app_table& t = detail::apps_of(n);
  std::shared_lock lock(t.mu);
  auto a = t.env.find(app);
  return a == t.env.end() ? nlohmann::json::object() : a->second;
}

}  // namespace

void put_env(node& n, std::string_view app, std::string_view key, nlohmann::json value) {
  put_env_of(n.impl(), app, key, std::move(value));
}
void put_env(std::string_view app, std::string_view key, nlohmann::json value) {
  put_env_of(detail::env_node(), app, key, std::move(value));
}
void unset_env(node& n, std::string_view app, std::string_view key) {
  unset_env_of(n.impl(), app, key);
}
void unset_env(std::string_view app, std::string_view key) {
  unset_env_of(detail::env_node(), app, key);
}
nlohmann::json get_all_env(node& n, std::string_view app) { return get_all_env_of(n.impl(), app); }
nlohmann::json get_all_env(std::string_view app) { return get_all_env_of(detail::env_node(), app); }

config_changes config_changes::between(const nlohmann::json& before, const nlohmann::json& after) {
  config_changes c;
  for (const auto& [k, v] : after.items()) {
    if (!before.contains(k))
      c.added[k] = v;
    else if (before.at(k) != v)
      c.changed[k] = v;
  }
  for (const auto& [k, v] : before.items())
    if (!after.contains(k)) c.removed.push_back(k);
  return c;
}

namespace application {

void change_config(node& n, const nlohmann::json& envs) {
  detail::app_table& t = detail::apps_of(n);
  std::vector<std::pair<std::shared_ptr<const application_spec>, config_changes>> calls;
  {
    std::unique_lock lock(t.mu);
    for (const auto& [app, env] : envs.items()) {
      nlohmann::json& cur = t.env[app];
      if (!cur.is_object()) cur = nlohmann::json::object();
      config_changes c = config_changes::between(cur, env);
      cur = env;
      auto it = t.apps.find(app);
      if (!c.empty() && it != t.apps.end() && it->second.spec->config_change &&
          std::ranges::count(t.running, app))
        calls.emplace_back(it->second.spec, std::move(c));
    }
    // In start order, as OTP calls them.
    std::ranges::sort(calls, {}, [&](const auto& call) {
      return std::ranges::find(t.running, call.first->name) - t.running.begin();
    });
  }
  for (const auto& [spec, c] : calls) {
    try {
      spec->config_change(c);
    } catch (const std::exception& e) {
      detail::node_impl& ni = n.impl();
      if (!detail::reports_enabled(ni)) continue;
      report r;
      r.what = report::kind::error;
      r.headline = "** application " + spec->name + ": config_change threw";
      r.reason = exit_reason::from_exception(std::current_exception());
      detail::emit_report(ni, r);
    }
  }
}

}  // namespace application

}  // namespace otp

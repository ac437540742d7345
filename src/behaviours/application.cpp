#include "otp/behaviours/application.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

#include "behaviours/application_controller.hpp"
#include "otp/behaviours/app_env.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/report.hpp"

namespace otp {

using detail::app_entry;
using detail::app_table;
using detail::apps_of;

std::string_view to_string(application_error e) noexcept {
  switch (e) {
    case application_error::none:
      return "none";
    case application_error::unknown_application:
      return "unknown_application";
    case application_error::bad_application:
      return "bad_application";
    case application_error::already_started:
      return "already_started";
    case application_error::not_started:
      return "not_started";
    case application_error::running:
      return "running";
    case application_error::circular_dependencies:
      return "circular_dependencies";
    case application_error::start_failed:
      return "start_failed";
    case application_error::shutting_down:
      return "shutting_down";
  }
  return "none";
}

namespace {

std::string list_text(const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i];
  return s + "]";
}

application_outcome failure(application_error e, std::string app) {
  application_outcome o;
  o.error = e;
  o.application = std::move(app);
  return o;
}

bool valid_name(std::string_view n) {
  if (n.empty() || !std::islower(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

detail::node_impl& caller_node() { return detail::env_node(); }

}  // namespace

std::string application_outcome::to_string() const {
  switch (error) {
    case application_error::none:
      return names.empty() ? "ok" : "{ok," + list_text(names) + "}";
    case application_error::start_failed:
      return "{error,{" + application + "," + reason.to_string() + "}}";
    case application_error::circular_dependencies:
      return "{error,{circular_dependencies," + list_text(names) + "}}";
    default:
      return "{error,{" + std::string(otp::to_string(error)) + "," + application + "}}";
  }
}

namespace application {

namespace {

application_outcome load_on(detail::node_impl& n, application_spec spec) {
  if (!valid_name(spec.name) || !spec.env.is_object() ||
      std::ranges::count(spec.applications, spec.name) ||
      std::ranges::count(spec.included_applications, spec.name))
    return failure(application_error::bad_application, spec.name);
  app_table& t = apps_of(n);
  std::unique_lock lock(t.mu);
  if (auto it = t.apps.find(spec.name); it != t.apps.end()) {
    const application_spec& old = *it->second.spec;
    const bool same = old.version == spec.version && old.applications == spec.applications &&
                      old.included_applications == spec.included_applications;
    return same ? application_outcome{} : failure(application_error::bad_application, spec.name);
  }
  nlohmann::json& env = t.env[spec.name];
  if (!env.is_object()) env = nlohmann::json::object();
  for (const auto& [k, v] : spec.env.items())
    if (!env.contains(k)) env[k] = v;
  std::string name = spec.name;
  t.apps.emplace(std::move(name),
                 app_entry{.spec = std::make_shared<const application_spec>(std::move(spec)),
                           .state = app_entry::phase::loaded,
                           .type = restart_type::temporary,
                           .master = pid()});
  return {};
}

}  // namespace

application_outcome load(node& n, application_spec spec) {
  return load_on(n.impl(), std::move(spec));
}
application_outcome load(application_spec spec) { return load_on(caller_node(), std::move(spec)); }

application_outcome unload(node& n, std::string_view name) {
  app_table& t = apps_of(n);
  std::unique_lock lock(t.mu);
  auto it = t.apps.find(name);
  if (it == t.apps.end()) return failure(application_error::not_started, std::string(name));
  if (it->second.state != app_entry::phase::loaded)
    return failure(application_error::running, std::string(name));
  t.apps.erase(it);
  t.env.erase(t.env.find(name));
  return {};
}

task<application_outcome> start(std::string name, restart_type type) {
  auto c = co_await detail::app_controller_ref();
  co_return co_await call(c, detail::app_start_req{std::move(name), type}, timeout(infinity));
}

task<application_outcome> stop(std::string name) {
  auto c = co_await detail::app_controller_ref();
  co_return co_await call(c, detail::app_stop_req{std::move(name)}, timeout(infinity));
}

task<application_outcome> stop_all() {
  auto c = co_await detail::app_controller_ref();
  co_return co_await call(c, detail::app_stop_all_req{}, timeout(infinity));
}

namespace {

/// The applications `name` needs that are not running, dependencies first,
/// then `name` itself (if not running): a depth-first walk that reports the
/// first cycle or unknown application it meets.
application_outcome start_order(app_table& t, const std::string& name) {
  std::shared_lock lock(t.mu);
  application_outcome out;
  std::vector<std::string> path;
  std::vector<std::string> done;
  std::function<bool(const std::string&)> visit = [&](const std::string& a) {
    if (std::ranges::count(done, a)) return true;
    if (auto at = std::ranges::find(path, a); at != path.end()) {
      out = failure(application_error::circular_dependencies, a);
      out.names.assign(at, path.end());
      out.names.push_back(a);
      return false;
    }
    auto it = t.apps.find(a);
    if (it == t.apps.end()) {
      out = failure(application_error::unknown_application, a);
      return false;
    }
    path.push_back(a);
    for (const auto& dep : it->second.spec->applications)
      if (!visit(dep)) return false;
    path.pop_back();
    done.push_back(a);
    if (it->second.state == app_entry::phase::loaded) out.names.push_back(a);
    return true;
  };
  visit(name);
  return out;
}

}  // namespace

task<application_outcome> ensure_all_started(std::string name, restart_type type) {
  app_table& t = apps_of(caller_node());
  application_outcome plan = start_order(t, name);
  if (!plan) co_return plan;
  std::vector<std::string> started;
  for (const auto& app : plan.names) {
    application_outcome r = co_await start(app, type);
    if (r.error == application_error::already_started) continue;  // started meanwhile
    if (!r) {
      for (auto it = started.rbegin(); it != started.rend(); ++it) (void)co_await stop(*it);
      co_return r;
    }
    started.push_back(app);
  }
  application_outcome ok;
  ok.names = std::move(started);
  co_return ok;
}

namespace {

std::vector<application_info> which_on(detail::node_impl& n) {
  app_table& t = apps_of(n);
  std::shared_lock lock(t.mu);
  std::vector<application_info> out;
  for (auto it = t.running.rbegin(); it != t.running.rend(); ++it) {
    const application_spec& s = *t.apps.find(*it)->second.spec;
    out.push_back({s.name, s.description, s.version});
  }
  return out;
}
}  // namespace

std::vector<application_info> which_applications(node& n) { return which_on(n.impl()); }
std::vector<application_info> which_applications() { return which_on(caller_node()); }

namespace {

std::vector<application_info> loaded_on(detail::node_impl& n) {
  app_table& t = apps_of(n);
  std::shared_lock lock(t.mu);
  std::vector<application_info> out;
  for (const auto& [name, e] : t.apps)
    out.push_back({e.spec->name, e.spec->description, e.spec->version});
  return out;
}
}  // namespace

std::vector<application_info> loaded_applications(node& n) { return loaded_on(n.impl()); }
std::vector<application_info> loaded_applications() { return loaded_on(caller_node()); }

std::shared_ptr<const application_spec> spec(node& n, std::string_view name) {
  app_table& t = apps_of(n);
  std::shared_lock lock(t.mu);
  auto it = t.apps.find(name);
  return it == t.apps.end() ? nullptr : it->second.spec;
}

std::optional<exit_reason> await_halt(node& n, std::chrono::milliseconds wait) {
  app_table& t = apps_of(n);
  std::unique_lock lock(t.mu);
  t.halted.wait_for(lock, wait, [&] { return t.halt.has_value(); });
  return t.halt;
}

}  // namespace application

}  // namespace otp

namespace otp::detail {

void app_report(node_impl& n, const std::string& name, const exit_reason* exited,
                restart_type type) {
  if (!reports_enabled(n)) return;
  emit_report(
      n, exited
             ? report::application_exited(self(), name, *exited, std::string(to_string(type)))
             : report::application_started(self(), name, "node " + std::to_string(self().node())));
}

}  // namespace otp::detail

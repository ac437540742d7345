#include "behaviours/application_controller.hpp"

#include "otp/behaviours/gen_server.hpp"
#include "otp/runtime/detail/node_slot.hpp"
#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"

namespace otp::detail {

namespace {

constexpr const char* kControllerName = "application_controller";

application_outcome fail(application_error e, std::string app) {
  application_outcome o;
  o.error = e;
  o.application = std::move(app);
  return o;
}

node_impl& my_node() { return *require_process("application_controller").node; }

}  // namespace

app_table& apps_of(node_impl& n) { return node_slot<app_table>(n); }
app_table& apps_of(node& n) { return apps_of(n.impl()); }

app_controller::app_controller(app_table& t) : t_(t) { trap_exit(true); }

call_result<application_outcome> app_controller::handle_call(app_start_req r,
                                                             from<application_outcome> f) {
  std::shared_ptr<const application_spec> spec;
  {
    std::unique_lock lock(t_.mu);
    if (t_.shutting_down) return fail(application_error::shutting_down, r.name);
    auto it = t_.apps.find(r.name);
    if (it == t_.apps.end()) return fail(application_error::unknown_application, r.name);
    app_entry& e = it->second;
    if (e.state != app_entry::phase::loaded)
      return fail(application_error::already_started, r.name);
    for (const auto& dep : e.spec->applications) {
      auto d = t_.apps.find(dep);
      if (d == t_.apps.end() || d->second.state != app_entry::phase::running)
        return fail(application_error::not_started, dep);
    }
    for (const auto& inc : e.spec->included_applications)
      if (!t_.apps.contains(inc)) return fail(application_error::unknown_application, inc);
    e.type = r.type;
    spec = e.spec;
    if (!spec->start) {  // a library application: nothing to run
      e.state = app_entry::phase::running;
      t_.running.push_back(r.name);
    } else {
      e.state = app_entry::phase::starting;
    }
  }
  if (!spec->start) {
    app_report(my_node(), r.name, nullptr, r.type);
    return application_outcome{};
  }
  const pid m = spawn_link(app_master, spec, self());
  masters_.emplace(m, r.name);
  starting_.emplace(r.name, f);
  return noreply();
}

call_result<application_outcome> app_controller::handle_call(app_stop_req r,
                                                             from<application_outcome> f) {
  pid master;
  std::shared_ptr<const application_spec> spec;
  {
    std::unique_lock lock(t_.mu);
    auto it = t_.apps.find(r.name);
    if (it == t_.apps.end() || (it->second.state != app_entry::phase::running &&
                                it->second.state != app_entry::phase::stopping))
      return fail(application_error::not_started, r.name);
    if (it->second.state == app_entry::phase::running) {
      it->second.state = app_entry::phase::stopping;
      master = it->second.master;
      spec = it->second.spec;
    }
  }
  if (spec && master.is_null()) {  // a library application
    ended(r.name, exit_reason::other("stopped"));
    return application_outcome{};
  }
  if (!master.is_null()) send(master, app_master_stop{});
  stopping_[r.name].push_back(f);
  return noreply();
}

call_result<application_outcome> app_controller::handle_call(app_stop_all_req,
                                                             from<application_outcome> f) {
  stop_all_waiters_.push_back(f);
  begin_stop_all(std::nullopt);
  // Nothing running (or only library applications, stopped at once): no
  // master exit will come to answer the caller, so answer now.
  (void)all_stopped_check();
  return noreply();
}

server_result app_controller::handle_info(app_master_started m) {
  auto f = starting_.extract(m.name);
  const bool ok = m.result.is_ok();
  restart_type type = restart_type::temporary;
  {
    std::unique_lock lock(t_.mu);
    auto it = t_.apps.find(m.name);
    if (it != t_.apps.end()) {
      app_entry& e = it->second;
      type = e.type;
      e.state = ok ? app_entry::phase::running : app_entry::phase::loaded;
      if (ok) {
        e.master = m.master;
        t_.running.push_back(m.name);
      }
    }
  }
  if (ok) app_report(my_node(), m.name, nullptr, type);
  if (!f.empty()) {
    application_outcome o;
    if (!ok) {
      o = fail(application_error::start_failed, m.name);
      o.reason = m.result.is_ignore() ? exit_reason::other("ignore") : m.result.reason;
    }
    reply(f.mapped(), std::move(o));
  }
  if (stopping_all_) stop_next();
  return all_stopped_check();
}

server_result app_controller::handle_info(const exit_msg& e) {
  auto mi = masters_.find(e.from);
  if (mi == masters_.end()) return noreply();  // a process linked to it by someone else
  const std::string name = mi->second;
  masters_.erase(mi);
  if (auto f = starting_.extract(name); !f.empty()) {  // died before it answered
    {
      std::unique_lock lock(t_.mu);
      t_.apps.find(name)->second.state = app_entry::phase::loaded;
    }
    application_outcome o = fail(application_error::start_failed, name);
    o.reason = e.reason;
    reply(f.mapped(), std::move(o));
  } else {
    bool asked = false;
    restart_type type = restart_type::temporary;
    bool was_running = false;
    {
      std::shared_lock lock(t_.mu);
      auto it = t_.apps.find(name);
      if (it != t_.apps.end()) {
        asked = it->second.state == app_entry::phase::stopping;
        was_running = asked || it->second.state == app_entry::phase::running;
        type = it->second.type;
      }
    }
    if (was_running) {
      ended(name, asked ? exit_reason::other("stopped") : e.reason);
      const bool halts = type == restart_type::permanent ||
                         (type == restart_type::transient && !e.reason.is_normal_termination());
      if (!asked && halts)
        begin_stop_all(exit_reason::other("{application_terminated," + name + "," +
                                          e.reason.to_string() + "}"));
    }
  }
  if (stopping_all_) stop_next();
  return all_stopped_check();
}

void app_controller::ended(const std::string& name, const exit_reason& reason) {
  restart_type type = restart_type::temporary;
  {
    std::unique_lock lock(t_.mu);
    auto it = t_.apps.find(name);
    if (it != t_.apps.end()) {
      it->second.state = app_entry::phase::loaded;
      it->second.master = pid();
      type = it->second.type;
    }
    std::erase(t_.running, name);
  }
  app_report(my_node(), name, &reason, type);
  if (auto w = stopping_.extract(name); !w.empty())
    for (auto& f : w.mapped()) reply(f, application_outcome{});
}

void app_controller::begin_stop_all(std::optional<exit_reason> halt) {
  {
    std::unique_lock lock(t_.mu);
    t_.shutting_down = true;
  }
  if (halt && !halt_) halt_ = std::move(halt);
  if (!stopping_all_) {
    stopping_all_ = true;
    stop_next();
  }
}

std::optional<std::pair<std::string, pid>> app_controller::take_last_running() {
  std::unique_lock lock(t_.mu);
  t_.shutting_down = true;
  if (t_.running.empty()) return std::nullopt;
  const std::string& name = t_.running.back();
  app_entry& e = t_.apps.find(name)->second;
  e.state = app_entry::phase::stopping;
  return std::pair{name, e.master};
}

bool app_controller::stop_next() {
  for (;;) {
    {
      std::shared_lock lock(t_.mu);
      for (const auto& n : t_.running)  // one stop at a time
        if (t_.apps.find(n)->second.state == app_entry::phase::stopping) return false;
      if (t_.running.empty()) return starting_.empty();
    }
    auto last = take_last_running();
    if (!last) continue;
    if (!last->second.is_null()) {
      send(last->second, app_master_stop{});
      return false;
    }
    ended(last->first, exit_reason::other("stopped"));  // a library application
  }
}

server_result app_controller::all_stopped_check() {
  if (!stopping_all_ || !starting_.empty()) return noreply();
  {
    std::shared_lock lock(t_.mu);
    if (!t_.running.empty()) return noreply();
  }
  for (auto& f : stop_all_waiters_) reply(f, application_outcome{});
  stop_all_waiters_.clear();
  if (halt_) {
    {
      std::unique_lock lock(t_.mu);
      t_.halt = halt_;
    }
    t_.halted.notify_all();
  }
  return noreply();
}

task<void> app_controller::terminate(const exit_reason&) {
  // The node stops (the controller's parent's exit): the applications stop
  // one at a time, the last started first, before the controller ends.
  while (auto last = take_last_running()) {
    const pid master = last->second;
    if (!master.is_null()) {
      send(master, app_master_stop{});
      co_await receive(
          when([&](const exit_msg& e) { return e.from == master; }, [](const exit_msg&) {}));
      masters_.erase(master);
    }
    ended(last->first, exit_reason::other("stopped"));
  }
}

task<server_ref<app_controller>> app_controller_ref() {
  node_impl& n = require_node("application");
  app_table& t = apps_of(n);
  for (;;) {
    if (const pid existing = whereis(kControllerName); !existing.is_null())
      co_return server_ref<app_controller>(existing);
    start_options o;
    o.name = kControllerName;
    auto s = co_await gen_server::start<app_controller>(o, std::ref(t));
    if (s.is_ok()) co_return s.ref();
    if (!s.is_already_started())
      throw badarg("application_controller did not start: " + s.reason.to_string());
  }
}

}  // namespace otp::detail

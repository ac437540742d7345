// The supervisor: a gen_server callback type keeping children in start order.
//
// Invariants:
//  1. `children_` is in start order; a child's pid is null while it is not
//     running (ignored, stopped, ended transiently, or waiting to restart).
//  2. Every running child is linked to the supervisor, which traps exits; a
//     child the supervisor stops itself is unlinked and its exit_msg flushed
//     (shutdown_child), so only unexpected deaths reach handle_info.
//  3. `restarting` is set only while a try_again for the child is due; a
//     try_again for a child no longer restarting is ignored.
//  4. `restarts_` holds the times of restarts within the last `period`; one
//     more than `intensity` makes the supervisor stop every child in reverse
//     order and exit with `shutdown`.
#include "otp/behaviours/supervisor.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "behaviours/supervisor_support.hpp"
#include "otp/behaviours/sys.hpp"
#include "otp/runtime/messages.hpp"

namespace otp {

std::string child_result::to_string() const {
  switch (state) {
    case status::ok:
      if (info.has_value()) return "{ok," + child.to_string() + "," + detail::info_text(info) + "}";
      return "{ok," + child.to_string() + "}";
    case status::already_started:
      return "{error,{already_started," + child.to_string() + "}}";
    case status::already_present:
      return "{error,already_present}";
    case status::running:
      return "{error,running}";
    case status::restarting:
      return "{error,restarting}";
    case status::not_found:
      return "{error,not_found}";
    case status::error:
      break;
  }
  return "{error," + reason.to_string() + "}";
}

namespace {

child_result result(child_result::status s, pid p = {}, exit_reason r = {}) {
  child_result out;
  out.state = s;
  out.child = p;
  out.reason = std::move(r);
  return out;
}
/// ok for a started child, with the Info its start function returned.
child_result started_child(start_result&& s) {
  child_result out = result(child_result::status::ok, s.child);
  out.info = std::move(s.info);
  return out;
}

std::optional<exit_reason> check_one(const child_spec& c, enum auto_shutdown a) {
  auto bad = [&](const std::string& what) {
    return exit_reason::other("{invalid_child_spec,{\"" + c.id + "\"," + what + "}}");
  };
  if (c.id.empty()) return exit_reason::other("{invalid_child_spec,{id,\"\"}}");
  if (!c.start) return bad("{start,undefined}");
  if (c.significant && c.restart == restart_type::permanent) return bad("{significant,permanent}");
  if (c.significant && a == auto_shutdown::never) return bad("{significant,{auto_shutdown,never}}");
  return std::nullopt;
}

}  // namespace

namespace supervisor {

std::optional<exit_reason> check_childspecs(const std::vector<child_spec>& specs,
                                            enum auto_shutdown a) {
  std::set<std::string> ids;
  for (const child_spec& c : specs) {
    if (auto e = check_one(c, a)) return e;
    if (!ids.insert(c.id).second)
      return exit_reason::other("{invalid_child_spec,{duplicate_child_name,\"" + c.id + "\"}}");
  }
  return std::nullopt;
}

/// The supervisor's gen_server callbacks.
class server {
 public:
  static constexpr const char* behaviour = "supervisor";  // what sys::get_status reports
  struct start_child_req {
    using reply = child_result;
    child_spec spec;
  };
  struct terminate_child_req {
    using reply = child_result;
    std::string id;
  };
  struct restart_child_req {
    using reply = child_result;
    std::string id;
  };
  struct delete_child_req {
    using reply = child_result;
    std::string id;
  };
  struct which_children_req {
    using reply = std::vector<child_info>;
  };
  struct count_children_req {
    using reply = child_counts;
  };
  struct get_childspec_req {
    using reply = std::optional<child_spec>;
    std::string id;
  };
  /// Restart child `id` now (after a failed restart, or a back-off delay).
  struct try_again {
    std::string id;
    bool counted = false;  // the restart was already added to the window
  };
  using info = types<exit_msg, try_again>;

  server(supervisor_flags f, std::vector<child_spec> specs)
      : flags_(f), initial_(std::move(specs)), restarts_(f.intensity, f.period) {}
  /// Module style: `module_init` gives the flags and specs (in init).
  explicit server(std::function<init_result()> module_init)
      : module_init_(std::move(module_init)), restarts_(flags_.intensity, flags_.period) {}

  task<server_result> init() {
    trap_exit(true);
    if (module_init_) {
      init_result r = module_init_();
      module_init_ = nullptr;
      if (r.state == init_result::status::ignore) co_return otp::ignore();
      if (r.state == init_result::status::error) co_return stop(std::move(r.reason));
      flags_ = r.flags;
      initial_ = std::move(r.children);
      restarts_ = detail::restart_window(flags_.intensity, flags_.period);
    }
    if (auto e = detail::check_intensity_flags(flags_.intensity, flags_.period)) co_return stop(*e);
    if (auto e = check_childspecs(initial_, flags_.auto_shutdown)) co_return stop(*e);
    for (child_spec& spec : initial_) {
      children_.push_back(child{std::move(spec), {}, false});
      child& c = children_.back();
      start_result r = co_await start(c);
      if (r.is_error()) {
        report("start_error", r.reason, c);
        const std::string id = c.spec.id;
        const exit_reason why = r.reason;
        children_.pop_back();
        co_await stop_all();
        co_return stop(
            exit_reason::shutdown("{failed_to_start_child," + id + "," + why.to_string() + "}"));
      }
      if (r.is_ignore() && c.spec.restart == restart_type::temporary) children_.pop_back();
    }
    initial_.clear();
    co_return noreply();
  }

  task<child_result> handle_call(start_child_req r) {
    if (auto e = check_one(r.spec, flags_.auto_shutdown))
      co_return result(child_result::status::error, {}, *e);
    if (child* c = find(r.spec.id)) {
      if (!c->pid.is_null()) co_return result(child_result::status::already_started, c->pid);
      co_return result(child_result::status::already_present);
    }
    children_.push_back(child{std::move(r.spec), {}, false});
    const std::string id = children_.back().spec.id;
    start_result s = co_await start(children_.back());
    child* c = find(id);
    if (s.is_error()) {
      erase(id);
      // A name another process holds: {error, {already_started, Holder}}, as
      // the child's start returned it.
      if (s.is_already_started()) co_return result(child_result::status::already_started, s.child);
      co_return result(child_result::status::error, {}, s.reason);
    }
    if (s.is_ignore() && c->spec.restart == restart_type::temporary) erase(id);
    co_return started_child(std::move(s));
  }

  task<child_result> handle_call(terminate_child_req r) {
    child* c = find(r.id);
    if (c == nullptr) co_return result(child_result::status::not_found);
    co_await stop_child(*c);
    if (c = find(r.id); c != nullptr) c->restarting = false;  // no pending restart either
    if (c != nullptr && c->spec.restart == restart_type::temporary) erase(r.id);
    co_return result(child_result::status::ok);
  }

  task<child_result> handle_call(restart_child_req r) {
    child* c = find(r.id);
    if (c == nullptr) co_return result(child_result::status::not_found);
    if (c->restarting) co_return result(child_result::status::restarting);
    if (!c->pid.is_null()) co_return result(child_result::status::running);
    start_result s = co_await start(*c);
    if (s.is_error()) co_return result(child_result::status::error, {}, s.reason);
    co_return started_child(std::move(s));
  }

  child_result handle_call(delete_child_req r) {
    child* c = find(r.id);
    if (c == nullptr) return result(child_result::status::not_found);
    if (c->restarting) return result(child_result::status::restarting);
    if (!c->pid.is_null()) return result(child_result::status::running);
    erase(r.id);
    return result(child_result::status::ok);
  }

  std::vector<child_info> handle_call(which_children_req) const {
    std::vector<child_info> out;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it)
      out.push_back(child_info{it->spec.id, it->pid, it->restarting, it->spec.type,
                               it->spec.restart, it->restarts});
    return out;
  }

  child_counts handle_call(count_children_req) const {
    child_counts n;
    for (const child& c : children_) {
      ++n.specs;
      if (!c.pid.is_null()) ++n.active;
      if (c.spec.type == child_type::supervisor)
        ++n.supervisors;
      else
        ++n.workers;
    }
    return n;
  }

  std::optional<child_spec> handle_call(get_childspec_req r) const {
    for (const child& c : children_)
      if (c.spec.id == r.id) return c.spec;
    return std::nullopt;
  }

  task<server_result> handle_info(exit_msg& e) {
    auto it = std::find_if(children_.begin(), children_.end(),
                           [&](const child& c) { return c.pid == e.from; });
    if (it == children_.end()) co_return noreply();  // not a child (any more): ignore
    co_return co_await child_exited(static_cast<std::size_t>(it - children_.begin()), e.reason);
  }

  task<server_result> handle_info(try_again& t) {
    child* c = find(t.id);
    // Only a child still waiting: terminate_child may have stopped it since.
    if (c == nullptr || !c->restarting) co_return noreply();
    if (!t.counted && !add_restart()) co_return co_await give_up(*c);
    // A counted try_again is the end of a back-off delay: start now.
    co_return co_await restart(index_of(*c), t.counted);
  }

  task<void> terminate(const exit_reason&) { co_await stop_all(); }

  std::string format_status() const {
    static constexpr const char* names[] = {"one_for_one", "one_for_all", "rest_for_one"};
    return std::string("{supervisor,") + names[static_cast<int>(flags_.strategy)] + ",{intensity," +
           std::to_string(flags_.intensity) + "},{period," + std::to_string(flags_.period.count()) +
           "}," + std::to_string(children_.size()) + " children}";
  }

 private:
  struct child {
    child_spec spec;
    otp::pid pid;
    bool restarting = false;
    std::uint64_t restarts = 0;  // restarts after deaths, for which_children
  };

  child* find(const std::string& id) {
    for (child& c : children_)
      if (c.spec.id == id) return &c;
    return nullptr;
  }
  std::size_t index_of(const child& c) const {
    return static_cast<std::size_t>(&c - children_.data());
  }
  void erase(const std::string& id) {
    std::erase_if(children_, [&](const child& c) { return c.spec.id == id; });
  }

  /// Runs the child's start function; sets its pid on success. `restarted`:
  /// a restart after the child died (counted in the child's restarts).
  task<start_result> start(child& c, bool restarted = false) {
    const std::string id = c.spec.id;
    start_result r;
    try {
      r = co_await c.spec.start();
    } catch (...) {
      r = start_result::error(detail::reason_of_current_exception());
    }
    if (child* now = find(id)) {
      now->restarting = false;
      now->pid = r.is_ok() ? r.child : otp::pid();
      if (r.is_ok()) {
        if (restarted) ++now->restarts;
        detail::child_started({now->spec.id, r.child, now->spec.restart,
                               now->spec.effective_shutdown(), now->spec.type, now->restarts},
                              restarted);
      }
    }
    co_return r;
  }

  /// Stops a running child per its shutdown spec (no restart follows).
  task<void> stop_child(child& c) {
    if (c.pid.is_null()) co_return;
    const std::string id = c.spec.id;
    const pid p = c.pid;
    const shutdown_spec how = c.spec.effective_shutdown();
    c.pid = otp::pid();
    exit_reason why = co_await detail::shutdown_child(p, how);
    const bool expected =
        how.is_brutal_kill() ? why.is(exit_reason::kind::killed) : why.is_shutdown();
    if (!expected)
      if (child* now = find(id)) report("shutdown_error", why, *now, p);
  }

  /// Stops the running children from last to `from`, in reverse start order;
  /// temporary ones leave the list.
  task<void> stop_from(std::size_t from) {
    for (std::size_t i = children_.size(); i-- > from;) {
      if (i >= children_.size()) continue;
      co_await stop_child(children_[i]);
    }
    std::vector<std::string> temporaries;
    for (std::size_t i = from; i < children_.size(); ++i)
      if (children_[i].spec.restart == restart_type::temporary && children_[i].pid.is_null())
        temporaries.push_back(children_[i].spec.id);
    for (const std::string& id : temporaries) erase(id);
  }
  task<void> stop_all() {
    for (std::size_t i = children_.size(); i-- > 0;)
      if (i < children_.size()) co_await stop_child(children_[i]);
  }

  /// Adds a restart to the window. False when that exceeds the intensity.
  bool add_restart() { return restarts_.add(); }

  task<server_result> child_exited(std::size_t i, exit_reason reason) {
    child& c = children_[i];
    const otp::pid dead = std::exchange(c.pid, otp::pid());
    const bool normal = reason.is_normal_termination();
    const restart_type rt = c.spec.restart;
    if (rt == restart_type::permanent || !normal) report("child_terminated", reason, c, dead);
    if (rt == restart_type::temporary || (rt == restart_type::transient && normal)) {
      const bool significant = c.spec.significant;
      if (rt == restart_type::temporary) children_.erase(children_.begin() + i);
      if (significant && should_auto_shutdown()) co_return stop(exit_reason::shutdown());
      co_return noreply();
    }
    if (!add_restart()) co_return co_await give_up(c);
    co_return co_await restart(i);
  }

  bool should_auto_shutdown() const {
    return detail::auto_shutdown_due(
        flags_.auto_shutdown, std::any_of(children_.begin(), children_.end(), [](const child& c) {
          return c.spec.significant && !c.pid.is_null();
        }));
  }

  task<server_result> give_up(const child& c) {
    report("shutdown", exit_reason::other("reached_max_restart_intensity"), c);
    co_await stop_all();
    co_return stop(exit_reason::shutdown());
  }

  /// Restarts child i (whose pid is null) by the strategy, after the back-off
  /// delay unless `delay_done`.
  task<server_result> restart(std::size_t i, bool delay_done = false) {
    if (auto delay = delay_done ? std::nullopt : backoff_delay()) {
      children_[i].restarting = true;
      send_after(*delay, self(), try_again{children_[i].spec.id, true});
      co_return noreply();
    }
    std::size_t first = i;
    if (flags_.strategy != restart_strategy::one_for_one) {
      first = flags_.strategy == restart_strategy::one_for_all ? 0 : i;
      const std::string id = children_[i].spec.id;
      co_await stop_from(first);
      child* c = find(id);
      if (c == nullptr) co_return noreply();
      if (flags_.strategy == restart_strategy::rest_for_one) first = index_of(*c);
    }
    const std::size_t last =
        flags_.strategy == restart_strategy::one_for_one ? i + 1 : children_.size();
    for (std::size_t k = first; k < last && k < children_.size(); ++k) {
      if (!children_[k].pid.is_null()) continue;
      child& c = children_[k];
      start_result r = co_await start(c, true);
      if (r.is_error()) {
        child& failed = children_[k];
        report("start_error", r.reason, failed);
        failed.restarting = true;
        send(self(), try_again{failed.spec.id, false});
        break;
      }
    }
    co_return noreply();
  }

  std::optional<std::chrono::milliseconds> backoff_delay() const {
    const restart_backoff& b = flags_.backoff;
    if (b.initial.count() <= 0) return std::nullopt;
    const double n = static_cast<double>(restarts_.empty() ? 0 : restarts_.size() - 1);
    double ms = static_cast<double>(b.initial.count()) * std::pow(b.factor, n);
    if (b.max.count() > 0) ms = std::min(ms, static_cast<double>(b.max.count()));
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
  }

  void report(const char* context, const exit_reason& reason, const child& c, pid p = {}) const {
    detail::supervisor_report(context, reason,
                              {c.spec.id, p.is_null() ? c.pid : p, c.spec.restart,
                               c.spec.effective_shutdown(), c.spec.type, c.restarts});
  }

  std::function<init_result()> module_init_;  // module style, until init has run
  supervisor_flags flags_;
  std::vector<child_spec> initial_;
  std::vector<child> children_;
  detail::restart_window restarts_;
};

task<started<server>> start_link(supervisor_flags flags, std::vector<child_spec> children,
                                 const start_options& o) {
  return gen_server::start_link<server>(o, flags, std::move(children));
}
task<started<server>> start_link(supervisor_flags flags, std::vector<child_spec> children) {
  return gen_server::start_link<server>(start_options{}, flags, std::move(children));
}
}  // namespace supervisor

task<started<supervisor::server>> detail::start_supervisor_module(
    std::function<supervisor::init_result()> init, const start_options& o) {
  return gen_server::start_link<supervisor::server>(o, std::move(init));
}

namespace supervisor {

namespace {
// The API functions turn their arguments (string_views among them) into an
// owned request before the call's coroutine starts, so a task kept past the
// caller's full-expression still holds valid data.
template <class Req>
task<typename Req::reply> ask(ref s, Req req, timeout t = timeout(infinity)) {
  co_return co_await call(s, std::move(req), t);
}
}  // namespace

task<child_result> start_child(ref s, child_spec spec) {
  return ask(std::move(s), server::start_child_req{std::move(spec)});
}
task<child_result> terminate_child(ref s, std::string_view id) {
  return ask(std::move(s), server::terminate_child_req{std::string(id)});
}
task<child_result> restart_child(ref s, std::string_view id) {
  return ask(std::move(s), server::restart_child_req{std::string(id)});
}
task<child_result> delete_child(ref s, std::string_view id) {
  return ask(std::move(s), server::delete_child_req{std::string(id)});
}
task<std::vector<child_info>> which_children(ref s, timeout t) {
  return ask(std::move(s), server::which_children_req{}, t);
}
task<child_counts> count_children(ref s) { return ask(std::move(s), server::count_children_req{}); }
task<std::optional<child_spec>> get_childspec(ref s, std::string_view id) {
  return ask(std::move(s), server::get_childspec_req{std::string(id)});
}

}  // namespace supervisor

child_spec supervisor_child(std::string id, supervisor_flags flags,
                            std::vector<child_spec> children, start_options o) {
  child_spec c;
  c.id = std::move(id);
  c.type = child_type::supervisor;
  c.start = [flags, children = std::move(children), o = std::move(o)]() -> task<start_result> {
    co_return co_await supervisor::start_link(flags, children, o);
  };
  return c;
}

}  // namespace otp

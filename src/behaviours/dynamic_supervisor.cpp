// The dynamic supervisor: a gen_server callback type keeping children in a
// hash map keyed by pid.
//
// Invariants:
//  1. `children_` maps each child's pid to how to restart and stop it. A
//     child waiting to restart (its start failed) stays under its old, dead
//     pid with `restarting` set, and a try_again message for that pid is on
//     its way.
//  2. Every running child is linked to the supervisor, which traps exits. A
//     child the supervisor stops itself leaves the map first, so its EXIT
//     (flushed by shutdown_child, or ignored when the supervisor is ending)
//     never restarts it.
//  3. `restarts_` holds the restarts within the last `period`; one more than
//     `intensity` makes the supervisor exit with `shutdown`, and terminate
//     stops every child.
//  4. Stopping all children signals each once, then waits for each DOWN
//     once: O(children) map operations and messages.
#include "otp/behaviours/dynamic_supervisor.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "behaviours/supervisor_support.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/receive.hpp"

namespace otp::dynamic_supervisor {

namespace {

const char* const kMaxChildren = "max_children";

child_result child_status(child_result::status s) {
  child_result r;
  r.state = s;
  return r;
}

}  // namespace

bool is_max_children(const start_result& r) noexcept {
  return r.is_error() && r.reason.is(exit_reason::kind::other) && r.reason.detail() == kMaxChildren;
}

/// The dynamic supervisor's gen_server callbacks.
class server {
 public:
  static constexpr const char* behaviour = "supervisor";  // what sys::get_status reports
  struct start_child_req {
    using reply = start_result;
    otp::child_spec spec;
  };
  struct terminate_child_req {
    using reply = child_result;
    pid child;
  };
  struct which_children_req {
    using reply = std::vector<child_info>;
  };
  struct count_children_req {
    using reply = child_counts;
  };
  /// Restart the child whose start failed (kept under its old pid).
  struct try_again {
    pid key;
  };
  using info = types<exit_msg, try_again>;

  explicit server(dynamic_supervisor_flags f) : flags_(f), restarts_(f.intensity, f.period) {}

  server_result init() {
    trap_exit(true);
    if (auto e = detail::check_intensity_flags(flags_.intensity, flags_.period)) return stop(*e);
    return noreply();
  }

  task<start_result> handle_call(start_child_req r) {
    otp::child_spec& spec = r.spec;
    if (!spec.start)
      co_return start_result::error(exit_reason::other("{invalid_child_spec,{start,undefined}}"));
    if (flags_.max_children && children_.size() >= *flags_.max_children)
      co_return start_result::error(exit_reason::other(kMaxChildren));
    if (spec.significant && flags_.auto_shutdown == auto_shutdown::never)
      co_return start_result::error(
          exit_reason::other("{invalid_child_spec,{significant,{auto_shutdown,never}}}"));
    if (spec.significant && spec.restart == restart_type::permanent)
      co_return start_result::error(
          exit_reason::other("{invalid_child_spec,{significant,permanent}}"));
    const shutdown_spec how = spec.effective_shutdown();
    child c{std::move(spec.start), how, spec.restart, spec.type, false, spec.significant};
    start_result s = co_await run_start(c);
    if (s.is_ok()) children_.emplace(s.child, std::move(c));
    co_return s;
  }

  task<child_result> handle_call(terminate_child_req r) {
    auto it = children_.find(r.child);
    if (it == children_.end()) co_return child_status(child_result::status::not_found);
    const child c = std::move(it->second);
    children_.erase(it);
    if (!c.restarting) {
      const exit_reason why = co_await detail::shutdown_child(r.child, c.shutdown);
      if (!expected_shutdown(c, why)) report("shutdown_error", why, c, r.child);
    }
    co_return child_status(child_result::status::ok);
  }

  std::vector<child_info> handle_call(which_children_req) const {
    std::vector<child_info> out;
    out.reserve(children_.size());
    for (const auto& [p, c] : children_)
      out.push_back(
          child_info{{}, c.restarting ? pid() : p, c.restarting, c.type, c.restart, c.restarts});
    return out;
  }

  child_counts handle_call(count_children_req) const {
    child_counts n;
    n.specs = children_.size();
    for (const auto& [p, c] : children_) {
      if (!c.restarting) ++n.active;
      if (c.type == child_type::supervisor)
        ++n.supervisors;
      else
        ++n.workers;
    }
    return n;
  }

  task<server_result> handle_info(exit_msg& e) {
    auto it = children_.find(e.from);
    if (it == children_.end() || it->second.restarting) co_return noreply();  // not a child
    const child& c = it->second;
    const bool normal = e.reason.is_normal_termination();
    if (c.restart == restart_type::permanent || !normal)
      report("child_terminated", e.reason, c, e.from);
    if (c.restart == restart_type::temporary || (c.restart == restart_type::transient && normal)) {
      const bool significant = c.significant;
      children_.erase(it);
      if (significant && should_auto_shutdown()) co_return stop(exit_reason::shutdown());
      co_return noreply();
    }
    co_return co_await restart(e.from);
  }

  task<server_result> handle_info(try_again& t) {
    auto it = children_.find(t.key);
    if (it == children_.end() || !it->second.restarting) co_return noreply();
    co_return co_await restart(t.key);
  }

  task<void> terminate(const exit_reason&) { co_await stop_all(); }

  std::string format_status() const {
    return "{dynamic_supervisor,{intensity," + std::to_string(flags_.intensity) + "},{period," +
           std::to_string(flags_.period.count()) + "}," + std::to_string(children_.size()) +
           " children}";
  }

 private:
  /// What the supervisor keeps per child: the spec minus its id.
  struct child {
    std::function<task<start_result>()> start;
    shutdown_spec shutdown;
    restart_type restart = restart_type::permanent;
    child_type type = child_type::worker;
    bool restarting = false;
    bool significant = false;
    std::uint64_t restarts = 0;  // restarts after deaths, for which_children
  };

  /// A significant child has just ended for good: whether that ends the
  /// supervisor (terminate then stops the others).
  bool should_auto_shutdown() const {
    return detail::auto_shutdown_due(
        flags_.auto_shutdown, std::any_of(children_.begin(), children_.end(),
                                          [](const auto& kv) { return kv.second.significant; }));
  }

  static bool expected_shutdown(const child& c, const exit_reason& why) {
    if (why.is(exit_reason::kind::noproc)) return true;  // it had ended already
    return c.shutdown.is_brutal_kill() ? why.is(exit_reason::kind::killed) : why.is_shutdown();
  }

  void report(const char* context, const exit_reason& reason, const child& c, pid p) const {
    detail::supervisor_report(context, reason,
                              {"undefined", p, c.restart, c.shutdown, c.type, c.restarts});
  }

  /// Runs the child's start function; an exception is an error result.
  /// `restarted`: a restart after the child died (counted in its restarts).
  static task<start_result> run_start(child& c, bool restarted = false) {
    start_result r;
    try {
      r = co_await c.start();
    } catch (...) {
      r = start_result::error(detail::reason_of_current_exception());
    }
    if (r.is_ok()) {
      if (restarted) ++c.restarts;
      detail::child_started({"undefined", r.child, c.restart, c.shutdown, c.type, c.restarts},
                            restarted);
    }
    co_return r;
  }

  /// Restarts the child kept under `key` (dead), counting the restart.
  task<server_result> restart(pid key) {
    if (!restarts_.add()) {
      auto it = children_.find(key);
      report("shutdown", exit_reason::other("reached_max_restart_intensity"), it->second, key);
      children_.erase(it);
      co_return stop(exit_reason::shutdown());  // terminate stops the others
    }
    // No other message is handled during the start, so the entry stays put.
    start_result s = co_await run_start(children_.find(key)->second, true);
    auto it = children_.find(key);
    if (s.is_ok()) {
      auto node = children_.extract(it);
      node.key() = s.child;
      node.mapped().restarting = false;
      children_.insert(std::move(node));
    } else if (s.is_ignore()) {
      children_.erase(it);
    } else {
      report("start_error", s.reason, it->second, key);
      it->second.restarting = true;
      send(self(), try_again{key});
    }
    co_return noreply();
  }

  /// Stops every child at once (invariant 4): the shutdown signal and a
  /// monitor to each, then the DOWNs, killing those that outlive their
  /// shutdown time.
  task<void> stop_all() {
    std::erase_if(children_, [](const auto& kv) { return kv.second.restarting; });
    std::vector<std::chrono::milliseconds> waits;  // the distinct finite shutdown times
    for (const auto& [p, c] : children_) {
      (void)monitor(p);
      exit(p, c.shutdown.is_brutal_kill() ? exit_reason::kill() : exit_reason::shutdown());
      if (const auto w = finite_wait(c);
          w && std::find(waits.begin(), waits.end(), *w) == waits.end())
        waits.push_back(*w);
    }
    std::sort(waits.begin(), waits.end());
    const auto t0 = monotonic_time();
    std::size_t next = 0;  // the next deadline: t0 + waits[next]
    while (!children_.empty()) {
      timeout left = infinity;
      if (next < waits.size())
        left = timeout(std::max(std::chrono::milliseconds(0), t0 + waits[next] - monotonic_time()));
      const bool expired = co_await receive(
          [this](down_msg&& d) {
            on_down(d);
            return false;
          },
          [](exit_msg&&) { return false; },  // the link's EXIT; the DOWN tells the same
          after(left, [] { return true; }));
      if (!expired) continue;
      for (const auto& [p, c] : children_)
        if (const auto w = finite_wait(c); w && *w <= waits[next]) exit(p, exit_reason::kill());
      ++next;
    }
  }

  /// How long stop_all waits for `c` before killing it; none for brutal_kill
  /// (killed at once) and infinity.
  static std::optional<std::chrono::milliseconds> finite_wait(const child& c) {
    if (c.shutdown.is_brutal_kill() || c.shutdown.grace().is_infinite()) return std::nullopt;
    return std::chrono::milliseconds(c.shutdown.grace().ms());
  }

  void on_down(const down_msg& d) {
    auto it = children_.find(d.from);
    if (it == children_.end()) return;
    if (!expected_shutdown(it->second, d.reason))
      report("shutdown_error", d.reason, it->second, d.from);
    children_.erase(it);
  }

  dynamic_supervisor_flags flags_;
  detail::restart_window restarts_;
  std::unordered_map<pid, child> children_;
};

task<started<server>> start_link(dynamic_supervisor_flags flags, start_options o) {
  co_return co_await gen_server::start_link<server>(std::move(o), flags);
}
task<started<server>> start_link(dynamic_supervisor_flags flags) {
  co_return co_await gen_server::start_link<server>(start_options{}, flags);
}
otp::child_spec child_spec(std::string id, dynamic_supervisor_flags flags, start_options o) {
  otp::child_spec c;
  c.id = std::move(id);
  c.type = child_type::supervisor;
  c.start = [flags, o = std::move(o)]() -> task<start_result> {
    co_return co_await gen_server::start_link<server>(o, flags);
  };
  return c;
}
task<start_result> start_child(ref s, otp::child_spec spec) {
  co_return co_await call(s, server::start_child_req{std::move(spec)}, timeout(infinity));
}
task<child_result> terminate_child(ref s, pid child) {
  co_return co_await call(s, server::terminate_child_req{child}, timeout(infinity));
}
task<std::vector<child_info>> which_children(ref s, timeout t) {
  co_return co_await call(s, server::which_children_req{}, t);
}
task<child_counts> count_children(ref s) {
  co_return co_await call(s, server::count_children_req{}, timeout(infinity));
}

}  // namespace otp::dynamic_supervisor

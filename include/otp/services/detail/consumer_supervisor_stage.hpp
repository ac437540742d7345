// The stage type behind otp::consumer_supervisor: a consumer with manual
// demand that starts a child per event and asks for more as children end.
// Not part of the API; see otp/services/consumer_supervisor.hpp.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "otp/behaviours/from.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/restart_type.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/behaviours/supervisor.hpp"
#include "otp/behaviours/types.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/task.hpp"
#include "otp/services/consumer_supervisor_options.hpp"
#include "otp/services/detail/consumer_supervisor_core.hpp"
#include "otp/services/gen_stage.hpp"

namespace otp::detail {

template <class E>
class consumer_supervisor_stage {
 public:
  using in = E;
  struct which {
    using reply = std::vector<pid>;
  };
  struct count {
    using reply = consumer_supervisor_counts;
  };
  struct start_child_req {
    using reply = child_result;
    E event;
  };
  struct terminate_child_req {
    using reply = child_result;
    pid child;
  };
  struct grace_over {  // kill a child terminate_child stopped, if still there
    pid child;
  };
  using info = types<exit_msg, grace_over>;

  explicit consumer_supervisor_stage(consumer_supervisor_options<E> o) : opts_(std::move(o)) {}

  stage_options init() {
    if (auto bad = check_consumer_supervisor(static_cast<bool>(opts_.start), opts_.restart,
                                             opts_.max_restarts))
      exit(std::move(*bad));
    trap_exit(true);
    return {.subscribe_to = opts_.subscribe_to};
  }

  demand_mode handle_subscribe(stage_peer, const subscription_options& o, stage_from from) {
    demand_.subscribe(from, o);
    return demand_mode::manual;
  }
  void handle_cancel(const cancellation&, stage_from from) { demand_.cancel(from.tag); }

  void handle_events(std::vector<E> events, stage_from from) {
    std::size_t started = 0;
    std::size_t failed = 0;
    for (E& e : events) {
      const pid child = start_one(e);
      if (child.is_null()) {
        ++failed;
        continue;
      }
      ++started;
      children_.emplace(
          child, running{from.tag, keeps_event() ? std::optional<E>(std::move(e)) : std::nullopt});
    }
    demand_.handled(from.tag, started + failed, failed);
  }

  server_result handle_info(const exit_msg& m) {
    if (auto st = stopping_.find(m.from); st != stopping_.end()) {  // terminate_child's
      reply(st->second.caller, result(child_result::status::ok));
      demand_.handled(st->second.child.producer, 0, 1);
      stopping_.erase(st);
      return noreply();
    }
    auto it = children_.find(m.from);
    if (it == children_.end()) {
      log_consumer_supervisor_stray_exit(m.from);
      return noreply();
    }
    running child = std::move(it->second);
    children_.erase(it);
    if (opts_.restart == restart_type::temporary || m.reason.is_normal_termination() ||
        !child.event) {
      demand_.handled(child.producer, 0, 1);
      return noreply();
    }
    if (!restarts_.allow(monotonic_time(), opts_.max_restarts, opts_.max_seconds))
      return stop(exit_reason::shutdown());
    const pid again = start_one(*child.event);
    if (again.is_null()) {
      demand_.handled(child.producer, 0, 1);
    } else {
      children_.emplace(again, std::move(child));
    }
    return noreply();
  }

  std::vector<pid> handle_call(which) const {
    std::vector<pid> out;
    for (const auto& [p, c] : children_) out.push_back(p);
    return out;
  }
  consumer_supervisor_counts handle_call(count) const { return {children_.size(), 1}; }

  /// A child for `event` outside any producer's demand.
  child_result handle_call(start_child_req r) {
    pid child;
    try {
      child = opts_.start(r.event);
    } catch (...) {
      return result(child_result::status::error, {},
                    exit_reason::from_exception(std::current_exception()));
    }
    if (child.is_null()) return result(child_result::status::ok);  // ignore: no child
    children_.emplace(
        child, running{ref(), keeps_event() ? std::optional<E>(std::move(r.event)) : std::nullopt});
    return result(child_result::status::ok, child);
  }

  /// Stops `child` as the shutdown option says; the reply comes when it is gone.
  call_result<child_result> handle_call(terminate_child_req r, from<child_result> caller) {
    auto it = children_.find(r.child);
    if (it == children_.end()) return result(child_result::status::not_found);
    stopping_.emplace(r.child, stopping{std::move(it->second), caller});
    children_.erase(it);
    exit(r.child, opts_.shutdown.is_brutal_kill() ? exit_reason::kill() : exit_reason::shutdown());
    if (!opts_.shutdown.is_brutal_kill() && !opts_.shutdown.grace().is_infinite())
      send_after(opts_.shutdown.grace(), self(), grace_over{r.child});
    return noreply();
  }
  void handle_info(const grace_over& g) {
    if (stopping_.count(g.child) != 0) exit(g.child, exit_reason::kill());
  }

  /// Shuts the children down: `shutdown` to all (or kill, for brutal_kill),
  /// then kill for those still there when the grace is over.
  task<void> terminate(const exit_reason&) {
    std::vector<pid> left;
    for (const auto& [p, c] : children_) left.push_back(p);
    std::vector<from<child_result>> waiting;  // terminate_child callers
    for (const auto& [p, c] : stopping_) {
      left.push_back(p);
      waiting.push_back(c.caller);
    }
    children_.clear();
    stopping_.clear();
    co_await shut_down_children(std::move(left), opts_.shutdown);
    for (const from<child_result>& w : waiting) reply(w, result(child_result::status::ok));
  }

 private:
  struct running {
    ref producer;
    std::optional<E> event;  // kept to restart the child with (not for temporary)
  };

  static child_result result(child_result::status st, pid child = {}, exit_reason why = {}) {
    child_result r;
    r.state = st;
    r.child = child;
    r.reason = std::move(why);
    return r;
  }

  struct stopping {
    running child;
    from<child_result> caller;
  };

  bool keeps_event() const noexcept { return opts_.restart != restart_type::temporary; }

  pid start_one(const E& e) {
    try {
      return opts_.start(e);
    } catch (...) {
      log_consumer_supervisor_start_error(std::current_exception());
      return {};
    }
  }

  consumer_supervisor_options<E> opts_;
  std::unordered_map<pid, running> children_;
  std::unordered_map<pid, stopping> stopping_;  // terminate_child waits for these
  consumer_demand demand_;
  child_restart_window restarts_;
};

}  // namespace otp::detail

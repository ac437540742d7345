// Reusable children and helpers for the supervisor conformance suites.
//
// | name                      | what it is                                                 |
// |---------------------------|------------------------------------------------------------|
// | logged                    | gen_server worker telling `log` about init and terminate   |
// | stubborn                  | traps exits; its terminate waits forever for a message     |
// | held                      | traps exits; its terminate waits for `release{}`           |
// | ignores / fails_to_start  | init returns ignore / the constructor throws               |
// | stops_with                | answers stop_req{reason} by stopping with that reason      |
// | reports_terminate         | traps exits; its terminate sends its int id to `log`       |
// | logged_spec(log, id, ...) | child spec of a logged worker with id `id`                 |
// | report_log                | node_options whose on_report keeps every report            |
// | kill_and_wait(mb, p)      | kills `p` and returns once it is dead                      |
// | drain(mb)                 | the queued events, "ia ib tc " (init a, init b, term c)    |
// | drain_ints(mb)            | the queued ints, oldest first                              |
// | quiet_manual()            | node_options of a manual node that drops its reports       |
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"

namespace otp_test {

/// What logged children send to their log: "init" or "terminate", and the id.
struct child_event {
  std::string what;
  std::string id;
};

/// A gen_server worker that tells `log` when it starts and when terminate runs.
struct logged {
  struct ping {
    using reply = int;
  };
  otp::pid log;
  std::string id;
  logged(otp::pid l, std::string i) : log(l), id(std::move(i)) {
    otp::trap_exit(true);
    otp::send(log, child_event{"init", id});
  }
  int handle_call(ping) { return 1; }
  void terminate(const otp::exit_reason&) { otp::send(log, child_event{"terminate", id}); }
};

/// A message nobody sends to supervised children.
struct never_sent {};
/// Lets a `held` child's terminate finish.
struct release {};

/// Traps exits and never finishes terminate: only a kill ends it.
struct stubborn {
  otp::pid log;
  std::string id;
  stubborn(otp::pid l, std::string i) : log(l), id(std::move(i)) { otp::trap_exit(true); }
  otp::task<void> terminate(const otp::exit_reason&) {
    otp::send(log, child_event{"terminate", id});
    co_await otp::receive([](never_sent) {});
  }
};

/// Traps exits; terminate waits for release{} however long that takes.
struct held {
  otp::pid log;
  std::string id;
  held(otp::pid l, std::string i) : log(l), id(std::move(i)) { otp::trap_exit(true); }
  otp::task<void> terminate(const otp::exit_reason&) {
    otp::send(log, child_event{"terminate", id});
    co_await otp::receive([](release) {});
  }
};

/// init returns ignore.
struct ignores {
  explicit ignores(int) {}
  otp::server_result init() { return otp::ignore(); }
};

/// The constructor throws: the start fails.
struct fails_to_start {
  explicit fails_to_start(int) { throw std::runtime_error("no start"); }
};

/// Stops with the reason it is asked to (normal, shutdown, an error...).
struct stops_with {
  struct stop_req {
    otp::exit_reason reason;
  };
  otp::pid log;
  std::string id;
  stops_with(otp::pid l, std::string i) : log(l), id(std::move(i)) {
    otp::send(log, child_event{"init", id});
  }
  otp::server_result handle_cast(stop_req r) { return otp::stop(std::move(r.reason)); }
};

/// Traps exits and sends its `id` to `log` when terminate runs.
struct reports_terminate {
  otp::pid log;
  int id;
  reports_terminate(otp::pid l, int i) : log(l), id(i) { otp::trap_exit(true); }
  void terminate(const otp::exit_reason&) { otp::send(log, id); }
};

inline otp::child_spec logged_spec(otp::pid log, const std::string& id,
                                   otp::restart_type r = otp::permanent) {
  otp::child_spec c = otp::worker<logged>(id, log, id);
  c.restart = r;
  return c;
}

/// Every report a node emitted, in order. Share it with node_options.
class report_log {
 public:
  otp::node_options options(bool manual = true) {
    otp::node_options o;
    o.manual = manual;
    o.on_report = [self = state_](const otp::report& r) {
      std::lock_guard lock(self->m);
      self->reports.push_back(r);
    };
    return o;
  }
  /// The supervisor reports with this errorContext.
  std::vector<otp::report> supervisor_reports(const std::string& context) const {
    std::lock_guard lock(state_->m);
    std::vector<otp::report> out;
    for (const otp::report& r : state_->reports)
      if (r.what == otp::report::kind::supervisor && r.field("errorContext") == context)
        out.push_back(r);
    return out;
  }

 private:
  struct state {
    std::mutex m;
    std::vector<otp::report> reports;
  };
  std::shared_ptr<state> state_ = std::make_shared<state>();
};

/// A manual node that drops its reports.
inline otp::node_options quiet_manual() {
  return {.manual = true, .on_report = [](const otp::report&) {}};
}

/// Kills `p` and returns once it is dead (its supervisor got the EXIT before
/// any later message from the caller).
inline void kill_and_wait(otp::mailbox& mb, otp::pid p) {
  otp::ref m = otp::monitor(p);
  otp::exit(p, otp::exit_reason::kill());
  mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                       [](const otp::down_msg&) {}));
}

/// Waits for the DOWN of monitor `m` and returns its reason.
inline otp::exit_reason wait_down(otp::mailbox& mb, otp::ref m) {
  return mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                              [](otp::down_msg&& d) { return std::move(d.reason); }));
}

/// The events queued in `mb`, as "ia tb " (init a, terminate b).
inline std::string drain(otp::mailbox& mb) {
  std::string out;
  while (auto e = mb.receive<child_event>(std::chrono::milliseconds(0)))
    out += e->what.substr(0, 1) + e->id + " ";
  return out;
}

/// The ints queued in `mb`, oldest first (does not wait).
inline std::vector<int> drain_ints(otp::mailbox& mb) {
  std::vector<int> out;
  while (auto i = mb.receive<int>(std::chrono::milliseconds(0))) out.push_back(*i);
  return out;
}

/// The pid of child `id` as which_children lists it (null when not running).
inline otp::pid child_pid(const otp::supervisor::ref& s, const std::string& id) {
  for (const otp::child_info& c : otp::supervisor::which_children(s).get())
    if (c.id == id) return c.child;
  return {};
}

}  // namespace otp_test

// The type-free parts of a consumer_supervisor: its checks, its demand per
// producer, its restart window and the shutdown of its children. Not part
// of the API; see otp/services/consumer_supervisor.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <optional>
#include <vector>

#include "otp/behaviours/restart_type.hpp"
#include "otp/behaviours/shutdown.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"
#include "otp/services/stage_options.hpp"

namespace otp::detail {

/// `{bad_opts, ...}` when the options cannot work, else nothing.
std::optional<exit_reason> check_consumer_supervisor(bool has_start, restart_type restart,
                                                     int max_restarts);

/// A consumer_supervisor's demand per producer: it asks for max_demand at
/// once, then for the children that ended, once at least min_demand did.
/// @mirrors ConsumerSupervisor's maybe_ask
class consumer_demand {
 public:
  /// A new producer: asks it for max_demand now.
  void subscribe(stage_from producer, const subscription_options& o);
  void cancel(ref tag);
  /// `events` more events taken from producer `tag`, `ended` of them done
  /// (children that ended, or events that started none).
  void handled(ref tag, std::size_t events, std::size_t ended);

 private:
  struct entry {
    stage_from producer;
    std::size_t running = 0;  // events taken, children not yet ended
    std::size_t pending = 0;  // ended, not yet asked for again
    std::size_t min = 0;
    std::size_t max = 0;
  };
  std::vector<entry> all_;
};

/// The restarts of the last period. @mirrors max_restarts / max_seconds
class child_restart_window {
 public:
  /// Records a restart at `now`; false when that makes more than `max`
  /// within `period`.
  bool allow(std::chrono::milliseconds now, int max, std::chrono::milliseconds period);

 private:
  std::deque<std::chrono::milliseconds> at_;
};

/// Sends `shutdown` (or kill) to each child, waits for their EXITs (the
/// caller traps exits) up to the grace, then kills and waits for the rest.
task<void> shut_down_children(std::vector<pid> children, shutdown_spec how);

void log_consumer_supervisor_stray_exit(pid from);
void log_consumer_supervisor_start_error(std::exception_ptr e);

}  // namespace otp::detail

// dynamic_supervisor: a supervisor that starts no children itself; children
// are added on demand, are all alike, and are known by their pid.
//
// | API                                          | mirrors                                   |
// |----------------------------------------------|-------------------------------------------|
// | dynamic_supervisor::start_link(flags, o)     | DynamicSupervisor.start_link/1 + init/1   |
// | dynamic_supervisor::start_child(s, spec)     | DynamicSupervisor.start_child/2           |
// | dynamic_supervisor::start_child<S>(s, a…)    | start_child/2 with {S, a…} and            |
// |                                              | extra_arguments prepended to a…           |
// | dynamic_supervisor::terminate_child(s, pid)  | DynamicSupervisor.terminate_child/2       |
// | dynamic_supervisor::which_children(s)        | DynamicSupervisor.which_children/1        |
// | dynamic_supervisor::count_children(s)        | DynamicSupervisor.count_children/1        |
// | dynamic_supervisor::stop(s, reason, t)       | DynamicSupervisor.stop/3                  |
//
//   auto sup = co_await otp::dynamic_supervisor::start_link({.max_children = 1000});
//   auto c = co_await otp::dynamic_supervisor::start_child<conn>(sup.ref(), socket);
//
// Elixir's `extra_arguments` (terms prepended to every child's start
// arguments) has no typed C++ equivalent: a child spec's start function
// captures all of its arguments, so capture the shared ones there (or pass
// them first to start_child<S>).
//
// Stopping the supervisor stops every child at once: it sends each child its
// shutdown signal (`shutdown`, or `kill` for brutal_kill) and monitors it,
// waits for all the DOWNs, and kills those still alive when their shutdown
// time has passed; the time is linear in the number of children. Children
// are stopped in no particular order, as in Elixir.
//
// The dynamic supervisor is a gen_server (its callback type is
// dynamic_supervisor::server), so sys requests work on it as on any server.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/behaviours/supervisor.hpp"

namespace otp {

/// Dynamic supervisor flags.
/// @mirrors the options of DynamicSupervisor.init/1
struct dynamic_supervisor_flags {
  /// At most this many restarts within `period`; one more and the supervisor
  /// stops all children and exits with `shutdown`. >= 0.
  int intensity = 3;
  /// The sliding window for `intensity`. > 0.
  std::chrono::milliseconds period{5000};
  /// At most this many children (running or waiting to restart); no limit
  /// when empty (`infinity`).
  std::optional<std::size_t> max_children{};
  /// When significant children (transient or temporary, child_spec::significant)
  /// end the supervisor: never, when any of them ends without being
  /// restarted, or when all of them have. It then exits `shutdown`.
  enum auto_shutdown auto_shutdown = auto_shutdown::never;
};

namespace dynamic_supervisor {

class server;
using ref = server_ref<server>;

/// Starts a dynamic supervisor linked to the caller, with no children.
/// @param flags intensity, period (ms), max_children.
/// @param o name and start options.
/// @returns ok(pid); `{error, {bad_flags, {intensity|period, V}}}` for a
///   negative intensity or a period <= 0; `already_started` for a taken name.
/// @exits a caller that does not trap exits dies with the error reason
///   (linked), as with any start_link.
/// @throws otp::badarg outside a process or mailbox thread.
/// @threadsafe Any process or mailbox thread.
/// @mirrors DynamicSupervisor.start_link/1
task<started<server>> start_link(dynamic_supervisor_flags flags, start_options o);
/// start_link without start options.
task<started<server>> start_link(dynamic_supervisor_flags flags = {});

/// A child spec that starts a dynamic supervisor with `flags` and `o` under
/// a supervisor: type supervisor, permanent, shutdown infinity.
/// @param id the child's id in its parent.
/// @mirrors the child spec DynamicSupervisor.child_spec/1 returns
otp::child_spec child_spec(std::string id, dynamic_supervisor_flags flags, start_options o = {});

/// Starts a child from `spec` (linked to the supervisor) and returns when it
/// has started. The spec's id is ignored: children are known by pid.
/// @returns ok(pid); ignore (nothing is kept); `{error, max_children}` (see
///   is_max_children) when max_children children exist;
///   `{error, {invalid_child_spec, ...}}` without a start function;
///   `{error, Reason}` when the start failed or threw.
/// @exits as otp::call when the supervisor is not alive (waits without limit).
/// @threadsafe Any process or mailbox thread.
/// @mirrors DynamicSupervisor.start_child/2
task<start_result> start_child(ref s, otp::child_spec spec);

/// Starts a gen_server child of type S constructed from `args...` (copied
/// into the child spec, so a restart constructs it from the same values):
/// permanent, worker, 5000 ms shutdown.
/// @returns as start_child(s, spec).
/// @mirrors DynamicSupervisor.start_child(sup, {S, args})
template <class S, class... A>
task<start_result> start_child(ref s, A... args) {
  return start_child(std::move(s), worker<S>(std::string(), std::move(args)...));
}

/// True for the `{error, max_children}` outcome of start_child.
bool is_max_children(const start_result& r) noexcept;

/// Stops child `child` per its shutdown (no restart follows) and forgets it.
/// @returns ok, or not_found when `child` is not a child of `s`.
/// @exits as otp::call when the supervisor is not alive.
/// @threadsafe Any process or mailbox thread.
/// @mirrors DynamicSupervisor.terminate_child/2
task<child_result> terminate_child(ref s, pid child);

/// Every child, in no particular order: the id is empty (`undefined`), the
/// pid is null and `restarting` set for a child waiting to restart.
/// @param t how long to wait for the answer: infinity by default, as in
///   Elixir; a tool that must not hang on a suspended or busy supervisor
///   bounds it.
/// @exits as otp::call when the supervisor is not alive; `timeout` after `t`.
/// @mirrors DynamicSupervisor.which_children/1
task<std::vector<child_info>> which_children(ref s, timeout t = timeout(infinity));

/// specs: all children; active: running ones; supervisors / workers: by type.
/// @exits as otp::call when the supervisor is not alive.
/// @mirrors DynamicSupervisor.count_children/1
task<child_counts> count_children(ref s);
/// Stops the dynamic supervisor with `reason`: its children stop in reverse start order,
/// each by its shutdown spec, then it exits. Waits up to `t` for that.
/// A caller linked to it (it was started with start_link) that does not trap
/// exits dies with it unless `reason` is normal: call otp::trap_exit(true)
/// first, or stop it with exit_reason::normal().
/// @exits as gen_server::stop: `noproc` when it is not alive; `timeout`
///   after `t`.
/// @mirrors DynamicSupervisor.stop/3
inline task<void> stop(const ref& s, exit_reason reason = exit_reason::normal(),
                       timeout t = timeout(infinity)) {
  return gen_server::stop(s, std::move(reason), t);
}

}  // namespace dynamic_supervisor
}  // namespace otp

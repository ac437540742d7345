// otp::child_spec: how a supervisor starts, restarts and stops one child.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/restart_type.hpp"
#include "otp/behaviours/shutdown.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// Whether a child is a worker or a supervisor (sets the shutdown default).
enum class child_type : std::uint8_t { worker, supervisor };

/// One child of a supervisor.
/// @mirrors child_spec() of supervisor (a map with id, start, restart,
///   significant, shutdown, type)
struct child_spec {
  /// Unique among the supervisor's children; not empty.
  std::string id;
  /// Starts the child linked to the calling supervisor and returns when it
  /// has started: ok(pid), ignore, or error(reason).
  std::function<task<start_result>()> start;
  restart_type restart = restart_type::permanent;
  /// Default: 5000 ms for workers, infinity for supervisors.
  std::optional<shutdown_spec> shutdown{};
  child_type type = child_type::worker;
  /// With auto_shutdown, the supervisor stops when this child (or all such
  /// children) end. Only for transient and temporary children.
  bool significant = false;

  /// The shutdown in effect (the default when none is given).
  shutdown_spec effective_shutdown() const;
};

namespace detail {

/// Sets in `c` the child-spec defaults server type S declares, as Elixir's
/// `use GenServer, restart: ..., shutdown: ...` does: any of
///   static constexpr otp::restart_type restart = otp::temporary;
///   static constexpr otp::shutdown_spec shutdown = 10'000;  // or brutal_kill, infinity
///   static constexpr otp::child_type type = otp::child_type::supervisor;
///   static constexpr bool significant = true;
template <class S>
void apply_child_defaults(child_spec& c) {
  if constexpr (requires {
                  { S::restart } -> std::convertible_to<restart_type>;
                })
    c.restart = S::restart;
  if constexpr (requires {
                  { S::shutdown } -> std::convertible_to<shutdown_spec>;
                })
    c.shutdown = shutdown_spec(S::shutdown);
  if constexpr (requires {
                  { S::type } -> std::convertible_to<child_type>;
                })
    c.type = S::type;
  if constexpr (requires {
                  { S::significant } -> std::convertible_to<bool>;
                })
    c.significant = S::significant;
}

}  // namespace detail

/// A child spec for a gen_server of type S started with `args...` (copied),
/// with the restart, shutdown, type and significant S declares (see
/// detail::apply_child_defaults), else the usual defaults. The fields can be
/// changed on the returned spec.
/// @mirrors a child spec whose start is {Module, start_link, Args}; the type's
///   defaults mirror `use GenServer, restart:, shutdown:` (Elixir)
template <class S, class... A>
child_spec worker(std::string id, A... args) {
  child_spec c;
  c.id = std::move(id);
  c.start = [args...]() -> task<start_result> {
    co_return co_await gen_server::start_link<S>(start_options{}, args...);
  };
  detail::apply_child_defaults<S>(c);
  return c;
}

/// As worker, registering the server under `name`.
template <class S, class... A>
child_spec named_worker(std::string id, server_name name, A... args) {
  child_spec c;
  c.id = std::move(id);
  c.start = [name = std::move(name), args...]() -> task<start_result> {
    co_return co_await gen_server::start_link<S>({.name = name}, args...);
  };
  detail::apply_child_defaults<S>(c);
  return c;
}

namespace detail {

/// Stops `child` as `how` says: monitor, exit(shutdown) or kill, wait for the
/// DOWN (killing after the timeout), then unlink and drop its exit_msg.
/// @returns the reason the child ended with (`noproc` when it was dead; then
///   the reason from its queued exit_msg, when there is one).
task<exit_reason> shutdown_child(pid child, shutdown_spec how);

}  // namespace detail
}  // namespace otp

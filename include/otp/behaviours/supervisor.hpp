// supervisor: starts children in order, restarts them by strategy, gives up
// when restarts come too fast, and stops them in reverse order.
//
// | API                                   | mirrors                              |
// |---------------------------------------|--------------------------------------|
// | supervisor::start_link(flags, specs)  | supervisor:start_link/2,3 + init/1   |
// | supervisor::start_link<M>(args…)      | supervisor:start_link(Module, Args)  |
// | supervisor::start_child(s, spec)      | supervisor:start_child/2             |
// | supervisor::terminate_child(s, id)    | supervisor:terminate_child/2         |
// | supervisor::restart_child(s, id)      | supervisor:restart_child/2           |
// | supervisor::delete_child(s, id)       | supervisor:delete_child/2            |
// | supervisor::which_children(s)         | supervisor:which_children/1          |
// | supervisor::count_children(s)         | supervisor:count_children/1          |
// | supervisor::get_childspec(s, id)      | supervisor:get_childspec/2           |
// | supervisor::stop(s, reason, t)        | Supervisor.stop/3 (gen_server:stop/3)|
// | supervisor::check_childspecs(specs)   | supervisor:check_childspecs/1        |
// | otp::supervisor_child(id, flags, ...) | a child spec of type supervisor      |
//
//   auto sup = co_await otp::supervisor::start_link(
//       {.strategy = otp::one_for_one, .intensity = 3, .period = 5s},
//       {otp::worker<counter>("counter", 100)});
//
// Or module style, the flags and children decided in the supervisor's own
// process each time it starts (a restart of it runs init again):
//
//   struct shop_sup {
//     explicit shop_sup(int workers) : workers(workers) {}
//     otp::supervisor::init_result init() {
//       if (workers == 0) return otp::supervisor::init_result::ignore();
//       return otp::supervisor::init_result::ok({.strategy = otp::one_for_all},
//                                               {otp::worker<counter>("counter", 100)});
//     }
//     int workers;
//   };
//   auto sup = co_await otp::supervisor::start_link<shop_sup>(4);
//
// The supervisor is a gen_server (its callback type is supervisor::server),
// so sys::get_status, suspend and resume work on it as on any server.
#pragma once

#include <any>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/start_result.hpp"

namespace otp {

/// Which children a supervisor restarts when one terminates.
/// @mirrors strategy() of supervisor
enum class restart_strategy : std::uint8_t {
  one_for_one,   ///< only the one that terminated
  one_for_all,   ///< all: stop the others in reverse order, start all in order
  rest_for_one,  ///< the one and those started after it, likewise
};
inline constexpr restart_strategy one_for_one = restart_strategy::one_for_one;
inline constexpr restart_strategy one_for_all = restart_strategy::one_for_all;
inline constexpr restart_strategy rest_for_one = restart_strategy::rest_for_one;

/// When significant children end the supervisor itself.
/// @mirrors auto_shutdown() of supervisor
enum class auto_shutdown : std::uint8_t { never, any_significant, all_significant };

/// Opt-in delay between restarts (not in OTP; off by default, so default
/// supervisors restart at once as OTP's do). The n-th restart of a child
/// within the intensity period waits min(initial * factor^(n-1), max).
struct restart_backoff {
  std::chrono::milliseconds initial{0};  ///< 0: off
  std::chrono::milliseconds max{0};      ///< cap; 0 means no cap
  double factor = 2.0;
};

/// Supervisor flags. @mirrors sup_flags() of supervisor
struct supervisor_flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  /// At most this many restarts within `period`; one more and the
  /// supervisor stops all children and exits with `shutdown`. >= 0.
  int intensity = 1;
  /// The sliding window for `intensity`. > 0.
  std::chrono::milliseconds period{5000};
  enum auto_shutdown auto_shutdown = auto_shutdown::never;
  restart_backoff backoff{};
};

/// What the child administration functions return.
/// @mirrors the return values of supervisor:start_child/2, terminate_child/2, ...
struct [[nodiscard]] child_result {
  enum class status : std::uint8_t {
    ok,
    already_started,  ///< {error, {already_started, Pid}}
    already_present,  ///< {error, already_present}
    running,          ///< {error, running}
    restarting,       ///< {error, restarting}
    not_found,        ///< {error, not_found}
    error,            ///< {error, Reason}
  };
  status state = status::error;
  pid child;           ///< the started child (ok) or the running one (already_started)
  exit_reason reason;  ///< for `error`
  /// ok from start_child or restart_child: the Info of a start function that
  /// returned `{ok, Pid, Info}` (start_result::ok(pid, info)); else empty.
  std::any info;
  bool ok() const noexcept { return state == status::ok; }
  std::string to_string() const;
};

/// One entry of which_children.
struct child_info {
  std::string id;
  pid child;                ///< null when not running (`undefined`)
  bool restarting = false;  ///< `restarting` instead of a pid
  child_type type = child_type::worker;
  /// The spec's restart type (not in OTP's which_children tuple).
  restart_type restart = restart_type::permanent;
  /// Times the supervisor restarted this child after it died, since the
  /// supervisor started (not in OTP's tuple; an observer shows it).
  std::uint64_t restarts = 0;
};

/// What count_children returns. @mirrors supervisor:count_children/1
struct child_counts {
  std::size_t specs = 0;        ///< child specs, running or not
  std::size_t active = 0;       ///< running children
  std::size_t supervisors = 0;  ///< specs of type supervisor
  std::size_t workers = 0;      ///< specs of type worker
};

namespace supervisor {

class server;

/// What a module-style supervisor's init() returns: the flags and child
/// specs, `ignore`, or an error.
/// @mirrors the return value of Module:init/1 of supervisor
///   ({ok, {SupFlags, [ChildSpec]}} | ignore)
struct [[nodiscard]] init_result {
  enum class status : std::uint8_t { ok, ignore, error };
  status state = status::ignore;
  supervisor_flags flags{};
  std::vector<child_spec> children;
  exit_reason reason;  ///< for `error`

  /// `{ok, {Flags, Children}}`: start the children in order.
  static init_result ok(supervisor_flags f, std::vector<child_spec> c) {
    init_result r;
    r.state = status::ok;
    r.flags = f;
    r.children = std::move(c);
    return r;
  }
  /// `ignore`: start_link returns ignore and the supervisor process ends normal.
  static init_result ignore() { return {}; }
  /// Refuse to start: start_link returns `{error, R}` and the supervisor
  /// exits with R (as OTP's supervisor does for a bad init return).
  static init_result error(exit_reason r) {
    init_result out;
    out.state = status::error;
    out.reason = std::move(r);
    return out;
  }
};

/// A module-style supervisor type: init() gives its flags and children.
template <class M>
concept module = requires(M& m) {
  { m.init() } -> std::same_as<init_result>;
};

}  // namespace supervisor

namespace detail {
/// Starts a module-style supervisor linked to the caller; `init` runs in its
/// process.
task<started<supervisor::server>> start_supervisor_module(
    std::function<supervisor::init_result()> init, const start_options& o);
}  // namespace detail

namespace supervisor {

/// Checks specs as start_link would: ids non-empty and unique, a start
/// function, significant only for transient/temporary children (and only
/// with auto_shutdown), valid shutdown.
/// @returns std::nullopt when valid, else the error naming the child and field,
///   e.g. `{invalid_child_spec,{"db",significant,permanent}}`.
/// @mirrors supervisor:check_childspecs/2
std::optional<exit_reason> check_childspecs(const std::vector<child_spec>& specs,
                                            enum auto_shutdown a = auto_shutdown::never);

/// Starts a supervisor linked to the caller; returns when every child has
/// started (in list order).
/// @returns ok; `{error, {shutdown, {failed_to_start_child, Id, Reason}}}`
///   when a child failed to start (those already started are stopped in
///   reverse order first); `{error, {bad_flags|invalid_child_spec, ...}}`
///   for invalid flags or specs; `already_started` for a taken name.
/// @mirrors supervisor:start_link/3
task<started<server>> start_link(supervisor_flags flags, std::vector<child_spec> children,
                                 const start_options& o);
/// start_link without options (no name, no start timeout).
task<started<server>> start_link(supervisor_flags flags, std::vector<child_spec> children);

/// Starts a module-style supervisor linked to the caller: in the new
/// process, constructs M(args...) (args copied), calls M::init(), and starts
/// the children it returns as start_link(flags, specs) would. M lives only
/// while init runs; a restart of the supervisor constructs and asks it again.
/// @returns as start_link(flags, specs); `ignore` when init returned
///   init_result::ignore(); `{error, R}` for init_result::error(R), or R
///   the exception when M's constructor or init threw.
/// @mirrors supervisor:start_link/2,3 with a callback module
template <module M, class... A>
task<started<server>> start_link(start_options o, A... args) {
  return otp::detail::start_supervisor_module([args...]() { return M(args...).init(); }, o);
}
/// Module-style start_link without options.
template <module M, class... A>
requires otp::detail::no_start_options_first<A...> task<started<server>> start_link(A... args) {
  return start_link<M>(start_options{}, std::move(args)...);
}

using ref = server_ref<server>;

/// Adds a child spec and starts the child.
/// @returns ok(pid), ok with a null pid when the start returned ignore (the
///   spec is kept), already_started(pid), already_present (a stopped child
///   has that id), or error(reason) (an invalid spec or a failed start).
/// @exits as otp::call when the supervisor is not alive.
/// @mirrors supervisor:start_child/2
task<child_result> start_child(ref s, child_spec spec);
/// Stops a running child per its shutdown; the spec stays (not for temporary
/// children, which are removed).
/// @returns ok or not_found. @mirrors supervisor:terminate_child/2
task<child_result> terminate_child(ref s, std::string_view id);
/// Starts a stopped child again from its spec.
/// @returns ok(pid), running, restarting, not_found or error(reason).
/// @mirrors supervisor:restart_child/2
task<child_result> restart_child(ref s, std::string_view id);
/// Removes the spec of a stopped child.
/// @returns ok, running, restarting or not_found. @mirrors supervisor:delete_child/2
task<child_result> delete_child(ref s, std::string_view id);
/// The children, newest first (as OTP lists them).
/// @param t how long to wait for the answer: infinity by default, as in OTP;
///   a tool that must not hang on a suspended or busy supervisor bounds it.
/// @exits as otp::call: `timeout` after `t`.
/// @mirrors supervisor:which_children/1
task<std::vector<child_info>> which_children(ref s, timeout t = timeout(infinity));
/// @mirrors supervisor:count_children/1
task<child_counts> count_children(ref s);
/// Stops the supervisor with `reason`: its children stop in reverse start order,
/// each by its shutdown spec, then it exits. Waits up to `t` for that.
/// A caller linked to it (it was started with start_link) that does not trap
/// exits dies with it unless `reason` is normal: call otp::trap_exit(true)
/// first, or stop it with exit_reason::normal().
/// @exits as gen_server::stop: `noproc` when it is not alive; `timeout`
///   after `t`.
/// @mirrors Supervisor.stop/3 (Elixir; OTP stops supervisors with gen_server:stop/3)
inline task<void> stop(const ref& s, exit_reason reason = exit_reason::normal(),
                       timeout t = timeout(infinity)) {
  return gen_server::stop(s, std::move(reason), t);
}
/// The spec of child `id`, or std::nullopt (not_found).
/// @mirrors supervisor:get_childspec/2
task<std::optional<child_spec>> get_childspec(ref s, std::string_view id);

}  // namespace supervisor

/// A child spec for a supervisor child: shutdown defaults to infinity, type
/// supervisor. Restarting it restarts its static children only.
child_spec supervisor_child(std::string id, supervisor_flags flags,
                            std::vector<child_spec> children, start_options o = {});

/// A child spec for a module-style supervisor M started with `args...`
/// (copied): type supervisor, shutdown infinity, and the restart, shutdown
/// and significant M declares (as worker<S> picks them up).
template <supervisor::module M, class... A>
child_spec supervisor_child(std::string id, A... args) {
  child_spec c;
  c.id = std::move(id);
  c.type = child_type::supervisor;
  c.start = [args...]() -> task<start_result> {
    co_return co_await supervisor::start_link<M>(start_options{}, args...);
  };
  detail::apply_child_defaults<M>(c);
  return c;
}

}  // namespace otp

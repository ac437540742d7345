// otp::application: loading, starting and stopping applications on a node
// (OTP's application controller).
//
// | here                                        | OTP                                  |
// |---------------------------------------------|--------------------------------------|
// | application::load(spec)                     | application:load/1                   |
// | application::unload(name)                   | application:unload/1                 |
// | co_await application::start(name, type)     | application:start/2                  |
// | co_await application::ensure_all_started(n) | application:ensure_all_started/2     |
// | co_await application::stop(name)            | application:stop/1                   |
// | co_await application::stop_all()            | what init:stop/0 does to applications |
// | application::which_applications()           | application:which_applications/0     |
// | application::loaded_applications()          | application:loaded_applications/0    |
// | application::change_config(envs)           | application_controller:config_change/1 |
// | otp::get_application() (application_tag.hpp) | application:get_application/0        |
//
// Each started application has a master process: it calls the spec's start
// callback (so the root supervisor is linked to it), traps exits, and on a
// stop request calls prep_stop, shuts the root supervisor down (`shutdown`,
// waiting as long as it takes, as for a supervisor child) and calls stop. The
// masters are linked to the node's controller process, registered as
// "application_controller". node::stop() sends that controller `shutdown`,
// and it stops the running applications one at a time, in reverse start
// order, before it ends. The guide is docs/guide/application.md.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/behaviours/application_spec.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/task.hpp"

namespace otp {

/// Why an application operation failed.
enum class application_error : std::uint8_t {
  none,
  /// Not loaded (for start: never loaded; included applications must be loaded too).
  /// @mirrors {error, {"no such file or directory", "App.app"}}
  unknown_application,
  /// A second load of a name with a different spec, or an invalid spec
  /// (bad name, an application that includes or needs itself).
  bad_application,
  /// start of a running (or starting) application. @mirrors {error, {already_started, App}}
  already_started,
  /// start with a dependency not running, or stop / unload of an application
  /// that is not running / loaded. @mirrors {error, {not_started, App}}
  not_started,
  /// unload of a running application. @mirrors {error, {running, App}}
  running,
  /// ensure_all_started found a cycle in `applications` (the outcome's
  /// `names` hold it, first name repeated last).
  /// @mirrors {error, {circular_dependencies, Apps}}
  circular_dependencies,
  /// The start callback returned an error or ignore, or threw (the
  /// outcome's `reason` says what). @mirrors {error, {App, Reason}}
  start_failed,
  /// The node is shutting its applications down (after stop_all or a
  /// permanent application's end): no more starts.
  shutting_down,
};

/// `unknown_application`, `already_started`, ...
std::string_view to_string(application_error e) noexcept;

/// What an application operation answers.
/// @threadsafe Value type.
struct [[nodiscard]] application_outcome {
  application_error error = application_error::none;
  /// The application the error is about (may be a dependency of the one asked for).
  std::string application;
  /// start_failed: what the start callback returned or threw.
  exit_reason reason;
  /// ensure_all_started: the applications it started, in start order (on
  /// success). circular_dependencies: the cycle.
  std::vector<std::string> names;

  explicit operator bool() const noexcept { return error == application_error::none; }
  /// Erlang-like: `ok`, `{ok,[a,b]}`, `{error,{already_started,shop}}`,
  /// `{error,{shop,{exception,std::runtime_error,"boom"}}}`,
  /// `{error,{circular_dependencies,[a,b,a]}}`.
  std::string to_string() const;
};

/// One row of which_applications / loaded_applications.
/// @mirrors {Application, Description, Vsn}
struct application_info {
  std::string name;
  std::string description;
  std::string version;
};

namespace application {

/// Loads `spec` on node `n` (no process starts): its defaults fill the keys of
/// its environment that are not set yet (a value put_env'd or configured
/// before the load wins). Loading the same name again is `ok` when it is the
/// same application (same name, version and dependencies), `bad_application`
/// otherwise, as is an invalid name.
/// @mirrors application:load/1
application_outcome load(node& n, application_spec spec);
application_outcome load(application_spec spec);

/// Forgets a loaded application that is not running (and its environment).
/// @returns not_started when it is not loaded; running when it runs.
/// @mirrors application:unload/1
application_outcome unload(node& n, std::string_view name);

/// Starts loaded application `name`: every application it needs must be
/// running. Answers after the start callback has returned: `ok`, or
/// unknown_application, already_started, not_started (naming the missing
/// dependency), start_failed, shutting_down. An application started on the
/// caller's node. Call from a process (co_await) or a thread with an
/// otp::mailbox (.get()). @throws otp::badarg elsewhere.
/// @mirrors application:start/2
task<application_outcome> start(std::string name, restart_type type = restart_type::temporary);

/// Starts `name` after every application it needs, directly or not, that is
/// not running yet, in dependency order. On success `names` lists what it
/// started (empty when all ran). When one fails to start, those it started
/// are stopped again, in reverse, and the outcome names the one that failed.
/// @returns also unknown_application (a dependency not loaded),
///   circular_dependencies.
/// @mirrors application:ensure_all_started/2
task<application_outcome> ensure_all_started(std::string name,
                                             restart_type type = restart_type::temporary);

/// Stops running application `name`: prep_stop, the root supervisor's
/// shutdown (its children in reverse start order within their shutdown
/// specs), stop. Its dependencies go on running. Answers when it has
/// stopped; not_started when it was not running.
/// @mirrors application:stop/1
task<application_outcome> stop(std::string name);

/// Stops every running application, the last started first, and refuses
/// further starts (shutting_down): the application part of an orderly node
/// stop (init:stop/0). Answers when all have stopped.
task<application_outcome> stop_all();

/// The running applications, the most recently started first.
/// @mirrors application:which_applications/0
std::vector<application_info> which_applications(node& n);
std::vector<application_info> which_applications();

/// The loaded applications (running or not), by name.
/// @mirrors application:loaded_applications/0
std::vector<application_info> loaded_applications(node& n);
std::vector<application_info> loaded_applications();

/// The loaded spec of `name`, or nullptr.
std::shared_ptr<const application_spec> spec(node& n, std::string_view name);

/// Replaces the environments of the applications in `envs` (a JSON object:
/// application → object of key → value), then calls config_change on each
/// running application whose environment changed, with what changed, in start
/// order. An exception from config_change is reported and the rest go on.
/// @mirrors application_controller:config_change/1 (what release_handler
///   calls after it has read a new sys.config)
void change_config(node& n, const nlohmann::json& envs);

/// When a permanent application ended (or a transient one abnormally), the
/// reason the node must halt with: the other applications have then been
/// stopped. Waits up to `wait` for that to happen; nullopt if it has not.
/// otp::boot waits on this and exits non-zero with the reason.
std::optional<exit_reason> await_halt(node& n, std::chrono::milliseconds wait);

}  // namespace application

}  // namespace otp

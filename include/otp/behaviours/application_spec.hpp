// otp::application_spec: an application as OTP declares it in its .app file
// and callback module, in one C++ value.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "otp/behaviours/restart_type.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/task.hpp"

namespace otp {

/// Why an application's start callback is called.
/// @mirrors start_type() of Module:start/2 (`takeover` and `failover` come
///   with distributed applications, which this library does not have yet)
enum class start_type : std::uint8_t { normal };

/// The keys of an application's environment that a configuration change
/// touched, as OTP's config_change/3 receives them.
/// @mirrors config_change(Changed, New, Removed)
struct config_changes {
  /// Keys present before and after, with a different value: key → new value.
  nlohmann::json changed = nlohmann::json::object();
  /// Keys that were not there before: key → value.
  nlohmann::json added = nlohmann::json::object();
  /// Keys that are gone.
  std::vector<std::string> removed;

  bool empty() const noexcept { return changed.empty() && added.empty() && removed.empty(); }
  /// The changes from environment `before` to `after` (both JSON objects).
  static config_changes between(const nlohmann::json& before, const nlohmann::json& after);
};

/// An application: a named component with a version, the applications it
/// needs, its default environment and the callbacks that start and stop its
/// supervision tree. Load it with application::load, start it with
/// application::start or application::ensure_all_started.
///
/// ```cpp
/// otp::application_spec shop{
///     .name = "shop", .version = "1.2.0", .description = "the shop",
///     .applications = {"repo"},                 // started before shop
///     .env = {{"port", 8080}, {"pool", {{"size", 4}}}},
///     .start = [](otp::start_type) -> otp::task<otp::start_result> {
///       co_return co_await otp::supervisor::start_link(flags, children());
///     },
///     .stop = [] { std::puts("shop stopped"); }};
/// ```
///
/// The callbacks run in the application's master process (a process of the
/// node that is the application's root supervisor's parent), one at a time.
/// @threadsafe Value type; a loaded spec is only read.
/// @mirrors the application resource file (.app) and the application behaviour
struct application_spec {
  /// Lower-case name, unique on the node: letters, digits and `_`, starting
  /// with a letter (so that it maps to an environment variable and a TOML
  /// table). @mirrors {application, Name, ...}
  std::string name;
  /// @mirrors {vsn, Vsn}
  std::string version;
  /// @mirrors {description, Description}
  std::string description;
  /// Applications that must be running before this one starts; ensure_all_started
  /// starts them first, in this order. @mirrors {applications, Apps}
  std::vector<std::string> applications;
  /// Applications this one includes: loaded (they must be), never started on
  /// their own; this application's supervision tree starts their processes.
  /// @mirrors {included_applications, Apps}
  std::vector<std::string> included_applications;
  /// The default environment: a JSON object, key → value. Configuration
  /// (a file, environment variables, --set) overrides it key by key.
  /// @mirrors {env, [{Key, Value}]}
  nlohmann::json env = nlohmann::json::object();
  /// True: `env` lists every key the application reads, and a configuration
  /// that sets another key is an error (a typo caught at boot).
  bool declared_keys_only = false;
  /// Starts the application's root supervisor linked to the calling process
  /// (the master) and returns its start result; an error or an exception
  /// fails the start. Empty for a library application (no processes), which
  /// is then only marked as running. @mirrors Module:start/2
  std::function<task<start_result>(start_type)> start;
  /// Called before the root supervisor is shut down. @mirrors Module:prep_stop/1
  std::function<void()> prep_stop;
  /// Called after the root supervisor has stopped (or ended on its own).
  /// @mirrors Module:stop/1
  std::function<void()> stop;
  /// Called on a running application after its environment changed
  /// (application::change_config). @mirrors Module:config_change/3
  std::function<void(const config_changes&)> config_change;
};

}  // namespace otp

// otp::boot: the main() of a service built from applications, the way
// `erl -config sys -s` or `mix run --no-halt` starts a release.
//
//   int main(int argc, char** argv) {
//     return otp::boot(argc, argv, {.program = "shop",
//                                   .applications = {repo_app(), shop_app()},
//                                   .start = {"shop"}});
//   }
//
// What it does, in order:
//  1. Reads the standard flags (below) and the configuration: the
//     applications' defaults, the --config TOML file, OTP__APP__KEY
//     environment variables, --set app.key=value (docs/guide/config.md).
//     A bad file, value or flag ends the program before anything starts:
//     one line on stderr (`shop: shop.toml:3:7: ...`), exit status 2.
//     --print-config prints the merged configuration with each value's
//     origin and exits 0.
//  2. Starts a node, configures the logger from the `[logger]` table
//     (docs/guide/logging.md), loads every application with its configured
//     environment, and starts each of `start` with ensure_all_started, as
//     `restart` (permanent by default, as a release starts its
//     applications). A failed start: one line on stderr, the started
//     applications stopped again, exit status 1.
//  3. Waits. SIGTERM or SIGINT (or the end of standard input, with
//     --stop-on-eof) stops the node as init:stop() does: the applications
//     in reverse start order, each root supervisor stopping its children in
//     reverse start order within their shutdown specs, prep_stop and stop
//     called; then the log is flushed and boot returns 0. A second SIGINT or
//     SIGTERM during that stop ends the program at once (_exit, status 130);
//     the end of standard input is not a signal, so a SIGTERM after it is a
//     first one.
//     SIGHUP reads the configuration again and calls config_change on the
//     running applications whose environment changed (a bad configuration
//     is logged and the old one kept).
//  4. When a permanent application ends (or a transient one abnormally),
//     the other applications are stopped and boot returns 3, with
//     `shop: {application_terminated,shop,Reason}` on stderr, for the
//     service manager (systemd's Restart=on-failure, Kubernetes) to start
//     it again.
//
// Standard flags: --config FILE, --set APP.KEY=VALUE (repeatable),
// --print-config, --schedulers N, --stop-on-eof, --help.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "otp/behaviours/application_spec.hpp"
#include "otp/behaviours/restart_type.hpp"
#include "otp/runtime/node.hpp"

namespace otp {

/// What a service's main() hands to otp::boot.
struct boot_options {
  /// The program's name, at the start of every line boot writes to stderr.
  std::string program;
  /// One line for --help.
  std::string description = {};
  /// Every application the service has; all are loaded.
  std::vector<application_spec> applications = {};
  /// The applications to start (with their dependencies), in order.
  std::vector<std::string> start = {};
  /// How they start. @mirrors the restart type of a release's applications
  restart_type restart = restart_type::permanent;
  /// The node's settings (--schedulers overrides `schedulers`).
  node_options node = {};
  /// Called on the main thread (which has an otp::mailbox) once every
  /// application has started: print the port a parent waits for, say.
  std::function<void(otp::node&)> started = {};
  /// Called on the main thread when the service ends after `started` ran
  /// (an orderly stop or a halt), once its applications have stopped and
  /// before the node does: release what `started` made (an otp::observer, say).
  std::function<void(otp::node&)> stopping = {};
};

/// Exit statuses of boot, besides 0 (an orderly stop).
enum boot_status : int {
  boot_start_failed = 1,  ///< an application did not start
  boot_bad_config = 2,    ///< bad flags or configuration: nothing started
  boot_halted = 3,        ///< a permanent application ended
  boot_forced = 130,      ///< a second SIGINT / SIGTERM during the stop
};

/// Runs a service: configuration, node, applications, wait, orderly stop
/// (see the top of this header). Installs handlers for SIGTERM, SIGINT and
/// SIGHUP and ignores SIGPIPE (a peer that went away makes a write fail
/// with EPIPE rather than end the program).
/// @returns the exit status for main() to return.
int boot(int argc, char** argv, boot_options o);

}  // namespace otp

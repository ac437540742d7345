// The risk rules in the service: the `risk` server, an
// otp::module_server<risk_api> running the current version of the module
// `order_risk` (risk/risk_api.hpp), and the upgrade of its code while the
// service runs (POST /admin/upgrade; docs/guide/hot_upgrade.md).
//
// At start the service loads the version made permanent (recorded in the
// database's settings by an upgrade or downgrade asked to be permanent), or
// else the one its configuration names, from the modules directory. An
// upgrade not made permanent lasts as long as the OS process: a service
// started again loads the configured version, as an OTP release upgrade not
// made permanent (release_handler:make_permanent/1) is undone by a restart.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "otp/otp.hpp"
#include "otp/services/module_server.hpp"
#include "risk/risk_api.hpp"

namespace order_system {

/// The risk server's gen_server type, and the name it registers under.
using risk_server = otp::module_server<risk_api>;
inline constexpr const char* risk_name = "risk";

/// Where the rules come from (`[order_system.risk]`).
struct risk_options {
  /// The directory modules are loaded from (the only one: an upgrade names
  /// a file in it).
  std::string modules_dir;
  /// The version started with, a file in modules_dir; empty: no risk rules
  /// (no `risk` server; orders are not assessed).
  std::string module_file;
  risk_limits limits{.max_order_cents = 100'000, .max_customer_cents = 1'000'000};

  bool enabled() const { return !module_file.empty(); }
};

/// The library `file` of the modules directory.
/// @throws std::invalid_argument when `file` is not a plain file name (empty,
///   with a '/', "." or ".."): nothing outside the directory is loaded.
std::string module_path(const risk_options& o, std::string_view file);

/// The key of the settings table that holds the version made permanent.
inline constexpr const char* risk_setting = "risk.module";

/// Loads `permanent` (a file of the modules directory made permanent), or
/// when it is absent or cannot be loaded (a warning is logged) the
/// configured version, as the current one of `order_risk`, unless it is
/// that already. (So a tree started again in the same program keeps the
/// loaded code when it is that file, and otherwise goes back to it, as a
/// new OS process would.) Call from a process or a thread holding an
/// otp::mailbox.
/// @returns the file loaded.
/// @throws std::invalid_argument (module_path), otp::code::code_error when
///   the configured library cannot be loaded.
std::string load_risk_rules(const risk_options& o, const std::optional<std::string>& permanent);

/// What an upgrade or downgrade of the rules did.
struct risk_change {
  otp::code::upgrade_report report;
  /// Recorded as the version the service starts with (risk_setting).
  bool permanent = false;
  /// Why it could not be recorded, when asked and the change succeeded
  /// (the repo stayed down for about 5 s); the change itself stands.
  std::string permanent_error;
};

/// Installs `file` of the modules directory as the rules' new version and
/// moves the running `risk` server to it (otp::code::install: all or none,
/// rolled back on failure); when it succeeded and `permanent` is asked,
/// records `file` in the settings (through the repo, asked again while it
/// restarts, for about 5 s; a write that timed out may still land later). One upgrade or downgrade
/// at a time in the program, the record included. Call from a thread holding an otp::mailbox: it
/// blocks.
/// @throws std::invalid_argument (module_path), otp::code::code_error when
///   the library cannot be loaded (nothing changes) or another upgrade runs.
risk_change upgrade_risk_rules(const risk_options& o, const std::string& file,
                               const std::string& extra, bool permanent);

/// Moves the running `risk` server back to the rules' old version
/// (otp::code::downgrade: all or none; the old version is current again),
/// recording it when `permanent`, as upgrade_risk_rules.
/// @throws otp::code::code_error when another upgrade runs.
risk_change downgrade_risk_rules(const std::string& extra, bool permanent);

/// The file of the modules directory that the current version of the rules
/// came from (what an upgrade made permanent records), or empty.
std::string current_risk_file();

}  // namespace order_system

// The risk rules in the service: the `risk` server, an
// otp::module_server<risk_api> running the current version of the module
// `order_risk` (risk/risk_api.hpp), and the upgrade of its code while the
// service runs (POST /admin/upgrade; docs/guide/hot_upgrade.md).
//
// At start the service loads the version its configuration names from the
// modules directory. An upgrade lasts as long as the OS process: a service
// started again loads the configured version (as an OTP release upgrade not
// made permanent is undone by a restart).
#pragma once

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

/// Loads the configured version as the current one of `order_risk`, unless
/// it is that already (a tree started again in the same program keeps the
/// loaded code). Call from a process or a thread holding an otp::mailbox.
/// @throws std::invalid_argument (module_path), otp::code::code_error when
///   the library cannot be loaded.
void load_risk_rules(const risk_options& o);

/// Installs `file` of the modules directory as the rules' new version and
/// moves the running `risk` server to it (otp::code::install: all or none,
/// rolled back on failure). Only one runs at a time in the program.
/// @returns the install's report.
/// @throws std::invalid_argument (module_path), otp::code::code_error when
///   the library cannot be loaded (nothing changes).
otp::task<otp::code::upgrade_report> upgrade_risk_rules(risk_options o, std::string file,
                                                        std::string extra);

}  // namespace order_system

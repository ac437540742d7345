// otp::config::config_change: what changed in one application's environment
// between two loads of the configuration, in the shape OTP's
// Module:config_change(Changed, New, Removed) callback receives.
//
//   auto before = otp::config::load(known, s);
//   ...                                        // the file is edited
//   auto after = otp::config::load(known, s);
//   auto c = otp::config::changes_of(before, after, "order_system");
//   if (!c.empty()) app.config_change(c);      // the controller's business
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/services/config.hpp"

namespace otp::config {

/// The difference between two environments of one application. A key whose
/// value is equal in both (even when it now comes from another source) is
/// in none of the lists; a table that differs anywhere is changed as a
/// whole, with its whole new value.
/// @threadsafe Value type.
/// @mirrors the arguments of Module:config_change(Changed, New, Removed)
struct config_change {
  /// Keys in both, with different values: key and new value, in key order.
  std::vector<std::pair<std::string, nlohmann::json>> changed = {};
  /// Keys only in the new environment: key and value, in key order.
  std::vector<std::pair<std::string, nlohmann::json>> added = {};
  /// Keys only in the old environment, in key order.
  std::vector<std::string> removed = {};

  /// True when nothing changed (the callback need not be called).
  bool empty() const noexcept { return changed.empty() && added.empty() && removed.empty(); }

  friend bool operator==(const config_change&, const config_change&) = default;
};

/// What changed in application `app`'s environment from `before` to `after`.
/// An application absent from one of the sets counts as having no keys there.
/// @param before the configuration the application runs with.
/// @param after the configuration just loaded.
/// @param app the application's name.
/// @return the changed, new and removed keys.
/// @threadsafe Reads only its arguments.
/// @mirrors what application_controller:config_change/1 computes per application
config_change changes_of(const config_set& before, const config_set& after, std::string_view app);

}  // namespace otp::config

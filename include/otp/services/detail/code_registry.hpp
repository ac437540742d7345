// What module_server asks the code server (otp/services/code_server.hpp):
// the version to run, and which processes run which version.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "otp/runtime/pid.hpp"

namespace otp::code_detail {

/// One loaded version of a module.
struct loaded_module {
  std::string name;
  std::string vsn;
  std::string path;
  std::string interface;
  std::string fingerprint;  ///< interface_fingerprint of the interface it was built with
  /// The library: dlclose'd when the last reference goes.
  std::shared_ptr<void> library;
  /// Its module_code<Api>*, of static storage in the library.
  void* code = nullptr;
};

/// The current version of module `name`.
/// @throws otp::code::code_error when it is not loaded, or was built with
///   another interface than the one `fingerprint` describes.
std::shared_ptr<const loaded_module> current(std::string_view name, const std::string& fingerprint);

/// The old version of module `name`.
/// @throws otp::code::code_error when there is none, or as current().
std::shared_ptr<const loaded_module> old(std::string_view name, const std::string& fingerprint);

/// current(), with `self` recorded as running it in the same step (no load
/// can drop it in between). @throws as current()
std::shared_ptr<const loaded_module> enter_current(std::string_view name,
                                                   const std::string& fingerprint, pid self);

/// Records that `self` runs `to` instead of `from`; false, changing nothing,
/// when `to` is no longer loaded (two loads purged it meanwhile).
bool move(const loaded_module& from, const std::shared_ptr<const loaded_module>& to, pid self);

/// Records that `self` no longer runs `m`.
void leave(const loaded_module& m, pid self) noexcept;

/// The processes that run a version of `name` other than the current one.
std::vector<pid> running_old(std::string_view name);

/// The processes that run the current version of `name`.
std::vector<pid> running_current(std::string_view name);

/// Held while one upgrade_all, install or downgrade of a module runs: two at
/// once would each load or revert under the other's processes.
class change_guard {
 public:
  /// @throws otp::code::code_error when a change of `module` runs already.
  explicit change_guard(std::string module);
  ~change_guard();
  change_guard(const change_guard&) = delete;
  change_guard& operator=(const change_guard&) = delete;

 private:
  std::string module_;
};

}  // namespace otp::code_detail

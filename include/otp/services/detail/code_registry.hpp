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
  /// The library: dlclose'd when the last reference goes.
  std::shared_ptr<void> library;
  /// Its module_code<Api>*, of static storage in the library.
  void* code = nullptr;
};

/// The current version of module `name`.
/// @throws otp::code::code_error when it is not loaded, or implements
///   another interface than `interface`.
std::shared_ptr<const loaded_module> current(std::string_view name, std::string_view interface);

/// Records that `self` runs version `m` (enter) or no longer does (leave).
void enter(const std::shared_ptr<const loaded_module>& m, pid self);
void leave(const loaded_module& m, pid self) noexcept;

/// The processes that run a version of `name` other than the current one.
std::vector<pid> running_old(std::string_view name);

}  // namespace otp::code_detail

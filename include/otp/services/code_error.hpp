// The error the code server reports a module it cannot load with.
#pragma once

#include <stdexcept>
#include <string>

namespace otp::code {

/// A module that cannot be loaded or run: which, and why.
class code_error : public std::runtime_error {
 public:
  explicit code_error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace otp::code

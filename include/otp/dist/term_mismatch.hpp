// otp::term_mismatch: a term that is not the C++ type asked for.
#pragma once

#include <stdexcept>
#include <string>

#include "otp/dist/term.hpp"

namespace otp {

/// Thrown by otp::from_term<T> when the term is not a T: what was expected,
/// and the term as erl prints it.
/// @mirrors error:badarg (or a failed match) on the Erlang side
class term_mismatch : public std::runtime_error {
 public:
  term_mismatch(const std::string& expected, const term& got)
      : std::runtime_error("from_term: expected " + expected + ", got " + got.to_string()),
        expected_(expected) {}
  const std::string& expected() const noexcept { return expected_; }

 private:
  std::string expected_;
};

}  // namespace otp

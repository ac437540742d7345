// exit_of(f): runs f, expects it to exit (throw otp::exit_error), and returns
// the reason; a test failure (and `normal`) when f returns instead.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/exit_reason.hpp"

namespace otp_test {

template <class F>
otp::exit_reason exit_of(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const otp::exit_error& e) {
    return e.reason();
  }
  ADD_FAILURE() << "expected an exit, got a return";
  return otp::exit_reason::normal();
}

}  // namespace otp_test

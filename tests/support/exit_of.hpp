// exit_of(f): runs f, expects it to exit (throw otp::exit_error), and returns
// the reason; a test failure (and `normal`) when f returns instead.
// is_boom(r): r is the exception exit of a std::runtime_error("boom").
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

/// True when `r` is the exit of a body that threw std::runtime_error("boom").
inline bool is_boom(const otp::exit_reason& r) {
  return r.is(otp::exit_reason::kind::exception) && r.detail() == "boom";
}

}  // namespace otp_test

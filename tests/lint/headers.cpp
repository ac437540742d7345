// The public headers, for clang-tidy (lint.clang_tidy): every implicit
// single-argument constructor there is one the API means (NOLINT with why).
#include "otp/otp.hpp"

// The public headers, for clang-tidy (lint.clang_tidy): every implicit
// single-argument constructor there is one the API means (NOLINT with why).
// otp/dist/ is a library of its own (otp::dist), so its headers come apart.
#include "otp/dist/etf.hpp"
#include "otp/dist/term_codec.hpp"
#include "otp/otp.hpp"

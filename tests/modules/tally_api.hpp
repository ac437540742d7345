// The interface of the test module `tally` (tests/modules/tally_v*.cpp), as
// the host program and every version compile it.
#pragma once

#include <string>

#include "otp/services/module.hpp"

// [api]
struct tally_api {
  static constexpr const char* name = "tally";
  /// Adds `by`; the new total.
  struct add {
    int by;
    using reply = int;
  };
  /// What the version is and holds, as text.
  struct describe {
    using reply = std::string;
  };
  /// Back to zero.
  struct reset {};
  using calls = otp::module_calls<add, describe>;
  using casts = otp::module_casts<reset>;
  using start_arg = int;
};
// [end]

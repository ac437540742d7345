// A module named `tally` built with another interface than tally_api (a
// call fewer): the code server must refuse it next to tally's versions.
#include <string>

#include "otp/services/module.hpp"

struct tally_api_edited {
  static constexpr const char* name = "tally";
  struct add {
    int by;
    using reply = int;
  };
  using calls = otp::module_calls<add>;
  using casts = otp::module_casts<>;
  using start_arg = int;
};

struct tally_edited {
  static constexpr const char* state_tag = "tally.edited";
  int n;
  explicit tally_edited(int start) : n(start) {}
  int handle_call(const tally_api_edited::add& a) { return n += a.by; }
};

OTP_MODULE(tally_api_edited, tally_edited)

// Version 3 of the test module `tally`: its code_change always throws, so an
// upgrade to it fails and leaves every process on version 2.
#include <stdexcept>

#include "modules/tally_v2.hpp"

struct tally_v3 {
  static constexpr const char* state_tag = "tally.v3";
  using previous = tally_v2;
  int n;
  explicit tally_v3(int start) : n(start) {}
  tally_v3(const tally_v2&, std::string_view, std::string_view) : n(0) {
    throw std::runtime_error("tally v3 cannot read version 2's state");
  }
  int handle_call(const tally_api::add& a) { return n += a.by; }
  std::string handle_call(const tally_api::describe&) const { return "v3"; }
  void handle_cast(const tally_api::reset&) { n = 0; }
};

OTP_MODULE(tally_api, tally_v3)

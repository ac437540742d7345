// Version 1's state: what version 2 upgrades from (it includes this header).
#pragma once

#include <string>

#include "modules/tally_api.hpp"

struct tally_v1 {
  static constexpr const char* state_tag = "tally.v1";
  int n;
  explicit tally_v1(int start) : n(start) {}
  int handle_call(const tally_api::add& a) { return n += a.by; }
  std::string handle_call(const tally_api::describe&) const { return "v1 n=" + std::to_string(n); }
  void handle_cast(const tally_api::reset&) { n = 0; }
};

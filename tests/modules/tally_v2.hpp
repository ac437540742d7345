// Version 2's state: the total and how many adds it has seen since the
// upgrade (a field version 1 did not have).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "modules/tally_v1.hpp"
#include "otp/runtime/process.hpp"

// [state]
struct tally_v2 {
  static constexpr const char* state_tag = "tally.v2";
  using previous = tally_v1;
  int n;
  int adds = 0;
  explicit tally_v2(int start) : n(start) {}
  /// code_change from version 1: the total carries over. `extra` "fail"
  /// makes it throw (a failed upgrade); "fail at 7" only for a total of 7;
  /// "die at 7" kills the server of a total of 7 once this returns.
  tally_v2(const tally_v1& old, std::string_view, std::string_view extra) : n(old.n) {
    if (extra == "fail" || (extra == "fail at 7" && old.n == 7))
      throw std::runtime_error("tally v2: asked to fail");
    if (extra == "die at 7" && old.n == 7) otp::exit(otp::self(), otp::exit_reason::kill());
  }
  /// code_change down to version 1: the total goes back, the adds are
  /// dropped; `extra` "fail" makes it throw.
  tally_v1 downgrade(std::string_view, std::string_view extra) const {
    if (extra == "fail") throw std::runtime_error("tally v2: asked to fail the downgrade");
    return tally_v1(n);
  }
  int handle_call(const tally_api::add& a) {
    ++adds;
    return n += a.by;
  }
  std::string handle_call(const tally_api::describe&) const {
    return "v2 n=" + std::to_string(n) + " adds=" + std::to_string(adds);
  }
  void handle_cast(const tally_api::reset&) { n = 0; }
};
// [end]

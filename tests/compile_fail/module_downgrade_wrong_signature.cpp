// A version's downgrade (code_change({down, Vsn}, ...)) has one signature:
// `previous downgrade(std::string_view to_vsn, std::string_view extra)
// const`. One that takes other arguments must not compile (it would
// otherwise be taken for a version without a downgrade and refuse every
// downgrade at run time).
#include <string>
#include <string_view>

#include "modules/tally_v1.hpp"

namespace {

struct tally_wrong_down {
  static constexpr const char* state_tag = "tally.wrong_down";
  using previous = tally_v1;
  int n;
  explicit tally_wrong_down(int start) : n(start) {}
  tally_wrong_down(const tally_v1& old, std::string_view, std::string_view) : n(old.n) {}
#if OTP_COMPILE_FAIL
  tally_v1 downgrade(std::string_view extra) const { return tally_v1(extra.empty() ? n : 0); }
#else
  tally_v1 downgrade(std::string_view, std::string_view extra) const {
    return tally_v1(extra.empty() ? n : 0);
  }
#endif
  int handle_call(const tally_api::add& a) { return n += a.by; }
  std::string handle_call(const tally_api::describe&) const { return "wrong_down"; }
  void handle_cast(const tally_api::reset&) { n = 0; }
};

// What OTP_MODULE instantiates, without exporting an entry point.
[[maybe_unused]] otp::code_detail::code_impl<tally_api, tally_wrong_down> wrong_down_code;

}  // namespace

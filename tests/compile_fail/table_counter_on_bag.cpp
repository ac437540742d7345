// update_counter exists for set and ordered_set only (ETS raises badarg for
// a bag at run time): on a bag it must not compile.
#include "otp/services/table.hpp"

namespace {

[[maybe_unused]] long bump(otp::table<int, long, otp::table_type::bag>& bag,
                           otp::table<int, long>& set) {
#if OTP_COMPILE_FAIL
  return bag.update_counter(1, 1);
#else
  (void)bag;
  return set.update_counter(1, 1);
#endif
}

}  // namespace

// A table's key type is part of its type: looking up a string in a table
// keyed by int must not compile (ETS would raise badarg at run time, or
// silently find nothing).
#include <optional>
#include <string>

#include "otp/services/table.hpp"

namespace {

[[maybe_unused]] std::optional<int> find(const otp::table<int, int>& t) {
#if OTP_COMPILE_FAIL
  return t.lookup(std::string("one"));
#else
  return t.lookup(1);
#endif
}

}  // namespace

// The hook for broken internal invariants (detail::internal_error).
#include <cstdio>
#include <cstdlib>

#include "otp/runtime/detail/runtime.hpp"

namespace otp::detail {

void internal_error(const char* what) noexcept {
  std::fprintf(stderr, "otp: internal error: %s\n", what);  // no allocation: memory may be out
  std::fflush(stderr);
  std::abort();
}

}  // namespace otp::detail

// A server_ref<S> accepts only the casts S handles: casting a message that
// S has no handle_cast for must not compile.
#include "otp/behaviours/gen_server.hpp"

namespace {

struct counter {
  struct add {
    int by;
  };
  int n = 0;
  void handle_cast(add a) { n += a.by; }
};

/// A message counter has no handle_cast for.
struct subtract {
  int by;
};

[[maybe_unused]] void client(const otp::server_ref<counter>& s) {
#if OTP_COMPILE_FAIL
  otp::cast(s, subtract{1});
#else
  otp::cast(s, counter::add{1});
#endif
}

}  // namespace

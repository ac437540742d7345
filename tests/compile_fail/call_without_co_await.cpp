// Forgetting the co_await in front of otp::call builds an awaitable that is
// never awaited, so the request is never sent: the awaitables are
// [[nodiscard]], and this file turns that warning into an error.
#pragma GCC diagnostic error "-Wunused-result"
#include "otp/behaviours/gen_server.hpp"

namespace {

struct counter {
  struct get {
    using reply = int;
  };
  int handle_call(get) { return 0; }
};

[[maybe_unused]] otp::task<void> client(otp::server_ref<counter> s) {
#if OTP_COMPILE_FAIL
  otp::call(s, counter::get{});
#else
  (void)co_await otp::call(s, counter::get{});
#endif
  co_return;
}

}  // namespace

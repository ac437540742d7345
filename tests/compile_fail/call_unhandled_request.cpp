// A server_ref<S> accepts only the calls S handles: calling with a request
// that S has no handle_call for must not compile.
#include "otp/behaviours/gen_server.hpp"

namespace {

struct counter {
  struct get {
    using reply = int;
  };
  int n = 0;
  int handle_call(get) { return n; }
};

/// A request with a reply type, but counter has no handle_call for it.
struct reset {
  using reply = int;
};

[[maybe_unused]] otp::task<int> client(otp::server_ref<counter> s) {
#if OTP_COMPILE_FAIL
  co_return co_await otp::call(s, reset{});
#else
  co_return co_await otp::call(s, counter::get{});
#endif
}

}  // namespace

// A handle_call that returns something other than its request's reply type
// must not compile, and the first error must be the library's static_assert
// naming the request, the reply type and the returned type
// (handle_call_returns_reply<Request, Reply, Returned>), not 70 lines from
// inside the engine.
#include <string>

#include "otp/behaviours/gen_server.hpp"

namespace {

struct named {
  struct get {
    using reply = int;
  };
#if OTP_COMPILE_FAIL
  std::string handle_call(get) { return "seven"; }
#else
  int handle_call(get) { return 7; }
#endif
};

[[maybe_unused]] otp::task<int> client(otp::server_ref<named> s) {
  co_return co_await otp::call(s, named::get{});
}

}  // namespace

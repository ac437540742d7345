// call returns the reply type the request declares: initialising a
// std::string from a call whose reply is an int must not compile. (Plain
// assignment, `str = co_await call(...)`, would compile: std::string has
// operator=(char), and int converts to char.)
#include <cstddef>
#include <string>

#include "otp/behaviours/gen_server.hpp"

namespace {

struct counter {
  struct get {
    using reply = int;
  };
  int n = 0;
  int handle_call(get) { return n; }
};

[[maybe_unused]] otp::task<std::size_t> client(otp::server_ref<counter> s) {
#if OTP_COMPILE_FAIL
  std::string v = co_await otp::call(s, counter::get{});
#else
  int v = co_await otp::call(s, counter::get{});
#endif
  co_return sizeof(v);
}

}  // namespace

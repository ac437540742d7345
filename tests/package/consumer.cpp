// The first program of a new user: a call whose request is a temporary
// holding a string, awaited inside a process. Exits 0 when the reply is right.
#include <cstdio>
#include <string>

#include "otp/otp.hpp"

struct echo {
  struct say {
    using reply = std::string;
    std::string text;
  };
  std::string handle_call(say s) { return s.text; }
};

int main() {
  otp::node node;
  otp::mailbox me(node);
  auto e = otp::gen_server::start_link<echo>().get();
  if (!e.is_ok()) return 1;
  node.spawn(
      [](otp::server_ref<echo> e, otp::pid to) -> otp::proc {
        std::string r = co_await otp::call(e, echo::say{"hello from a coroutine"});
        otp::send(to, r);
      },
      e.ref(), me.self());
  const std::string r = me.receive<std::string>();
  std::printf("%s\n", r.c_str());
  return r == "hello from a coroutine" ? 0 : 1;
}

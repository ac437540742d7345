// A C++ node for the distribution tests that need one in its own OS
// process (kill -9, SIGSTOP): `dist_node NAME COOKIE TICKTIME_MS`. It runs an
// `echo` process ({From, X} -> From ! {echo, X}), prints "ready NAME@HOST",
// and lives until its standard input closes.
#include <iostream>
#include <string>

#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"

namespace {

otp::proc echo() {
  for (;;) {
    otp::term t = co_await otp::receive<otp::term>();
    const auto* tup = t.get_if<otp::tuple_value>();
    if (tup == nullptr || tup->items.size() != 2) continue;
    try {
      const otp::pid from = otp::from_term<otp::pid>(tup->items[0]);
      otp::send(from, otp::term::tuple({otp::term::atom("echo"), tup->items[1]}));
    } catch (const otp::term_mismatch&) {
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: dist_node NAME COOKIE TICKTIME_MS\n";
    return 2;
  }
  otp::node n;
  otp::net_kernel_options o;
  o.name = argv[1];
  o.cookie = std::string(argv[2]);
  o.ticktime = std::chrono::milliseconds(std::stoi(argv[3]));
  otp::net_kernel k(n, o);
  n.register_name("echo", n.spawn(echo));
  std::cout << "ready " << k.name() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}

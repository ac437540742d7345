// A C++ node an Erlang shell can talk to (docs/guide/distribution.md quotes
// it): `dist_echo [NAME [COOKIE]]` starts the node NAME@host (default
// echo_demo, cookie from ~/.erlang.cookie), registers an `echo` process that
// answers {From, X} with {echo, X}, and runs until its standard input
// closes (Ctrl-D).
#include <cstdio>
#include <iostream>
#include <string>

#include "otp/dist/net_kernel.hpp"
#include "otp/otp.hpp"

// [echo]
// Every message from another node is an otp::term; from_term gives C++
// values back, to_term makes terms of them.
otp::proc echo() {
  for (;;) {
    otp::term t = co_await otp::receive<otp::term>();
    try {
      auto [from, x] = otp::from_term<std::tuple<otp::pid, otp::term>>(t);
      otp::send(from, otp::to_term(std::make_tuple(otp::atom_value{"echo"}, x)));
    } catch (const otp::term_mismatch& e) {
      otp::logger::warning("echo: not a {{From, X}}: {}", e.what());
    }
  }
}

int main(int argc, char** argv) {
  otp::node n;
  otp::net_kernel_options o;
  o.name = argc > 1 ? argv[1] : "echo_demo";      // -sname echo_demo
  if (argc > 2) o.cookie = std::string(argv[2]);  // -setcookie; else ~/.erlang.cookie
  otp::net_kernel dist(n, o);                     // registers with epmd
  n.register_name("echo", n.spawn(echo));
  std::printf("%s is up; try {echo, '%s'} ! {self(), hello} in erl\n", dist.name().c_str(),
              dist.name().c_str());
  std::fflush(stdout);
  for (std::string line; std::getline(std::cin, line);) {
  }
}
// [end]

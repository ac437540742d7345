// Reusable process bodies and messages for runtime tests.
//
// | body                  | what it does                                              |
// |-----------------------|-----------------------------------------------------------|
// | echo_server()         | answers each ping{from, value} with `value` (an int)      |
// | wait_forever()        | parks in receive for a message nobody sends               |
// | wait_for_stop()       | returns normally when it gets stop{}                      |
// | crash_on_message()    | throws std::runtime_error(crash::what) when it gets crash |
// | forward_ints(report)  | sends every int it gets to `report` as from_pid{self, n}  |
//
// echo_answers(mb, server, value) is the liveness probe the tests use after
// provoking an error: it pings `server` from a thread mailbox and says whether
// the right answer came back.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "otp/otp.hpp"

namespace otp_test {

/// Asks wait_for_stop / forward_ints to return normally.
struct stop {};
/// A message type nobody ever sends.
struct never {};
/// A request to echo_server: answer `value` to `from`.
struct ping {
  otp::pid from;
  int value = 0;
};
/// Asks crash_on_message to throw std::runtime_error(what).
struct crash {
  std::string what;
};
/// What forward_ints reports: who got which int.
struct from_pid {
  otp::pid from;
  int value = 0;
};

inline otp::proc echo_server() {
  for (;;) co_await otp::receive([](const ping& p) { otp::send(p.from, p.value); });
}

inline otp::proc wait_forever() {
  co_await otp::receive([](never) {});
}

inline otp::proc wait_for_stop() {
  co_await otp::receive([](stop) {});
}

inline otp::proc crash_on_message() {
  co_await otp::receive([](const crash& c) { throw std::runtime_error(c.what); });
}

inline otp::proc forward_ints(otp::pid report) {
  bool done = false;
  while (!done) {
    co_await otp::receive(
        [&](int n) {
          otp::send(report, from_pid{otp::self(), n});
        },
        [&](stop) { done = true; });
  }
}

/// True when `server` (an echo_server) answers `value` to `mb` within `wait`.
inline bool echo_answers(otp::mailbox& mb, otp::pid server, int value,
                         std::chrono::milliseconds wait = std::chrono::milliseconds(5000)) {
  otp::send(server, ping{mb.self(), value});
  std::optional<int> got = mb.receive(
      otp::when([value](int n) { return n == value; }, [](int n) { return std::optional<int>(n); }),
      otp::after(wait, [] { return std::optional<int>(); }));
  return got == value;
}

}  // namespace otp_test

// Reusable process bodies and messages for runtime tests.
//
// | body                  | what it does                                              |
// |-----------------------|-----------------------------------------------------------|
// | echo_server()         | answers each ping{from, value} with `value` (an int)      |
// | wait_forever()        | parks in receive for a message nobody sends               |
// | wait_for_stop()       | returns normally when it gets stop{}                      |
// | crash_on_message()    | throws std::runtime_error(crash::what) when it gets crash |
// | forward_ints(report)  | sends every int it gets to `report` as from_pid{self, n}  |
// | add_received(base)    | a task: returns base + the first int it receives          |
//
// echo_answers(mb, server, value) is the liveness probe the tests use after
// provoking an error: it pings `server` from a thread mailbox and says whether
// the right answer came back. mailbox_is_empty(mb) says nothing is queued;
// price_of(item) is the work of docs/guide/async.md's examples.
//
// The tag messages (stop, never, go, ready, tick) are shared by the suites:
// a unity build compiles several test files as one, so a file that defined
// its own `go` would clash with the next file's.
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
/// Lets a waiting process go on.
struct go {};
/// Says a process got where the test waits for it to be.
struct ready {};
/// A periodic or one-off nudge (a timer's message, an info).
struct tick {};
/// A request to echo_server: answer `value` to `from`. Liveness checks
/// answer it with pong{self()} instead.
struct ping {
  otp::pid from;
  int value = 0;
};
/// The answer to a liveness ping: who answered.
struct pong {
  otp::pid from;
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

/// A task: returns `base` plus the first int it receives.
inline otp::task<int> add_received(int base) { co_return base + co_await otp::receive<int>(); }

/// The work of docs/guide/async.md's examples: 100 per character of `item`.
inline int price_of(const std::string& item) { return static_cast<int>(item.size()) * 100; }

/// True when nothing at all is queued in the mailbox.
inline bool mailbox_is_empty(otp::mailbox& mb) {
  return !mb.receive<otp::any_message>(std::chrono::milliseconds(0)).has_value();
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

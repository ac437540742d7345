// Shared pieces of the gen_server conformance suites: a deterministic fixture
// (manual node, the test's thread mailbox, captured reports) and small
// helpers to observe exits and mailboxes.
//
// | helper                        | what it does                                         |
// |-------------------------------|------------------------------------------------------|
// | gen_server_fixture            | manual node + mailbox; every report lands in reports |
// | exit_of(f)                    | runs f, expects otp::exit_error, returns its reason  |
// | down_of(p) / down_of(ref)     | waits for p's DOWN (monitoring it first)             |
// | idle_for(t)                   | lets t of virtual time pass                          |
// | nothing_queued()              | true when the mailbox holds no message at all        |
// | server_event / next_event()   | what callbacks tell the test, oldest first           |
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "support/exit_of.hpp"

namespace otp_test {

/// What a callback tells the test it did ("init", "cast 3", ...).
struct server_event {
  std::string what;
};

/// A manual node (virtual time, no threads) whose reports are kept in
/// `reports`, and the test's thread mailbox acting as the client process.
class gen_server_fixture : public ::testing::Test {
 protected:
  std::vector<otp::report> reports;
  otp::node node{
      {.manual = true, .on_report = [this](const otp::report& r) { reports.push_back(r); }}};
  otp::mailbox mb{node};

  /// Runs `f` and returns the exit reason it exits with; fails the test
  /// (and returns `normal`) when it returns instead.
  template <class F>
  otp::exit_reason exit_of(F&& f) {
    return otp_test::exit_of(std::forward<F>(f));
  }

  /// Waits for the DOWN of monitor `r` and returns its reason.
  otp::exit_reason down_of(otp::ref r) {
    return mb.receive(otp::when([r](const otp::down_msg& d) { return d.monitor == r; },
                                [](otp::down_msg&& d) { return std::move(d.reason); }));
  }
  /// Monitors `p` and waits for its DOWN (noproc when it is dead already).
  otp::exit_reason down_of(otp::pid p) { return down_of(otp::monitor(p)); }

  /// The exit_msg from `p`, if one is queued (the mailbox must trap exits).
  std::optional<otp::exit_msg> queued_exit_from(otp::pid p) {
    return mb.receive(otp::when([p](const otp::exit_msg& e) { return e.from == p; },
                                [](otp::exit_msg&& e) { return std::optional(std::move(e)); }),
                      otp::after(0, [] { return std::optional<otp::exit_msg>(); }));
  }

  /// Lets `t` of virtual time pass with the test's mailbox idle (the node
  /// runs whatever becomes due meanwhile).
  void idle_for(otp::timeout t) {
    struct nothing {};
    (void)mb.receive<nothing>(t);
  }

  /// True when no message of any type is queued in the mailbox.
  bool nothing_queued() {
    return mb.receive([](otp::any_message) { return false; }, otp::after(0, [] { return true; }));
  }

  /// The oldest event (waits for it).
  std::string next_event() { return mb.receive<server_event>().what; }
  /// The events queued now, oldest first (does not wait).
  std::vector<std::string> queued_events() {
    std::vector<std::string> out;
    while (std::optional<server_event> e = mb.receive<server_event>(0))
      out.push_back(std::move(e->what));
    return out;
  }

  /// The reports of kind `k` received so far.
  std::vector<otp::report> reports_of(otp::report::kind k) const {
    std::vector<otp::report> out;
    for (const otp::report& r : reports)
      if (r.what == k) out.push_back(r);
    return out;
  }
};

}  // namespace otp_test

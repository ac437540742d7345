// What the hot upgrade tests share: the test module `tally`
// (tests/modules/tally_v*.cpp) reset to version 1, servers of it, and
// upgrades run from a process (code::upgrade and friends are coroutines).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "modules/tally_api.hpp"
#include "otp/otp.hpp"
#include "otp/services/code_server.hpp"
#include "otp/services/module_server.hpp"

namespace otp_test {

using tally = otp::module_server<tally_api>;
using tally_ref = otp::server_ref<tally>;

/// The code server as each test starts: `tally` at version 1 only (the
/// tests of one run share the program's code server).
inline void start_from_v1() {
  otp::code::load("tally", OTP_TALLY_V1);
  otp::code::load("tally", OTP_TALLY_V1);
  otp::code::purge("tally");
}

/// A tally server (not linked) on the current version, from `n`.
inline tally_ref start_tally(int n) {
  auto s = otp::gen_server::start<tally>(std::string("tally"), n).get();
  EXPECT_TRUE(s.is_ok());
  return s.ref();
}

/// What `run` (an object whose call returns an otp::task<R>) returns when run
/// in a new process of `node`; nullopt when nothing came within 30 s (a
/// crashed run fails the test instead of hanging it).
template <class Run>
auto run_in_a_process(otp::node& node, otp::mailbox& mb, Run run) {
  using R = std::remove_cvref_t<decltype(std::declval<Run&>()().get())>;
  node.spawn(
      [](Run run, otp::pid report) -> otp::proc {
        R out = co_await run();
        otp::send(report, std::move(out));
      },
      run, mb.self());
  return mb.receive<R>(std::chrono::seconds(30));
}

/// The report of `run` (an object whose call returns an
/// otp::task<otp::code::upgrade_report>: a change of tally) made by a new
/// process of `node`; a test failure, and an empty report, if none came.
template <class Run>
otp::code::upgrade_report report_of(otp::node& node, otp::mailbox& mb, Run run) {
  auto r = run_in_a_process(node, mb, std::move(run));
  if (!r) ADD_FAILURE() << "no report within 30 s";
  return r.value_or(otp::code::upgrade_report{});
}

}  // namespace otp_test

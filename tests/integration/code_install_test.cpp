// Installing a module's new version into running servers (code::install,
// code::upgrade_all's report) and rolling a failed one back (code::revert),
// with the test module `tally` (tests/modules/tally_v*.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/code_modules.hpp"

namespace {

using otp_test::start_from_v1;
using otp_test::start_tally;
using otp_test::tally_ref;

/// code::install of tally from `path` with `extra`, made by a process of
/// `node`: its report (a test failure, and an empty report, if none came).
otp::code::upgrade_report install_from_a_process(otp::node& node, otp::mailbox& mb,
                                                 std::string path, std::string extra) {
  auto r = otp_test::run_in_a_process(
      node, mb, [path, extra] { return otp::code::install<tally_api>("tally", path, extra); });
  if (!r) ADD_FAILURE() << "no report within 30 s";
  return r.value_or(otp::code::upgrade_report{});
}

TEST(CodeInstall, ReportsTheProcessesItMovedAndHowLongTheyWereSuspended) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  std::vector<tally_ref> servers;
  for (int i = 0; i < 5; ++i) servers.push_back(start_tally(i));
  const auto report = install_from_a_process(node, mb, OTP_TALLY_V2, "");
  EXPECT_EQ(report.failed, std::nullopt);
  EXPECT_FALSE(report.rolled_back);
  EXPECT_EQ(report.vsn, "2");
  EXPECT_EQ(report.processes, 5u);
  EXPECT_GT(report.suspended.count(), 0);
  EXPECT_LT(report.suspended, std::chrono::seconds(30));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(otp::call(servers[i], tally_api::describe{}).get(),
              "v2 n=" + std::to_string(i) + " adds=0");
  EXPECT_EQ(otp::code::which("tally")->processes, 5);
}

TEST(CodeInstall, AFailedInstallIsRolledBackToTheVersionTheServersRun) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref s = start_tally(3);
  ASSERT_EQ(install_from_a_process(node, mb, OTP_TALLY_V2, "").failed, std::nullopt);
  otp::call(s, tally_api::add{1}).get();
  // Version 3 cannot read version 2's state: the server keeps version 2 and
  // its state, and version 2 is current again.
  const auto report = install_from_a_process(node, mb, OTP_TALLY_V3, "");
  ASSERT_TRUE(report.failed.has_value());
  EXPECT_NE(report.failed->find("cannot read version 2"), std::string::npos) << *report.failed;
  EXPECT_TRUE(report.rolled_back);
  EXPECT_EQ(report.vsn, "2");
  EXPECT_EQ(report.processes, 1u);
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v2 n=4 adds=1");
  ASSERT_TRUE(otp::code::which("tally").has_value());
  EXPECT_EQ(otp::code::which("tally")->vsn, "2");
  EXPECT_EQ(otp::code::which("tally")->processes, 1);
  EXPECT_FALSE(otp::code::old_version("tally").has_value());
  // A server started (or restarted) now runs version 2, not the failed 3.
  EXPECT_EQ(otp::code::version_of(start_tally(0)).get(), "2");
}

TEST(CodeInstall, RevertKillsTheProcessesOfTheDroppedVersion) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref on_v1 = start_tally(1);
  otp::code::load("tally", OTP_TALLY_V2);
  const tally_ref on_v2 = start_tally(2);
  const otp::ref mon = otp::monitor(on_v2.get_pid());
  EXPECT_TRUE(otp::code::revert("tally"));
  const auto down = mb.receive<otp::down_msg>(std::chrono::seconds(30));
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(down->reason, otp::exit_reason::killed());
  EXPECT_EQ(otp::code::which("tally")->vsn, "1");
  EXPECT_EQ(otp::code::which("tally")->processes, 1);
  EXPECT_EQ(otp::call(on_v1, tally_api::describe{}).get(), "v1 n=1");
  // Nothing older to go back to.
  EXPECT_FALSE(otp::code::revert("tally"));
  EXPECT_EQ(otp::code::which("tally")->vsn, "1");
}

}  // namespace

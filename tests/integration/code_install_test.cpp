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
/// `node`: its report.
otp::code::upgrade_report install_from_a_process(otp::node& node, otp::mailbox& mb,
                                                 std::string path, std::string extra) {
  return otp_test::report_of(
      node, mb, [path, extra] { return otp::code::install<tally_api>("tally", path, extra); });
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

namespace {

/// code::downgrade of tally with `extra`, made by a process of `node`.
otp::code::upgrade_report downgrade_from_a_process(otp::node& node, otp::mailbox& mb,
                                                   std::string extra) {
  return otp_test::report_of(node, mb,
                             [extra] { return otp::code::downgrade<tally_api>("tally", extra); });
}

TEST(CodeInstall, ADowngradeTurnsTheStateBackAndMakesTheOldVersionCurrent) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref s = start_tally(3);
  ASSERT_EQ(install_from_a_process(node, mb, OTP_TALLY_V2, "").failed, std::nullopt);
  otp::call(s, tally_api::add{1}).get();
  // A downgrade that throws changes nothing.
  const auto failed = downgrade_from_a_process(node, mb, "fail");
  ASSERT_TRUE(failed.failed.has_value());
  EXPECT_NE(failed.failed->find("asked to fail the downgrade"), std::string::npos);
  EXPECT_EQ(failed.vsn, "2");
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v2 n=4 adds=1");
  EXPECT_EQ(otp::code::which("tally")->vsn, "2");
  // Version 2's downgrade turns its state into version 1's.
  const auto down = downgrade_from_a_process(node, mb, "");
  EXPECT_EQ(down.failed, std::nullopt);
  EXPECT_EQ(down.vsn, "1");
  EXPECT_EQ(down.processes, 1u);
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v1 n=4");
  EXPECT_EQ(otp::code::version_of(s).get(), "1");
  EXPECT_EQ(otp::code::which("tally")->vsn, "1");
  EXPECT_EQ(otp::code::which("tally")->processes, 1);
  EXPECT_FALSE(otp::code::old_version("tally").has_value());
  EXPECT_EQ(otp::code::version_of(start_tally(0)).get(), "1");
  // Nothing older to go back to.
  const auto none = downgrade_from_a_process(node, mb, "");
  ASSERT_TRUE(none.failed.has_value());
  EXPECT_NE(none.failed->find("no old version"), std::string::npos) << *none.failed;
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v1 n=4");
}

TEST(CodeInstall, AVersionWithoutADowngradeRefusesOne) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  otp::code::load("tally", OTP_TALLY_V2);
  otp::code::load("tally", OTP_TALLY_V3);  // version 3 has no downgrade
  const tally_ref s = start_tally(5);
  const auto refused = downgrade_from_a_process(node, mb, "");
  ASSERT_TRUE(refused.failed.has_value());
  EXPECT_NE(refused.failed->find("has no downgrade"), std::string::npos) << *refused.failed;
  EXPECT_EQ(refused.vsn, "3");
  EXPECT_EQ(otp::code::version_of(s).get(), "3");
  EXPECT_EQ(otp::code::which("tally")->vsn, "3");
  EXPECT_EQ(otp::code::old_version("tally")->vsn, "2");
}

}  // namespace

namespace {

TEST(CodeInstall, AServerThatEndsDuringAnInstallFailsItAndNoneSwitches) {
  // Rule: install is strict: a server that ends before its switch (here
  // killed by its own code_change) never ran the new version on its state,
  // so none switches and the install is rolled back.
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref six = start_tally(6), seven = start_tally(7), eight = start_tally(8);
  const otp::ref mon = otp::monitor(seven.get_pid());
  const auto report = install_from_a_process(node, mb, OTP_TALLY_V2, "die at 7");
  ASSERT_TRUE(report.failed.has_value());
  EXPECT_NE(report.failed->find("ended during the change"), std::string::npos) << *report.failed;
  EXPECT_TRUE(report.rolled_back);
  EXPECT_EQ(report.left_out, 1u);
  EXPECT_EQ(report.vsn, "1");
  const auto down = mb.receive<otp::down_msg>(std::chrono::seconds(30));
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(otp::call(six, tally_api::describe{}).get(), "v1 n=6");
  EXPECT_EQ(otp::call(eight, tally_api::describe{}).get(), "v1 n=8");
  EXPECT_EQ(otp::code::which("tally")->vsn, "1");
  EXPECT_EQ(otp::code::which("tally")->processes, 2);
}

TEST(CodeInstall, UpgradeAllLeavesOutAServerThatEndsDuringItAndMovesTheOthers) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref six = start_tally(6), seven = start_tally(7), eight = start_tally(8);
  otp::code::load("tally", OTP_TALLY_V2);
  const auto report = otp_test::report_of(
      node, mb, [] { return otp::code::upgrade_all<tally_api>("tally", "die at 7"); });
  EXPECT_EQ(report.failed, std::nullopt);
  EXPECT_EQ(report.left_out, 1u);
  EXPECT_EQ(report.processes, 3u);
  EXPECT_EQ(otp::call(six, tally_api::describe{}).get(), "v2 n=6 adds=0");
  EXPECT_EQ(otp::call(eight, tally_api::describe{}).get(), "v2 n=8 adds=0");
  EXPECT_THROW(otp::call(seven, tally_api::describe{}).get(), otp::exit_error);
}

TEST(CodeInstall, OneChangeOfAModuleAtATime) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  {
    const otp::code_detail::change_guard running("tally");
    const auto refused = otp_test::run_in_a_process(node, mb, [] {
      return [](otp::task<otp::code::upgrade_report> t) -> otp::task<std::string> {
        try {
          (void)co_await std::move(t);
          co_return "ran";
        } catch (const otp::code::code_error& e) {
          co_return e.what();
        }
      }(otp::code::downgrade<tally_api>("tally", ""));
    });
    ASSERT_TRUE(refused.has_value());
    EXPECT_NE(refused->find("another upgrade or downgrade"), std::string::npos) << *refused;
  }
  EXPECT_EQ(install_from_a_process(node, mb, OTP_TALLY_V2, "").failed, std::nullopt);
}

}  // namespace

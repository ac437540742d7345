// Reports through the logger: crash, supervisor, progress and application
// reports when node_options::on_report is empty.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "otp/otp.hpp"
#include "otp/runtime/report.hpp"
#include "support/captured_log.hpp"
#include "support/supervision.hpp"

namespace {

using otp::log_level;
using LoggerReports = otp_test::captured_log;

struct crasher {
  struct crash {
    using reply = int;
  };
  explicit crasher(int) {}
  int handle_call(crash) { throw std::runtime_error("crash on request"); }
};

std::vector<otp_test::captured> reports_of(const std::vector<otp_test::captured>& all,
                                           otp::report::kind k) {
  std::vector<otp_test::captured> out;
  for (const auto& e : all)
    if (e.report == k) out.push_back(e);
  return out;
}

// Rule (proc_lib crash report, logger): without on_report, an abnormal exit
// is logged at error level by the "otp" logger, with the report's fields and
// the exception's stack trace.
TEST_F(LoggerReports, ACrashReportIsLoggedAtErrorWithItsFieldsAndStackTrace) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<crasher>({.name = "crasher"}, 1).get();
  ASSERT_TRUE(s.is_ok());
  EXPECT_THROW((void)otp::call(s.ref(), crasher::crash{}).get(), otp::exit_error);
  n.run_until_idle();
  const auto crashes = reports_of(events(), otp::report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0].level, log_level::error);
  EXPECT_EQ(crashes[0].logger, "otp");
  EXPECT_EQ(crashes[0].process, s.child);
  EXPECT_EQ(crashes[0].registered_name, "crasher");
  EXPECT_NE(crashes[0].meta("reason").find("crash on request"), std::string::npos);
  EXPECT_FALSE(crashes[0].stacktrace.empty());
}

// Rule (supervisor report): a crashed permanent child gives a supervisor
// report with errorContext child_terminated, at error level.
TEST_F(LoggerReports, AChildCrashGivesAChildTerminatedSupervisorReport) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto sup = otp::supervisor::start_link({}, {otp_test::logged_spec(mb.self(), "a")}).get();
  ASSERT_TRUE(sup.is_ok());
  otp_test::kill_and_wait(mb, otp_test::child_pid(sup.ref(), "a"));
  n.run_until_idle();
  const auto sups = reports_of(events(), otp::report::kind::supervisor);
  ASSERT_EQ(sups.size(), 1u);
  EXPECT_EQ(sups[0].level, log_level::error);
  EXPECT_EQ(sups[0].meta("errorContext"), "child_terminated");
  EXPECT_EQ(sups[0].meta("id"), "a");
  EXPECT_EQ(sups[0].meta("reason"), "killed");
}

// Rule (progress reports, OTP >= 21): they are info, so hidden at the
// default primary level (notice) and shown once the level is info.
TEST_F(LoggerReports, ProgressReportsAreHiddenByDefaultAndShownAtInfo) {
  otp::node n({.manual = true});
  otp::mailbox mb(n);
  auto quiet = otp::supervisor::start_link({}, {otp_test::logged_spec(mb.self(), "a")}).get();
  ASSERT_TRUE(quiet.is_ok());
  EXPECT_TRUE(reports_of(events(), otp::report::kind::progress).empty());

  otp::logger::set_primary_level(log_level::info);
  auto loud = otp::supervisor::start_link({}, {otp_test::logged_spec(mb.self(), "b")}).get();
  ASSERT_TRUE(loud.is_ok());
  const auto progress = reports_of(events(), otp::report::kind::progress);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].level, log_level::info);
  EXPECT_EQ(progress[0].meta("id"), "b");
  EXPECT_EQ(progress[0].meta("started"), otp_test::child_pid(loud.ref(), "b").to_string());
}

// Rule (node_options::on_report): a node's report handler still gets the
// reports, and the logger does not.
TEST_F(LoggerReports, OnReportStillWinsOverTheLogger) {
  otp_test::report_log log;
  otp::node n(log.options());
  otp::mailbox mb(n);
  auto sup = otp::supervisor::start_link({}, {otp_test::logged_spec(mb.self(), "a")}).get();
  otp_test::kill_and_wait(mb, otp_test::child_pid(sup.ref(), "a"));
  n.run_until_idle();
  EXPECT_EQ(log.supervisor_reports("child_terminated").size(), 1u);
  EXPECT_TRUE(events().empty());
}

// Rule (application reports): started is info; exited is notice when normal
// or temporary, error otherwise.
TEST(ApplicationReport, ItsSeverityFollowsTheReasonAndTheType) {
  const auto started = otp::report::application_started({}, "shop", "node1");
  EXPECT_EQ(started.what, otp::report::kind::application);
  EXPECT_EQ(started.severity, log_level::info);
  EXPECT_EQ(started.field("application"), "shop");
  EXPECT_EQ(
      otp::report::application_exited({}, "shop", otp::exit_reason::normal(), "permanent").severity,
      log_level::notice);
  EXPECT_EQ(
      otp::report::application_exited({}, "shop", otp::exit_reason::other("boom"), "temporary")
          .severity,
      log_level::notice);
  const auto failed =
      otp::report::application_exited({}, "shop", otp::exit_reason::other("boom"), "permanent");
  EXPECT_EQ(failed.severity, log_level::error);
  EXPECT_EQ(failed.field("exited"), "boom");
}

}  // namespace

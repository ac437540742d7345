// supervisor_SUITE, group start: flags and child specs are checked before any
// child starts, and the error names the offending field; ignore keeps a spec.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
using namespace otp_test;

namespace {

// Starts a supervisor from a trapping mailbox and returns the error text
// (empty when it started).
std::string start_error(otp::supervisor_flags f, std::vector<otp::child_spec> specs) {
  auto sup = otp::supervisor::start_link(f, std::move(specs)).get();
  if (sup.is_ok()) return "";
  return sup.reason.to_string();
}

class SupervisorStart : public ::testing::Test {
 protected:
  otp::node n{quiet_manual()};
  otp::mailbox mb{n};
  void SetUp() override { otp::trap_exit(true); }
};

// Rule: intensity must be >= 0; the error names the flag.
TEST_F(SupervisorStart, NegativeIntensityIsABadFlag) {
  std::string e = start_error({.intensity = -1}, {logged_spec(mb.self(), "a")});
  EXPECT_NE(e.find("bad_flags"), std::string::npos) << e;
  EXPECT_NE(e.find("intensity"), std::string::npos) << e;
  EXPECT_EQ(drain(mb), "");  // no child started
}

// Rule: period must be > 0; the error names the flag.
TEST_F(SupervisorStart, NonPositivePeriodIsABadFlag) {
  std::string e = start_error({.period = 0ms}, {logged_spec(mb.self(), "a")});
  EXPECT_NE(e.find("bad_flags"), std::string::npos) << e;
  EXPECT_NE(e.find("period"), std::string::npos) << e;
  EXPECT_EQ(drain(mb), "");
}

// Rule: a child id must not be empty.
TEST_F(SupervisorStart, EmptyIdIsAnInvalidChildSpec) {
  std::string e = start_error({}, {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "")});
  EXPECT_NE(e.find("invalid_child_spec"), std::string::npos) << e;
  EXPECT_NE(e.find("id"), std::string::npos) << e;
  EXPECT_EQ(drain(mb), "");  // checked before "a" started
}

// Rule: child ids are unique; the error names the duplicate.
TEST_F(SupervisorStart, DuplicateIdIsAnInvalidChildSpec) {
  std::string e = start_error(
      {}, {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b"), logged_spec(mb.self(), "a")});
  EXPECT_NE(e.find("duplicate_child_name"), std::string::npos) << e;
  EXPECT_NE(e.find("\"a\""), std::string::npos) << e;
  EXPECT_EQ(drain(mb), "");
}

// Rule: only transient and temporary children may be significant.
TEST_F(SupervisorStart, SignificantPermanentChildIsInvalid) {
  otp::child_spec c = logged_spec(mb.self(), "a");
  c.significant = true;
  std::string e = start_error({.auto_shutdown = otp::auto_shutdown::any_significant}, {c});
  EXPECT_NE(e.find("significant,permanent"), std::string::npos) << e;
}

// Rule: significant children need auto_shutdown other than never.
TEST_F(SupervisorStart, SignificantChildWithAutoShutdownNeverIsInvalid) {
  otp::child_spec c = logged_spec(mb.self(), "a", otp::transient);
  c.significant = true;
  std::string e = start_error({}, {c});
  EXPECT_NE(e.find("significant"), std::string::npos) << e;
  EXPECT_NE(e.find("auto_shutdown,never"), std::string::npos) << e;
  auto check = otp::supervisor::check_childspecs({c});
  ASSERT_TRUE(check.has_value());
  EXPECT_FALSE(otp::supervisor::check_childspecs({c}, otp::auto_shutdown::all_significant));
}

// Rule: a child spec needs a start function.
TEST_F(SupervisorStart, MissingStartFunctionIsInvalid) {
  otp::child_spec c;
  c.id = "nostart";
  std::string e = start_error({}, {c});
  EXPECT_NE(e.find("start"), std::string::npos) << e;
  EXPECT_NE(e.find("nostart"), std::string::npos) << e;
}

// Rule: a child whose start returns ignore keeps its spec with no pid.
TEST_F(SupervisorStart, IgnoredChildKeepsItsSpecWithoutPid) {
  auto sup = otp::supervisor::start_link(
                 {}, {logged_spec(mb.self(), "a"), otp::worker<ignores>("quiet", 1)})
                 .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  auto kids = otp::supervisor::which_children(sup.ref()).get();
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].id, "quiet");
  EXPECT_TRUE(kids[0].child.is_null());
  auto counts = otp::supervisor::count_children(sup.ref()).get();
  EXPECT_EQ(counts.specs, 2u);
  EXPECT_EQ(counts.active, 1u);
}

// Rule: ...except a temporary child, whose spec is dropped.
TEST_F(SupervisorStart, IgnoredTemporaryChildIsDropped) {
  otp::child_spec quiet = otp::worker<ignores>("quiet", 1);
  quiet.restart = otp::temporary;
  auto sup = otp::supervisor::start_link({}, {logged_spec(mb.self(), "a"), quiet}).get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  auto kids = otp::supervisor::which_children(sup.ref()).get();
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0].id, "a");
}

// Rule: a failed child start stops the started ones in reverse order and the
// start fails with {shutdown, {failed_to_start_child, Id, Reason}}.
TEST_F(SupervisorStart, FailedChildStartStopsTheOthersInReverse) {
  auto sup = otp::supervisor::start_link(
                 {}, {logged_spec(mb.self(), "a"), logged_spec(mb.self(), "b"),
                      otp::worker<fails_to_start>("bad", 1), logged_spec(mb.self(), "c")})
                 .get();
  ASSERT_TRUE(sup.is_error());
  EXPECT_TRUE(sup.reason.is_shutdown());
  EXPECT_NE(std::string(sup.reason.detail()).find("failed_to_start_child,bad"), std::string::npos)
      << sup.reason;
  EXPECT_EQ(drain(mb), "ia ib tb ta ");
}

}  // namespace

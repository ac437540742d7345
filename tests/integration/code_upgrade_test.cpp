// Hot code upgrade: three versions of the module `tally`
// (tests/modules/tally_v*.cpp) built as shared libraries and loaded into
// this program by the code server.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "support/code_modules.hpp"

namespace {

using namespace std::chrono_literals;
using otp_test::start_from_v1;
using otp_test::start_tally;
using otp_test::tally;
using otp_test::tally_ref;

/// The outcome of an upgrade that `run` makes from a process of `node`:
/// nullopt when it succeeded, else why not.
template <class Run>
std::optional<std::string> from_a_process(otp::node& node, otp::mailbox& mb, Run run) {
  const auto r = otp_test::run_in_a_process(node, mb, run);
  if (!r) return "no outcome within 30 s";
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*r)>, otp::code::upgrade_report>)
    return r->failed;
  else
    return *r;
}

/// code::upgrade(s, extra) from a process of `node`: its outcome.
std::optional<std::string> upgrade_from_a_process(otp::node& node, otp::mailbox& mb, tally_ref s,
                                                  std::string extra) {
  return from_a_process(node, mb, [s, extra] { return otp::code::upgrade(s, extra); });
}

TEST(CodeUpgrade, AServerMovesToVersionTwoWithItsStateAndBehavesAsVersionTwo) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref s = start_tally(10);
  EXPECT_EQ(otp::call(s, tally_api::add{5}).get(), 15);
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v1 n=15");
  const auto loaded = otp::code::load("tally", OTP_TALLY_V2);
  EXPECT_EQ(loaded.vsn, "2");
  EXPECT_EQ(otp::code::which("tally")->vsn, "2");
  ASSERT_TRUE(otp::code::old_version("tally").has_value());
  EXPECT_EQ(otp::code::old_version("tally")->processes, 1);
  // Loaded is not running: the server runs version 1 until upgraded.
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v1 n=15");
  EXPECT_EQ(upgrade_from_a_process(node, mb, s, ""), std::nullopt);
  EXPECT_EQ(otp::code::version_of(s).get(), "2");
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v2 n=15 adds=0");
  EXPECT_EQ(otp::call(s, tally_api::add{1}).get(), 16);
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v2 n=16 adds=1");
  ASSERT_TRUE(otp::code::old_version("tally").has_value());
  EXPECT_EQ(otp::code::old_version("tally")->processes, 0);
  EXPECT_TRUE(otp::code::soft_purge("tally"));
  EXPECT_FALSE(otp::code::old_version("tally").has_value());
  // Upgrading to the version it runs keeps it counted there (a purge of
  // that version later must find it).
  EXPECT_EQ(upgrade_from_a_process(node, mb, s, ""), std::nullopt);
  EXPECT_EQ(otp::code::which("tally")->processes, 1);
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v2 n=16 adds=1");
}

TEST(CodeUpgrade, AFailedCodeChangeLeavesTheServerOnItsVersionAndState) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref s = start_tally(1);
  otp::code::load("tally", OTP_TALLY_V2);
  // Version 2's code_change throws when asked to: the server stays on 1.
  const auto failed = upgrade_from_a_process(node, mb, s, "fail");
  ASSERT_TRUE(failed.has_value());
  EXPECT_NE(failed->find("asked to fail"), std::string::npos) << *failed;
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v1 n=1");
  EXPECT_EQ(upgrade_from_a_process(node, mb, s, ""), std::nullopt);
  otp::call(s, tally_api::add{2}).get();
  // Version 3 cannot read version 2's state: the server keeps version 2.
  otp::code::load("tally", OTP_TALLY_V3);
  const auto refused = upgrade_from_a_process(node, mb, s, "");
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->find("cannot read version 2"), std::string::npos) << *refused;
  EXPECT_EQ(otp::code::version_of(s).get(), "2");
  EXPECT_EQ(otp::call(s, tally_api::describe{}).get(), "v2 n=3 adds=1");
}

TEST(CodeUpgrade, SoftPurgeIsRefusedWhileOldCodeRunsAndPurgeKillsItsProcesses) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  const tally_ref s = start_tally(0);
  const otp::ref mon = otp::monitor(s.get_pid());
  otp::code::load("tally", OTP_TALLY_V2);
  EXPECT_FALSE(otp::code::soft_purge("tally"));
  ASSERT_TRUE(otp::code::old_version("tally").has_value());
  EXPECT_EQ(otp::code::old_version("tally")->vsn, "1");
  EXPECT_TRUE(otp::code::purge("tally"));
  const auto down = mb.receive<otp::down_msg>(30s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(down->reason, otp::exit_reason::killed());
  EXPECT_FALSE(otp::code::old_version("tally").has_value());
  // A server started now runs the current version.
  const tally_ref again = start_tally(0);
  EXPECT_EQ(otp::code::version_of(again).get(), "2");
}

TEST(CodeUpgrade, APurgedChildIsRestartedByItsSupervisorOnTheCurrentVersion) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  auto sup =
      otp::supervisor::start_link({}, {otp::worker<tally>("tally", std::string("tally"), 7)}).get();
  ASSERT_TRUE(sup.is_ok());
  const otp::pid first = otp::supervisor::which_children(sup.ref()).get().at(0).child;
  EXPECT_EQ(otp::code::version_of(tally_ref(first)).get(), "1");
  otp::code::load("tally", OTP_TALLY_V2);
  const otp::ref mon = otp::monitor(first);
  EXPECT_TRUE(otp::code::purge("tally"));
  const auto down = mb.receive<otp::down_msg>(30s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->monitor, mon);
  // The child spec starts whatever version is current: the restart runs 2.
  otp::pid second;
  for (int i = 0; i < 10000 && (second.is_null() || second == first); ++i)
    second = otp::supervisor::which_children(sup.ref()).get().at(0).child;
  ASSERT_FALSE(second.is_null() || second == first);
  EXPECT_EQ(otp::code::version_of(tally_ref(second)).get(), "2");
  EXPECT_EQ(otp::call(tally_ref(second), tally_api::describe{}).get(), "v2 n=7 adds=0");
}

TEST(CodeUpgrade, ModulesThatCannotLoadAreClearErrorsAndChangeNothing) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  EXPECT_THROW(otp::code::load("tally", "/nonexistent/tally.so"), otp::code::code_error);
  EXPECT_THROW(otp::code::load("other", OTP_TALLY_V2), otp::code::code_error);
  // A `tally` built with an edited interface header, and one built with
  // other C++ library flags.
  EXPECT_THROW(otp::code::load("tally", OTP_TALLY_OTHER), otp::code::code_error);
  try {
    otp::code::load("tally", OTP_TALLY_ABI);
    ADD_FAILURE() << "a module of another ABI loaded";
  } catch (const otp::code::code_error& e) {
    EXPECT_NE(std::string(e.what()).find("was built by"), std::string::npos) << e.what();
  }
  EXPECT_EQ(otp::code::which("tally")->vsn, "1");
  EXPECT_FALSE(otp::code::which("other").has_value());
  // Starting a module that is not loaded fails the start.
  auto r = otp::gen_server::start<tally>(std::string("not_loaded"), 0).get();
  EXPECT_FALSE(r.is_ok());
}

}  // namespace

namespace {

struct stop_calling {};

/// Calls add{1} on each of `servers` in turn until stop_calling; then sends
/// `report` how many calls it made (every one answered).
otp::proc call_round_robin(std::vector<tally_ref> servers, otp::pid report) {
  int calls = 0;
  for (bool stop = false; !stop;) {
    for (const auto& s : servers) {
      co_await otp::call(s, tally_api::add{1});
      ++calls;
    }
    co_await otp::receive([&](stop_calling) { stop = true; }, otp::after(0, [] {}));
  }
  otp::send(report, calls);
}

/// code::upgrade_all of tally from a process of `node`: its outcome.
std::optional<std::string> upgrade_all_from_a_process(otp::node& node, otp::mailbox& mb) {
  return from_a_process(node, mb, [] { return otp::code::upgrade_all<tally_api>("tally", ""); });
}

TEST(CodeUpgrade, AHundredServersUpgradeTogetherUnderCallsAndNoCallIsLost) {
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  std::vector<tally_ref> servers;
  for (int i = 0; i < 100; ++i) servers.push_back(start_tally(0));
  std::vector<otp::pid> callers;
  for (int i = 0; i < 4; ++i) callers.push_back(node.spawn(call_round_robin, servers, mb.self()));
  otp::code::load("tally", OTP_TALLY_V2);
  EXPECT_EQ(upgrade_all_from_a_process(node, mb), std::nullopt);
  // Version 3 refuses version 2's state: all stay on 2, none half-way.
  otp::code::load("tally", OTP_TALLY_V3);
  const auto refused = upgrade_all_from_a_process(node, mb);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->find("cannot read version 2"), std::string::npos) << *refused;
  for (otp::pid c : callers) node.send(c, stop_calling{});
  int calls = 0;
  for (std::size_t i = 0; i < callers.size(); ++i) {
    const auto made = mb.receive<int>(30s);  // a lost call would leave its caller waiting
    ASSERT_TRUE(made.has_value());
    calls += *made;
  }
  int total = 0;
  for (const auto& s : servers) {
    EXPECT_EQ(otp::code::version_of(s).get(), "2");
    total += otp::call(s, tally_api::add{0}).get();
  }
  EXPECT_EQ(total, calls);  // every call answered once, by version 1 or 2
  ASSERT_TRUE(otp::code::old_version("tally").has_value());
  EXPECT_EQ(otp::code::old_version("tally")->vsn, "2");
  EXPECT_EQ(otp::code::old_version("tally")->processes, 100);
}

}  // namespace

namespace {

TEST(CodeUpgrade, WhenOneServerCannotUpgradeNoneDoes) {
  // Rule: upgrade_all is all or none: servers prepared before the one that
  // fails are rolled back, and every one keeps its version and state.
  otp::node node;
  otp::mailbox mb(node);
  start_from_v1();
  std::vector<tally_ref> servers;
  for (int i = 0; i < 10; ++i) servers.push_back(start_tally(i));
  otp::code::load("tally", OTP_TALLY_V2);
  const auto failed = from_a_process(
      node, mb, [] { return otp::code::upgrade_all<tally_api>("tally", "fail at 7"); });
  ASSERT_TRUE(failed.has_value());
  EXPECT_NE(failed->find("asked to fail"), std::string::npos) << *failed;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(otp::code::version_of(servers[i]).get(), "1");
    EXPECT_EQ(otp::call(servers[i], tally_api::describe{}).get(), "v1 n=" + std::to_string(i));
  }
  ASSERT_TRUE(otp::code::old_version("tally").has_value());
  EXPECT_EQ(otp::code::old_version("tally")->processes, 10);
  EXPECT_EQ(otp::code::which("tally")->processes, 0);
}

}  // namespace

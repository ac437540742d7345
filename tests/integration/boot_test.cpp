// otp::boot run as a real program (tests/boot/boot_service.cpp): start and
// stop order on SIGTERM, a permanent application's end, a second SIGINT,
// bad configuration, --print-config, SIGHUP's config_change.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/os_process.hpp"

using namespace std::chrono_literals;
using otp_test::os_process;

namespace {

constexpr auto kWait = 30s;

int exit_status(std::optional<int> st) {
  if (!st) return -1;
  if (WIFEXITED(*st)) return WEXITSTATUS(*st);
  return 1000 + WTERMSIG(*st);
}

std::string temp_file(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / (name + std::to_string(getpid()));
  std::ofstream(p) << text;
  return p.string();
}

// Rule: the applications start in dependency order; SIGTERM stops them in
// reverse (prep_stop, the root's children, stop) and the program exits 0.
TEST(Boot, SigtermStopsApplicationsInReverseOrderAndExitsZero) {
  os_process p(OTP_BOOT_SERVICE, {});
  EXPECT_EQ(p.lines_until("ready", kWait),
            (std::vector<std::string>{"started base", "started svc"}));
  p.signal(SIGTERM);
  std::vector<std::string> rest;
  while (auto l = p.read_line(kWait)) rest.push_back(*l);
  EXPECT_EQ(rest, (std::vector<std::string>{"prep_stop svc", "terminate svc", "stop svc",
                                            "prep_stop base", "terminate base", "stop base"}));
  EXPECT_EQ(exit_status(p.wait(kWait)), 0) << p.standard_error();
}

// Rule: with --stop-on-eof the end of standard input is an orderly stop,
// and a SIGTERM after it does not force the exit.
TEST(Boot, EndOfStdinStopsInOrderAndALaterSigtermDoesNotForce) {
  os_process p(OTP_BOOT_SERVICE, {"--stop-on-eof"});
  p.lines_until("ready", kWait);
  p.close_stdin();
  p.lines_until("prep_stop svc", kWait);
  p.signal(SIGTERM);
  std::vector<std::string> rest;
  while (auto l = p.read_line(kWait)) rest.push_back(*l);
  EXPECT_EQ(rest.back(), "stop base");
  EXPECT_EQ(exit_status(p.wait(kWait)), 0) << p.standard_error();
}

// Rule: a permanent application's end stops the others and ends the program
// with status 3 and the reason on stderr.
TEST(Boot, PermanentApplicationEndExitsThreeWithTheReason) {
  os_process p(OTP_BOOT_SERVICE, {"--set", "svc.crash=true"});
  p.lines_until("ready", kWait);
  EXPECT_EQ(exit_status(p.wait(kWait)), 3);
  const std::string err = p.standard_error();
  EXPECT_NE(err.find("boot_service: {application_terminated,svc,shutdown}"), std::string::npos)
      << err;
}

// Rule: a second SIGINT during the stop ends the program at once (130).
TEST(Boot, SecondSigintDuringTheStopForcesTheExit) {
  os_process p(OTP_BOOT_SERVICE, {"--set", "svc.hang_in_prep_stop=true"});
  p.lines_until("ready", kWait);
  p.signal(SIGINT);
  p.lines_until("prep_stop svc", kWait);
  EXPECT_FALSE(p.wait(0ms)) << "still stopping";
  p.signal(SIGINT);
  EXPECT_EQ(exit_status(p.wait(kWait)), 130);
}

// Rule: a malformed config file stops the boot before anything starts: one
// line with file:line:column, status 2.
TEST(Boot, MalformedConfigFileIsOneLineWithPositionAndExitTwo) {
  const std::string f = temp_file("boot_bad.toml", "[svc]\nlevel = = 3\n");
  os_process p(OTP_BOOT_SERVICE, {"--config", f});
  EXPECT_EQ(p.read_line(kWait), std::nullopt) << "nothing started";
  EXPECT_EQ(exit_status(p.wait(kWait)), 2);
  const std::string err = p.standard_error();
  EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line: " << err;
  EXPECT_EQ(err.rfind("boot_service: " + f + ":2:", 0), 0U) << err;
  std::filesystem::remove(f);
}

// Rule: a wrong type and an unknown key are refused the same way.
TEST(Boot, WrongTypeAndUnknownKeyAreRefused) {
  os_process a(OTP_BOOT_SERVICE, {"--set", "svc.level=\"high\""});
  EXPECT_EQ(exit_status(a.wait(kWait)), 2);
  EXPECT_NE(a.standard_error().find("svc.level: expected an integer"), std::string::npos)
      << a.standard_error();
  os_process b(OTP_BOOT_SERVICE, {}, {"OTP__SVC__LEVLE=2"});
  EXPECT_EQ(exit_status(b.wait(kWait)), 2);
  EXPECT_NE(b.standard_error().find("unknown key 'levle'"), std::string::npos)
      << b.standard_error();
}

// Rule: a [logger] setting the logger refuses is an error at its place in the file.
TEST(Boot, BadLoggerSettingIsAnErrorAtItsPlaceInTheFile) {
  const std::string f = temp_file("boot_logger.toml", "[logger]\nlevel = \"loud\"\n");
  os_process p(OTP_BOOT_SERVICE, {"--config", f});
  EXPECT_EQ(exit_status(p.wait(kWait)), 2);
  const std::string err = p.standard_error();
  EXPECT_EQ(err.rfind("boot_service: " + f + ":2:9: logger.level", 0), 0U) << err;
  std::filesystem::remove(f);
}

// Rule: --print-config shows the merged values and where each came from.
TEST(Boot, PrintConfigShowsValuesAndOrigins) {
  const std::string f = temp_file("boot_print.toml", "[svc]\nlevel = 5\n");
  os_process p(OTP_BOOT_SERVICE, {"--config", f, "--set", "base.level=7", "--print-config"},
               {"OTP__SVC__CRASH=false"});
  std::string out;
  while (auto l = p.read_line(kWait)) out += *l + "\n";
  EXPECT_EQ(exit_status(p.wait(kWait)), 0);
  EXPECT_NE(out.find("level = 7  # --set base.level=7"), std::string::npos) << out;
  EXPECT_NE(out.find("level = 5  # " + f + ":2:9"), std::string::npos) << out;
  EXPECT_NE(out.find("crash = false  # OTP__SVC__CRASH"), std::string::npos) << out;
  std::filesystem::remove(f);
}

// Rule: SIGHUP reads the configuration again and calls config_change on
// the running applications whose environment changed.
TEST(Boot, SighupReloadsTheConfigAndCallsConfigChange) {
  const std::string f = temp_file("boot_reload.toml", "[svc]\nlevel = 2\n");
  os_process p(OTP_BOOT_SERVICE, {"--config", f});
  p.lines_until("ready", kWait);
  std::ofstream(f) << "[svc]\nlevel = 9\n";
  p.signal(SIGHUP);
  EXPECT_EQ(p.read_line(kWait), "config_change svc {\"level\":9}");
  p.signal(SIGTERM);
  EXPECT_EQ(exit_status(p.wait(kWait)), 0);
  std::filesystem::remove(f);
}

}  // namespace

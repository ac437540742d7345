// otp::start_result: the outcome of a synchronous start, as OTP's
// {ok, Pid} | {ok, Pid, Info} | ignore | {error, Reason} and
// {error, {already_started, Pid}}.
#include "otp/behaviours/start_result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

// Rule: {error, {already_started, Pid}} is its own outcome, known by how it
// was made: it carries the holder and prints as OTP does.
TEST(StartResult, AlreadyStartedCarriesTheHolderAndPrintsAsOtp) {
  const otp::pid holder(0, 3, 7);
  const otp::start_result r = otp::start_result::already_started(holder);
  EXPECT_TRUE(r.is_error());
  EXPECT_TRUE(r.is_already_started());
  EXPECT_EQ(r.child, holder);
  EXPECT_EQ(r.to_string(), "{error,{already_started," + holder.to_string() + "}}");
  const otp::start_result copy = r;  // travels in a start ack, a child_result
  EXPECT_TRUE(copy.is_already_started());
}

// Rule: an error whose reason merely reads "already_started" is an ordinary
// error (the outcome is known by value, not by matching text).
TEST(StartResult, AnErrorReadingAlreadyStartedIsAnOrdinaryError) {
  const otp::start_result r = otp::start_result::error(otp::exit_reason::other("already_started"));
  EXPECT_TRUE(r.is_error());
  EXPECT_FALSE(r.is_already_started());
  EXPECT_EQ(r.to_string(), "{error,already_started}");
}

}  // namespace

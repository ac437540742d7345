#include "otp/services/config_change.hpp"

#include <gtest/gtest.h>

#include "support/config_files.hpp"

using nlohmann::json;
using otp_test::order_system_schema;

namespace {

otp::config::config_set with_sets(std::vector<std::string> sets) {
  return otp::config::load({order_system_schema()}, {.sets = std::move(sets)});
}

// Rule: config_change(Changed, New, Removed): keys whose value differs, keys
// only in the new environment, keys only in the old one.
TEST(ConfigChange, ReportsChangedNewAndRemovedKeys) {
  const auto before = with_sets({"order_system.port=1", "order_system.old=true"});
  const auto after =
      with_sets({"order_system.port=2", "order_system.repo.url=\"y\"", "order_system.fresh=[1]"});
  const auto c = otp::config::changes_of(before, after, "order_system");
  EXPECT_EQ(c.changed, (std::vector<std::pair<std::string, json>>{
                           {"port", 2}, {"repo", {{"pool_size", 4}, {"url", "y"}}}}));
  EXPECT_EQ(c.added, (std::vector<std::pair<std::string, json>>{{"fresh", json({1})}}));
  EXPECT_EQ(c.removed, std::vector<std::string>{"old"});
  EXPECT_FALSE(c.empty());
}

// Rule: only values count: the same value from another source is no change.
TEST(ConfigChange, SameValueFromAnotherSourceIsNoChange) {
  const auto before = with_sets({});
  const auto after = otp::config::load({order_system_schema()},
                                       {.environment = {{"OTP__ORDER_SYSTEM__PORT", "4000"}}});
  EXPECT_NE(after.at("order_system").at("port").from, before.at("order_system").at("port").from);
  EXPECT_TRUE(otp::config::changes_of(before, after, "order_system").empty());
}

// Rule: an application missing from one set has no keys there.
TEST(ConfigChange, MissingApplicationCountsAsEmpty) {
  const auto set = with_sets({});
  const auto c = otp::config::changes_of({}, set, "order_system");
  EXPECT_EQ(c.added.size(), set.at("order_system").size());
  EXPECT_EQ(otp::config::changes_of(set, {}, "order_system").removed.size(),
            set.at("order_system").size());
}

}  // namespace

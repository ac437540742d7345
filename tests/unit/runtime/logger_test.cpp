#include "otp/runtime/logger.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "otp/otp.hpp"
#include "support/captured_log.hpp"
#include "support/telemetry_capture.hpp"

namespace {

using namespace std::chrono_literals;
using otp::log_level;
using otp_test::captured_log;

using Logger = captured_log;

// Rule (logger levels): the primary level is notice by default; an event
// passes when it is at least as severe; allows() says so without logging.
TEST_F(Logger, ThePrimaryLevelIsNoticeByDefaultAndFiltersLessSevereEvents) {
  EXPECT_EQ(otp::logger::primary_level(), log_level::notice);
  EXPECT_TRUE(otp::logger::allows(log_level::notice));
  EXPECT_FALSE(otp::logger::allows(log_level::info));
  otp::logger::info("hidden {}", 1);
  otp::logger::notice("shown {}", 2);
  otp::logger::error("shown {}", 3);
  ASSERT_EQ(events().size(), 2u);
  EXPECT_EQ(events()[0].message, "shown 2");
  EXPECT_EQ(events()[1].level, log_level::error);

  otp::logger::set_primary_level(log_level::debug);
  otp::logger::debug("now shown");
  EXPECT_EQ(with_message("now shown").size(), 1u);
  otp::logger::set_primary_level(log_level::none);
  otp::logger::emergency("not even this");
  EXPECT_TRUE(with_message("not even this").empty());
}

// Rule (logger:set_module_level/2): a module level replaces the primary level
// for its named logger only, more or less verbose; unsetting restores it.
TEST_F(Logger, AModuleLevelReplacesThePrimaryLevelForItsNamedLoggerOnly) {
  const otp::logger::named payment("order_system.payment");
  const otp::logger::named other("order_system.inventory");
  otp::logger::set_module_level("order_system.payment", log_level::debug);
  EXPECT_TRUE(payment.allows(log_level::debug));
  EXPECT_TRUE(otp::logger::allows(log_level::debug, "order_system.payment"));
  EXPECT_FALSE(otp::logger::allows(log_level::debug, "order_system.inventory"));
  payment.debug("charge {}", 7);
  other.debug("hidden");
  otp::logger::debug("hidden");
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(events()[0].logger, "order_system.payment");
  EXPECT_EQ(events()[0].message, "charge 7");

  otp::logger::set_module_level("order_system.payment", log_level::error);
  payment.warning("quiet now");
  EXPECT_TRUE(with_message("quiet now").empty());
  otp::logger::unset_module_level("order_system.payment");
  payment.warning("primary again");
  EXPECT_EQ(with_message("primary again").size(), 1u);
}

// Rule (handler level): each handler drops what is below its own level, after
// the primary level let the event through.
TEST_F(Logger, EachHandlerFiltersByItsOwnLevel) {
  auto errors_only = std::make_shared<state>();
  ASSERT_TRUE(otp::logger::add_handler("errors", capture_handler(errors_only),
                                       {.level = log_level::error}));
  EXPECT_FALSE(otp::logger::add_handler("errors", capture_handler(errors_only)));
  otp::logger::warning("a warning");
  otp::logger::critical("a critical");
  EXPECT_EQ(events().size(), 2u);
  ASSERT_EQ(errors_only->events.size(), 1u);
  EXPECT_EQ(errors_only->events[0].message, "a critical");
  EXPECT_EQ(otp::logger::handler_level("errors"), log_level::error);
  EXPECT_TRUE(otp::logger::set_handler_level("capture", log_level::none));
  otp::logger::alert("not captured");
  EXPECT_EQ(events().size(), 2u);
  EXPECT_TRUE(otp::logger::remove_handler("errors"));
  EXPECT_FALSE(otp::logger::remove_handler("errors"));
  EXPECT_EQ(otp::logger::handler_level("errors"), std::nullopt);
}

// Rule (location metadata): the event names the file, line and function of the call.
TEST_F(Logger, AnEventCarriesTheFileAndLineOfItsCallSite) {
  const unsigned line = __LINE__ + 1;
  otp::logger::notice("here");
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(events()[0].line, line);
  EXPECT_NE(events()[0].file.find("logger_test.cpp"), std::string::npos);
  EXPECT_FALSE(events()[0].function.empty());
  EXPECT_TRUE(events()[0].process.is_null());  // not called from a process
}

// Rule (metadata): the caller's key/value pairs travel with the event; a
// format error at run time is logged, never thrown.
TEST_F(Logger, CallerMetadataIsAttachedAndARuntimeFormatErrorIsLogged) {
  otp::logger::warning({{"order", "42"}, {"step", "charge"}}, "declined {}", "card");
  otp::logger::error(fmt::runtime("{} {}"), 1);
  ASSERT_EQ(events().size(), 2u);
  EXPECT_EQ(events()[0].meta("order"), "42");
  EXPECT_EQ(events()[0].meta("step"), "charge");
  EXPECT_NE(events()[1].message.find("FORMAT ERROR"), std::string::npos);
}

otp::proc log_as(std::string name) {
  otp::register_name(name, otp::self());
  otp::logger::notice("from {}", name);
  co_return;
}

// Rule (process metadata): inside a process the event carries its pid and
// registered name.
TEST_F(Logger, InsideAProcessTheEventCarriesItsPidAndRegisteredName) {
  otp::node n({.manual = true});
  const otp::pid p = n.spawn(log_as, std::string("cart"));
  n.run_until_idle();
  ASSERT_EQ(with_message("from cart").size(), 1u);
  EXPECT_EQ(with_message("from cart")[0].process, p);
  EXPECT_EQ(with_message("from cart")[0].registered_name, "cart");
}

otp::proc child_logs() {
  const auto app = otp::get_application();
  otp::logger::notice("child sees {}", app.value_or("none"));
  co_return;
}

otp::proc app_parent() {
  otp::spawn(child_logs);  // before the tag: the child has none
  otp::detail::set_application("shop");
  otp::spawn(child_logs);
  co_return;
}

// Rule (application:get_application/0): a process spawned by a process of
// an application belongs to it too, and its events say so.
TEST_F(Logger, TheApplicationTagIsInheritedBySpawnedProcesses) {
  EXPECT_EQ(otp::get_application(), std::nullopt);
  otp::node n({.manual = true});
  n.spawn(app_parent);
  n.run_until_idle();
  ASSERT_EQ(with_message("child sees none").size(), 1u);
  EXPECT_EQ(with_message("child sees none")[0].application, "");
  ASSERT_EQ(with_message("child sees shop").size(), 1u);
  EXPECT_EQ(with_message("child sees shop")[0].application, "shop");
}

struct burst {
  int events;
};

otp::proc bursty() {
  for (;;) {
    co_await otp::receive([](burst b) {
      for (int i = 0; i < b.events; ++i) otp::logger::error("crash {}", i);
    });
  }
}

// Rule (burst_limit_max_count / burst_limit_window_time): beyond max_count
// events in a window, a handler drops and counts; its first event after the
// window is preceded by one saying how many were dropped, and the telemetry
// event otp.logger.dropped tells the count too.
TEST_F(Logger, ABurstBeyondTheLimitIsDroppedAndTheCountToldWhenTheWindowEnds) {
  otp_test::event_recorder drops("logger-test-drops", {{"otp", "logger", "dropped"}});
  auto limited = std::make_shared<state>();
  ASSERT_TRUE(
      otp::logger::add_handler("limited", capture_handler(limited),
                               {.burst_limit_max_count = 3, .burst_limit_window_time = 1000ms}));
  otp::node n({.manual = true});
  const otp::pid p = n.spawn(bursty);
  n.send(p, burst{10});
  n.run_until_idle();
  EXPECT_EQ(limited->events.size(), 3u);
  EXPECT_EQ(events().size(), 10u);  // the capture handler has the default limit
  EXPECT_EQ(otp::logger::handler_dropped("limited"), 7u);
  n.advance(1000ms);
  n.send(p, burst{1});
  n.run_until_idle();
  ASSERT_EQ(limited->events.size(), 5u);
  EXPECT_EQ(limited->events[3].level, log_level::warning);
  EXPECT_EQ(limited->events[3].meta("dropped"), "7");
  EXPECT_NE(limited->events[3].message.find("dropped 7 events"), std::string::npos);
  EXPECT_EQ(limited->events[4].message, "crash 0");
  const auto told = drops.named("otp.logger.dropped");
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].measure("count"), 7.0);
  EXPECT_EQ(told[0].meta("handler"), "limited");
}

// Rule (to_string / parse): every level round-trips; an unknown name is badarg.
TEST(LogLevel, NamesRoundTripAndAnUnknownNameIsRejected) {
  for (int i = -1; i <= 8; ++i) {
    const auto l = static_cast<log_level>(i);
    EXPECT_EQ(otp::parse_log_level(otp::to_string(l)), l);
  }
  EXPECT_THROW(otp::parse_log_level("verbose"), otp::badarg);
  EXPECT_TRUE(otp::passes(log_level::error, log_level::notice));
  EXPECT_FALSE(otp::passes(log_level::info, log_level::notice));
}

}  // namespace

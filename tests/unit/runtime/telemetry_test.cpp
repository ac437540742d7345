// otp::telemetry against the telemetry library's rules: attach, detach,
// list_handlers, execute, span, and a failing handler's detachment.
#include "otp/runtime/telemetry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "otp/runtime/errors.hpp"
#include "support/captured_log.hpp"
#include "support/telemetry_capture.hpp"

namespace {

namespace telem = otp::telemetry;

using otp_test::seen_event;
using otp_test::telemetry_copy;
using otp_test::telemetry_ids;

// Rule (attach/execute/detach): a handler gets the events of its name with
// their measurements and metadata; an id is unique; detach stops it and a
// second detach finds nothing.
TEST(Telemetry, AttachExecuteAndDetach) {
  telemetry_ids guard{{"tt-attach"}};
  std::vector<seen_event> seen;
  ASSERT_TRUE(telem::attach("tt-attach", {"tt", "payment", "processed"},
                            [&](const telem::event& e) { seen.push_back(telemetry_copy(e)); }));
  EXPECT_FALSE(telem::attach("tt-attach", {"tt", "other"}, [](const telem::event&) {}));
  telem::execute({"tt", "payment", "processed"}, {{"amount_cents", 1250}},
                 {{"customer", "c-42"}, {"attempt", 2}});
  telem::execute({"tt", "payment"}, {{"amount_cents", 1}});            // a prefix: not its event
  telem::execute({"tt", "payment", "failed"}, {{"amount_cents", 1}});  // another event
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].name, "tt.payment.processed");
  ASSERT_EQ(seen[0].measurements.size(), 1U);
  EXPECT_EQ(seen[0].measurements[0], std::make_pair(std::string("amount_cents"), 1250.0));
  EXPECT_EQ(seen[0].metadata, (std::vector<std::pair<std::string, std::string>>{
                                  {"customer", "c-42"}, {"attempt", "2"}}));
  EXPECT_TRUE(telem::detach("tt-attach"));
  telem::execute({"tt", "payment", "processed"}, {{"amount_cents", 7}});
  EXPECT_EQ(seen.size(), 1U);
  EXPECT_FALSE(telem::detach("tt-attach"));
}

// Rule (execute): every handler of an event runs, in the order attached,
// and the event's lookup helpers find what was passed.
TEST(Telemetry, HandlersOfAnEventRunInAttachOrder) {
  telemetry_ids guard{{"tt-first", "tt-second"}};
  std::string order;
  ASSERT_TRUE(telem::attach("tt-first", {"tt", "order"}, [&](const telem::event& e) {
    order += "1";
    EXPECT_EQ(e.measurement_of("n"), 3.0);
    EXPECT_EQ(e.measurement_of("missing"), std::nullopt);
    ASSERT_NE(e.metadata_of("who"), nullptr);
    EXPECT_EQ(std::get<std::string_view>(*e.metadata_of("who")), "me");
    EXPECT_EQ(e.metadata_of("nobody"), nullptr);
  }));
  ASSERT_TRUE(
      telem::attach("tt-second", {"tt", "order"}, [&](const telem::event&) { order += "2"; }));
  telem::execute({"tt", "order"}, {{"n", 3}}, {{"who", "me"}});
  EXPECT_EQ(order, "12");
}

// Rule (attach_many, list_handlers): one id on several events, listed once
// per event, found by any prefix of the name; detach removes it from all.
TEST(Telemetry, AttachManyAndListHandlersByPrefix) {
  telemetry_ids guard{{"tt-many", "tt-one"}};
  int calls = 0;
  ASSERT_TRUE(telem::attach_many("tt-many", {{"tt-list", "a", "start"}, {"tt-list", "b"}},
                                 [&](const telem::event&) { ++calls; }));
  ASSERT_TRUE(telem::attach("tt-one", {"tt-list", "a", "start"}, [](const telem::event&) {}));
  telem::execute({"tt-list", "a", "start"});
  telem::execute({"tt-list", "b"});
  EXPECT_EQ(calls, 2);
  auto all = telem::list_handlers({"tt-list"});
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].id, "tt-many");
  EXPECT_EQ(all[0].event_name, (std::vector<std::string>{"tt-list", "a", "start"}));
  EXPECT_EQ(all[1].id, "tt-many");
  EXPECT_EQ(all[1].event_name, (std::vector<std::string>{"tt-list", "b"}));
  EXPECT_EQ(all[2].id, "tt-one");
  EXPECT_EQ(telem::list_handlers({"tt-list", "a"}).size(), 2U);
  EXPECT_TRUE(telem::list_handlers({"tt-list", "c"}).empty());
  EXPECT_TRUE(telem::detach("tt-many"));
  telem::execute({"tt-list", "b"});
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(telem::list_handlers({"tt-list"}).size(), 1U);
  EXPECT_GE(telem::list_handlers().size(), 1U);
}

// Rule (bad input): an empty event name, an empty segment or no names is
// badarg, and nothing is attached.
TEST(Telemetry, BadNamesAreBadargAndAttachNothing) {
  telemetry_ids guard{{"tt-bad"}};
  EXPECT_THROW(telem::attach("tt-bad", {}, [](const telem::event&) {}), otp::badarg);
  EXPECT_THROW(telem::attach("tt-bad", {"tt", ""}, [](const telem::event&) {}), otp::badarg);
  EXPECT_THROW(telem::attach_many("tt-bad", {}, [](const telem::event&) {}), otp::badarg);
  EXPECT_FALSE(telem::detach("tt-bad"));
}

class TelemetryFailure : public otp_test::captured_log {};

// Rule (handler failure): a handler that throws is detached and logged
// once; the other handlers of the event still run, and execute returns.
TEST_F(TelemetryFailure, AThrowingHandlerIsDetachedAndLoggedOnce) {
  telemetry_ids guard{{"tt-throws", "tt-fine"}};
  int thrown = 0;
  int fine = 0;
  ASSERT_TRUE(telem::attach("tt-throws", {"tt", "fail"}, [&](const telem::event&) {
    ++thrown;
    throw std::runtime_error("handler broke");
  }));
  ASSERT_TRUE(telem::attach("tt-fine", {"tt", "fail"}, [&](const telem::event&) { ++fine; }));
  EXPECT_NO_THROW(telem::execute({"tt", "fail"}));
  EXPECT_NO_THROW(telem::execute({"tt", "fail"}));
  EXPECT_EQ(thrown, 1);
  EXPECT_EQ(fine, 2);
  EXPECT_FALSE(telem::detach("tt-throws"));
  const auto logged = with_message("tt-throws");
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_EQ(logged[0].level, otp::log_level::error);
  EXPECT_NE(logged[0].message.find("handler broke"), std::string::npos);
  EXPECT_NE(logged[0].message.find("tt.fail"), std::string::npos);
}

// Rule (span): start then stop, with the same span context, a duration in
// nanoseconds and the span's metadata; the function's result comes back.
TEST(Telemetry, SpanEmitsStartAndStopAndReturnsTheResult) {
  telemetry_ids guard{{"tt-span"}};
  std::vector<seen_event> seen;
  ASSERT_TRUE(telem::attach_many(
      "tt-span", {{"tt", "job", "start"}, {"tt", "job", "stop"}, {"tt", "job", "exception"}},
      [&](const telem::event& e) { seen.push_back(telemetry_copy(e)); }));
  const int r = telem::span({"tt", "job"}, {{"job", "resize"}}, [] { return 42; });
  EXPECT_EQ(r, 42);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].name, "tt.job.start");
  EXPECT_EQ(seen[1].name, "tt.job.stop");
  EXPECT_EQ(seen[0].measurements[0].first, "monotonic_time");
  EXPECT_EQ(seen[0].measurements[1].first, "system_time");
  EXPECT_EQ(seen[1].measurements[0].first, "duration");
  EXPECT_GE(seen[1].measurements[0].second, 0.0);
  EXPECT_GE(seen[1].measurements[1].second, seen[0].measurements[0].second);
  EXPECT_EQ(seen[0].metadata[0], std::make_pair(std::string("job"), std::string("resize")));
  EXPECT_EQ(seen[0].metadata[1].first, "telemetry_span_context");
  EXPECT_EQ(seen[0].metadata[1], seen[1].metadata[1]);
  telem::span({"tt", "job"}, {}, [] {});
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_NE(seen[2].metadata[0].second, seen[0].metadata[1].second);  // a new context
}

// Rule (span, exception): a throwing function gives start then exception,
// with kind and reason, and the exception goes on to the caller; an otp
// exit is kind "exit" with its reason.
TEST(Telemetry, SpanReportsAnExceptionAndRethrows) {
  telemetry_ids guard{{"tt-span-x"}};
  std::vector<std::string> names;
  std::vector<std::string> kinds;
  std::vector<otp::exit_reason> reasons;
  ASSERT_TRUE(telem::attach_many(
      "tt-span-x", {{"tt", "x", "start"}, {"tt", "x", "stop"}, {"tt", "x", "exception"}},
      [&](const telem::event& e) {
        names.push_back(e.name_string());
        if (const auto* k = e.metadata_of("kind"))
          kinds.emplace_back(std::get<std::string_view>(*k));
        if (const auto* r = e.metadata_of("reason"))
          reasons.push_back(std::get<otp::exit_reason>(*r));
        EXPECT_NE(e.metadata_of("telemetry_span_context"), nullptr);
      }));
  EXPECT_THROW(telem::span({"tt", "x"}, {}, []() -> int { throw std::logic_error("bad sum"); }),
               std::logic_error);
  EXPECT_THROW(telem::span({"tt", "x"}, {},
                           [] { throw otp::exit_error(otp::exit_reason::other("overloaded")); }),
               otp::exit_error);
  EXPECT_EQ(names, (std::vector<std::string>{"tt.x.start", "tt.x.exception", "tt.x.start",
                                             "tt.x.exception"}));
  EXPECT_EQ(kinds, (std::vector<std::string>{"error", "exit"}));
  ASSERT_EQ(reasons.size(), 2U);
  ASSERT_NE(reasons[0].exception(), nullptr);
  EXPECT_EQ(reasons[0].exception()->what, "bad sum");
  EXPECT_EQ(reasons[1].to_string(), "overloaded");
}

// Rule (threads): threads emitting while another attaches and detaches
// handlers of the same event: the stable handler sees every event once, and
// nothing is torn (run under ThreadSanitizer by make test).
TEST(Telemetry, EmittersAndAttachersOnSeveralThreads) {
  telemetry_ids guard{{"tt-stable", "tt-churn"}};
  std::atomic<int> stable{0};
  ASSERT_TRUE(telem::attach("tt-stable", {"tt", "mt"}, [&](const telem::event& e) {
    if (e.measurement_of("n") == 1.0) stable.fetch_add(1);
  }));
  constexpr int kEach = OTP_SANITIZED ? 2'000 : 20'000;
  std::atomic<bool> done{false};
  std::vector<std::thread> emitters;
  for (int t = 0; t < 2; ++t)
    emitters.emplace_back([] {
      for (int i = 0; i < kEach; ++i) telem::execute({"tt", "mt"}, {{"n", 1}}, {{"i", i}});
    });
  std::thread churn([&] {
    while (!done.load()) {
      telem::attach("tt-churn", {"tt", "mt"}, [](const telem::event&) {});
      telem::detach("tt-churn");
    }
  });
  for (auto& th : emitters) th.join();
  done = true;
  churn.join();
  EXPECT_EQ(stable.load(), 2 * kEach);
}

// Rule (cost): with no handler anywhere, execute and span do nothing but
// run the function.
TEST(Telemetry, NoHandlerMeansSpanJustRunsTheFunction) {
  int ran = 0;
  telem::execute({"tt", "nobody"}, {{"x", 1}});
  EXPECT_EQ(telem::span({"tt", "nobody"}, {}, [&] { return ++ran; }), 1);
  EXPECT_THROW(telem::span({"a", "b", "c", "d", "e", "f", "g", "h", "i"}, {}, [] {}), otp::badarg);
}

}  // namespace

// A call that reaches a server of another type (a server_ref<A> made from
// the pid of a B) ends at once with {bad_call,Request,Server} instead of
// waiting for ever; the server refuses it, reports it, and goes on. OTP's
// server would crash with function_clause (gen_server_SUITE's call with an
// unknown request); this library keeps the server, since the type mismatch
// is the caller's mistake (docs/semantics.md).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "otp/otp.hpp"

namespace {

struct text_echo {
  struct say {
    using reply = std::string;
    std::string text;
  };
  std::string handle_call(say s) { return s.text; }
};

struct fixed_counter {
  struct get {
    using reply = int;
  };
  int n = 7;
  int handle_call(get) { return n; }
};

struct bad_call_fixture : ::testing::Test {
  std::vector<otp::report> reports;
  otp::node n{
      {.manual = true, .on_report = [this](const otp::report& r) { reports.push_back(r); }}};
  otp::mailbox mb{n};
};

using GenServerBadCall = bad_call_fixture;

/// The reason a call's exit carried, or "returned" when it did not exit.
template <class Call>
std::string exit_text_of(Call&& call) {
  try {
    (void)std::forward<Call>(call).get();
    return "returned";
  } catch (const otp::exit_error& e) {
    return e.reason().to_string();
  }
}

// Rule: a call whose request the server's type does not handle exits the
// caller at once with {bad_call,Request,Server}; the server answers its own
// requests afterwards, and logs one error report naming both types.
TEST_F(GenServerBadCall, ACallOfAnotherServerTypeExitsWithBadCallAndTheServerGoesOn) {
  auto c = otp::gen_server::start_link<fixed_counter>().get();
  ASSERT_TRUE(c.is_ok());
  const otp::server_ref<text_echo> wrong(c.child);
  const std::string reason = exit_text_of(otp::call(wrong, text_echo::say{"hello"}, otp::infinity));
  EXPECT_NE(reason.find("{bad_call,"), std::string::npos) << reason;
  EXPECT_NE(reason.find("echo::say"), std::string::npos) << reason;
  EXPECT_NE(reason.find("counter}"), std::string::npos) << reason;
  EXPECT_EQ(otp::call(c.ref(), fixed_counter::get{}).get(), 7);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].headline.find("received a call it does not handle"), std::string::npos);
  EXPECT_NE(reports[0].field("request").find("echo::say"), std::string::npos);
  EXPECT_NE(reports[0].field("addressed_to").find("echo"), std::string::npos);
  EXPECT_EQ(reports[0].field("caller"), mb.self().to_string());
}

// Rule: supervisor::which_children on a dynamic supervisor's pid (the
// issue's hang) exits with bad_call, and the dynamic supervisor still works.
TEST_F(GenServerBadCall, ASupervisorCallToADynamicSupervisorDoesNotHang) {
  auto d = otp::dynamic_supervisor::start_link().get();
  ASSERT_TRUE(d.is_ok());
  const std::string reason =
      exit_text_of(otp::supervisor::which_children(otp::supervisor::ref(d.child)));
  EXPECT_NE(reason.find("{bad_call,"), std::string::npos) << reason;
  EXPECT_NE(reason.find("which_children"), std::string::npos) << reason;
  EXPECT_NE(reason.find("dynamic_supervisor"), std::string::npos) << reason;
  EXPECT_TRUE(otp::dynamic_supervisor::which_children(d.ref()).get().empty());
}

// Rule: send_request to a server of another type gives an error response
// with the bad_call reason (gen_server:wait_response's {error, ...}).
TEST_F(GenServerBadCall, SendRequestToAnotherServerTypeGivesAnErrorResponse) {
  auto c = otp::gen_server::start_link<fixed_counter>().get();
  ASSERT_TRUE(c.is_ok());
  auto id = otp::send_request(otp::server_ref<text_echo>(c.child), text_echo::say{"x"});
  auto r = otp::wait_response(id, otp::infinity).get();
  ASSERT_EQ(r.state, decltype(r)::status::error);
  EXPECT_NE(r.reason.to_string().find("{bad_call,"), std::string::npos) << r.reason;
  EXPECT_EQ(otp::call(c.ref(), fixed_counter::get{}).get(), 7);
}

// Rule: sys:get_status names the behaviour: "supervisor" for supervisors
// and dynamic supervisors, "gen_server" for servers.
TEST_F(GenServerBadCall, GetStatusNamesTheBehaviour) {
  auto s = otp::supervisor::start_link({}, {}).get();
  auto d = otp::dynamic_supervisor::start_link().get();
  auto c = otp::gen_server::start_link<fixed_counter>().get();
  ASSERT_TRUE(s.is_ok() && d.is_ok() && c.is_ok());
  EXPECT_EQ(otp::sys::get_status(s.child).get().behaviour, "supervisor");
  EXPECT_EQ(otp::sys::get_status(d.child).get().behaviour, "supervisor");
  EXPECT_EQ(otp::sys::get_status(c.child).get().behaviour, "gen_server");
}

}  // namespace

#include "otp/behaviours/gen_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"

using namespace std::chrono_literals;

namespace {

struct counter {
  struct get {
    using reply = int;
  };
  struct add {
    int by;
  };
  struct crash {
    using reply = int;
  };
  int n;
  explicit counter(int start) : n(start) {}
  int handle_call(get) { return n; }
  int handle_call(crash) { throw std::runtime_error("crash on request"); }
  void handle_cast(add a) { n += a.by; }
};

// Rule (gen_server:start_link/3, call/2, cast/2): start returns after init;
// a cast is handled before a later call from the same client.
TEST(GenServer, StartCallCast) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  auto s = otp::gen_server::start_link<counter>(10).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  otp::cast(s.ref(), counter::add{5});
  EXPECT_EQ(otp::call(s.ref(), counter::get{}).get(), 15);
}

// Rule: start options are one expression: a name (and any other option) in
// designated initialisers, as the guide shows.
TEST(GenServer, StartOptionsAreOneExpression) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  auto s =
      otp::gen_server::start_link<counter>({.name = "counter", .start_timeout = 1000ms}, 4).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(otp::call(otp::server_ref<counter>("counter"), counter::get{}).get(), 4);
}

// Rule (gen_server:call/3): a server that throws on the request dies with the
// exception; the caller exits with the server's reason.
TEST(GenServer, CallToACrashingServerExitsTheCallerWithItsReason) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto s = otp::gen_server::start_link<counter>(1).get();
  try {
    (void)otp::call(s.ref(), counter::crash{}).get();
    FAIL() << "call returned";
  } catch (const otp::exit_error& e) {
    ASSERT_TRUE(e.reason().is(otp::exit_reason::kind::exception));
    EXPECT_EQ(e.reason().detail(), "crash on request");
  }
}

// A server whose requests are named `info` and `continues`, the names under
// which a server may declare its handle_info and handle_continue types.
struct desk {
  struct info {
    using reply = std::string;
  };
  struct continues {
    int by;
  };
  int n = 0;
  std::string handle_call(info) { return "n=" + std::to_string(n); }
  void handle_cast(continues c) { n += c.by; }
};

// Rule: `info` and `continues` are ordinary request names; only an
// otp::types<...> list under those names declares handler types.
TEST(GenServer, RequestsMayBeNamedInfoOrContinues) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  auto s = otp::gen_server::start_link<desk>().get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  otp::cast(s.ref(), desk::continues{3});
  EXPECT_EQ(otp::call(s.ref(), desk::info{}).get(), "n=3");
}

}  // namespace

namespace {

// Rule (sys:get_state/1, replace_state/2): the state can be read and
// replaced; a replace function that throws leaves it unchanged.
TEST(GenServerSys, GetAndReplaceState) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  auto s = otp::gen_server::start_link<counter>(3).get();
  EXPECT_EQ(otp::sys::get_state(s.ref(), [](const counter& c) { return c.n; }).get(), 3);
  otp::sys::replace_state(s.ref(), [](const counter& c) { return counter(c.n * 10); }).get();
  EXPECT_EQ(otp::call(s.ref(), counter::get{}).get(), 30);
  EXPECT_THROW(otp::sys::replace_state(
                   s.ref(), [](const counter&) -> counter { throw std::runtime_error("no"); })
                   .get(),
               otp::exit_error);
  EXPECT_EQ(otp::call(s.ref(), counter::get{}).get(), 30);
  auto st = otp::sys::statistics(s.child).get();
  EXPECT_EQ(st.messages_handled, 2u);
}

}  // namespace

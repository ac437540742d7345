// The coroutine code a user writes the natural way, which GCC 12 miscompiles
// (temporaries destroyed twice or moved bitwise, both arms of ?: evaluated):
// it must give the right answers in every build of the test matrix. The
// configure-time probe (cmake/otp_coroutine_probe.cpp) refuses compilers
// that get these wrong; docs/decisions/0005-compiler-policy.md.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "otp/otp.hpp"

namespace {

// An echo server that counts the calls it answered.
struct counting_echo {
  struct say {
    using reply = std::string;
    std::string text;
  };
  struct calls {
    using reply = int;
  };
  int answered = 0;
  std::string handle_call(say s) {
    ++answered;
    return s.text;
  }
  int handle_call(calls) { return answered; }
};

// A short string lives in std::string's own buffer (a pointer into itself);
// a long one on the heap (a double free aborts).
const std::string kShort = "hi";
const std::string kLong = "hello from a coroutine, longer than any small-string buffer";

struct NaturalCoroutineCode : ::testing::Test {
  otp::node n{{.manual = true, .on_report = [](const otp::report&) {}}};
  otp::mailbox mb{n};
  /// A running echo server.
  otp::server_ref<counting_echo> start_echo() {
    auto e = otp::gen_server::start_link<counting_echo>().get();
    EXPECT_TRUE(e.is_ok());
    return e.ref();
  }
};

// Rule: `co_await otp::call(ref, request{"text"})`, the request a temporary
// holding a string, sends that request once and returns its reply.
TEST_F(NaturalCoroutineCode, ACallWhoseRequestIsATemporaryHoldingAString) {
  const auto e = start_echo();
  n.spawn(
      [](otp::server_ref<counting_echo> e, otp::pid to) -> otp::proc {
        std::string a = co_await otp::call(e, counting_echo::say{"hi"});
        std::string b = co_await otp::call(
            e, counting_echo::say{"hello from a coroutine, longer than any small-string buffer"});
        otp::send(to, std::pair<std::string, std::string>(a, b));
      },
      e, mb.self());
  const auto [a, b] = mb.receive<std::pair<std::string, std::string>>();
  EXPECT_EQ(a, kShort);
  EXPECT_EQ(b, kLong);
  EXPECT_EQ(otp::call(e, counting_echo::calls{}).get(), 2);
}

// Rule: a capturing lambda written inside the co_await of
// pool.transaction(...) runs once with its captures intact.
TEST_F(NaturalCoroutineCode, APoolTransactionWithACapturingLambda) {
  auto p = otp::pool<counting_echo>::start_link({.size = 1, .max_overflow = 0}).get();
  ASSERT_TRUE(p.is_ok());
  n.spawn(
      [](otp::pool<counting_echo> p, otp::pid to) -> otp::proc {
        const std::string text = kLong;
        std::string r = co_await p.transaction(
            [text, tail = std::string(kShort)](otp::pool<counting_echo>::worker w) {
              return otp::call(w, counting_echo::say{text + tail});
            });
        otp::send(to, r);
      },
      p.ref(), mb.self());
  EXPECT_EQ(mb.receive<std::string>(), kLong + kShort);
}

// Rule: `cond ? co_await a : co_await b` awaits one arm only.
TEST_F(NaturalCoroutineCode, ConditionalOperatorAwaitsOneArmOnly) {
  const auto e = start_echo();
  n.spawn(
      [](otp::server_ref<counting_echo> e, otp::pid to) -> otp::proc {
        for (const bool left : {true, false}) {
          std::string r = left
                              ? co_await otp::call(e, counting_echo::say{"left"})
                              : co_await otp::call(e, counting_echo::say{"right, a longer string"});
          otp::send(to, r);
        }
      },
      e, mb.self());
  EXPECT_EQ(mb.receive<std::string>(), "left");
  EXPECT_EQ(mb.receive<std::string>(), "right, a longer string");
  EXPECT_EQ(otp::call(e, counting_echo::calls{}).get(), 2);
}

}  // namespace

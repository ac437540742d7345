// gen_server started under a {via, registry, Key} name.
#include <gtest/gtest.h>

#include <string>

#include "otp/otp.hpp"

namespace {

struct via_echo {
  struct ask {
    using reply = std::string;
    std::string text;
  };
  std::string handle_call(ask a) { return "echo " + a.text; }
};

// Rule (gen_server:start_link/4 with {via, Module, Name}): the server is
// registered through the via module before init, is reached by that name,
// a second start with the name is already_started with the holder, and the
// name is free once the server is gone.
TEST(GenServerVia, StartedUnderARegistryViaNameIsReachedByIt) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  otp::registry<std::string> reg(n);
  ASSERT_TRUE(reg.start_link().is_ok());
  otp::start_options o;
  o.name = reg.via("echo");
  auto s = otp::gen_server::start_link<via_echo>(o).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const auto by_name = otp::whereis<via_echo>(o.name);
  EXPECT_EQ(by_name.resolve(), s.child);
  EXPECT_EQ(otp::call(by_name, via_echo::ask{"hi"}).get(), "echo hi");
  auto again = otp::gen_server::start_link<via_echo>(o).get();
  ASSERT_TRUE(again.is_already_started()) << again.to_string();
  EXPECT_EQ(again.child, s.child);
  otp::gen_server::stop(s.ref()).get();
  n.run_until_idle();  // the registry drops the entry when it sees the exit
  EXPECT_TRUE(o.name.whereis().is_null());
}

}  // namespace

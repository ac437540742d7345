// Child specs built by worker<S>: the defaults a server type declares once
// (Elixir's `use GenServer, restart: :temporary, shutdown: 10_000`).
#include "otp/behaviours/child_spec.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "otp/otp.hpp"

using namespace std::chrono_literals;

namespace {

struct plain {};

struct session {
  static constexpr otp::restart_type restart = otp::temporary;
  static constexpr otp::shutdown_spec shutdown = 10'000;
};

// Significant children are only valid under a supervisor with auto_shutdown.
struct job {
  static constexpr otp::restart_type restart = otp::transient;
  static constexpr bool significant = true;
};

struct sub_tree {
  static constexpr otp::child_type type = otp::child_type::supervisor;
  static constexpr otp::shutdown_spec shutdown = otp::brutal_kill;
};

// Rule: without declarations, worker<S> gives OTP's defaults (permanent,
// worker, shutdown 5000 ms, not significant).
TEST(ChildSpec, WorkerWithoutDeclarationsHasOtpsDefaults) {
  const otp::child_spec c = otp::worker<plain>("p");
  EXPECT_EQ(c.restart, otp::permanent);
  EXPECT_EQ(c.type, otp::child_type::worker);
  EXPECT_FALSE(c.shutdown.has_value());
  EXPECT_EQ(c.effective_shutdown().grace().ms(), 5000u);
  EXPECT_FALSE(c.significant);
}

// Rule: restart, shutdown, type and significant declared on the server type
// are picked up by worker and named_worker.
TEST(ChildSpec, WorkerPicksUpTheDefaultsTheTypeDeclares) {
  const otp::child_spec s = otp::worker<session>("s");
  EXPECT_EQ(s.restart, otp::temporary);
  EXPECT_EQ(s.effective_shutdown().grace().ms(), 10000u);
  EXPECT_FALSE(s.significant);
  const otp::child_spec j = otp::worker<job>("j");
  EXPECT_EQ(j.restart, otp::transient);
  EXPECT_TRUE(j.significant);
  const otp::child_spec t = otp::named_worker<sub_tree>("t", "tree");
  EXPECT_EQ(t.type, otp::child_type::supervisor);
  EXPECT_TRUE(t.effective_shutdown().is_brutal_kill());
  EXPECT_EQ(t.restart, otp::permanent);
}

// Rule: a supervisor honours the declared restart: a temporary session that
// crashes is not restarted and leaves the child list.
TEST(ChildSpec, ASupervisorHonoursTheDeclaredRestart) {
  otp::node n({.manual = true, .on_report = [](const otp::report&) {}});
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = otp::supervisor::start_link({}, {otp::worker<session>("s")}).get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  const auto kids = otp::supervisor::which_children(sup.ref()).get();
  ASSERT_EQ(kids.size(), 1u);
  const otp::ref m = otp::monitor(kids[0].child);
  otp::exit(kids[0].child, otp::exit_reason::kill());
  EXPECT_EQ(mb.receive<otp::down_msg>().monitor, m);
  n.run_until_idle();
  EXPECT_TRUE(otp::supervisor::which_children(sup.ref()).get().empty());
}

}  // namespace

// DynamicSupervisor: restart types, restart intensity, and how children are
// stopped when the supervisor stops.
//
// Mirrors the rules of Elixir's DynamicSupervisor documentation and OTP's
// supervisor_SUITE (restart_temporary, restart_transient, shutdown groups)
// for simple_one_for_one supervisors.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

namespace {

using namespace std::chrono_literals;
namespace dsup = otp::dynamic_supervisor;
using kind = otp::exit_reason::kind;

using otp_test::quiet_manual;
using otp_test::reports_terminate;

/// Stops with the reason it is cast.
struct quitter {
  struct quit {
    otp::exit_reason why;
  };
  otp::server_result handle_cast(quit q) { return otp::stop(std::move(q.why)); }
};

/// Traps exits and ignores them: only kill ends it.
otp::proc ignores_exits() {
  for (;;) co_await otp::receive([](otp::exit_msg&&) {});
}

otp::child_spec stubborn_spec(std::chrono::milliseconds shutdown) {
  otp::child_spec c;
  c.shutdown = otp::shutdown_spec(shutdown);
  c.start = []() -> otp::task<otp::start_result> {
    otp::spawn_options so;
    so.link = true;
    so.trap_exit = true;
    co_return otp::start_result::ok(otp::spawn_opt(so, ignores_exits).child);
  };
  return c;
}

/// Starts a quitter child with restart type `r`.
otp::pid start_quitter(otp::mailbox&, const dsup::ref& sup, otp::restart_type r) {
  otp::child_spec c = otp::worker<quitter>("");
  c.restart = r;
  auto s = dsup::start_child(sup, std::move(c)).get();
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return s.child;
}

/// Makes `p` exit with `why` and returns once it is dead (its supervisor got
/// the EXIT before any later message from us).
void end_child(otp::mailbox& mb, otp::pid p, otp::exit_reason why) {
  otp::ref m = otp::monitor(p);
  if (why.is(kind::kill))
    otp::exit(p, why);
  else
    otp::cast(otp::server_ref<quitter>(p), quitter::quit{why});
  mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                       [](const otp::down_msg&) {}));
}

std::vector<otp::pid> running_children(const dsup::ref& sup) {
  std::vector<otp::pid> out;
  for (const otp::child_info& c : dsup::which_children(sup).get()) out.push_back(c.child);
  return out;
}

/// The ints queued in `mb`, sorted.
std::vector<int> sorted_ints(otp::mailbox& mb) {
  std::vector<int> out = otp_test::drain_ints(mb);
  std::sort(out.begin(), out.end());
  return out;
}

// Rule (permanent): a permanent child is restarted after any exit, even normal.
TEST(DynamicSupervisorRestart, PermanentChildRestartsAfterAnyExit) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = dsup::start_link({.intensity = 5}).get();
  otp::pid a = start_quitter(mb, sup.ref(), otp::permanent);
  end_child(mb, a, otp::exit_reason::normal());
  auto now = running_children(sup.ref());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0], a);
  EXPECT_TRUE(otp::is_alive(now[0]));
}

// Rule (transient): restarted only after an abnormal exit; normal, shutdown
// and {shutdown, _} remove it.
TEST(DynamicSupervisorRestart, TransientChildRestartsOnlyAfterAbnormalExit) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = dsup::start_link({.intensity = 5}).get();
  end_child(mb, start_quitter(mb, sup.ref(), otp::transient), otp::exit_reason::normal());
  end_child(mb, start_quitter(mb, sup.ref(), otp::transient), otp::exit_reason::shutdown());
  end_child(mb, start_quitter(mb, sup.ref(), otp::transient), otp::exit_reason::shutdown("bye"));
  EXPECT_TRUE(running_children(sup.ref()).empty());
  otp::pid a = start_quitter(mb, sup.ref(), otp::transient);
  end_child(mb, a, otp::exit_reason::other("boom"));
  auto now = running_children(sup.ref());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0], a);
}

// Rule (temporary): never restarted; it leaves the supervisor when it ends.
TEST(DynamicSupervisorRestart, TemporaryChildIsNeverRestarted) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = dsup::start_link({.intensity = 5}).get();
  end_child(mb, start_quitter(mb, sup.ref(), otp::temporary), otp::exit_reason::kill());
  end_child(mb, start_quitter(mb, sup.ref(), otp::temporary), otp::exit_reason::other("boom"));
  EXPECT_TRUE(running_children(sup.ref()).empty());
  EXPECT_EQ(dsup::count_children(sup.ref()).get().specs, 0u);
}

/// The reason of the DOWN of monitor `m`.
otp::exit_reason down_reason(otp::mailbox& mb, otp::ref m) {
  return mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                              [](otp::down_msg&& d) { return std::move(d.reason); }));
}

/// Starts a significant transient quitter under `sup`.
otp::start_result start_significant(const dsup::ref& sup) {
  otp::child_spec c = otp::worker<quitter>("");
  c.restart = otp::transient;
  c.significant = true;
  return dsup::start_child(sup, std::move(c)).get();
}

// Rule (supervisor auto_shutdown, OTP 24, on a dynamic supervisor):
// any_significant ends the supervisor (shutdown) when one significant child
// ends for good; all_significant when the last of them does; other children
// are stopped then.
TEST(DynamicSupervisorAutoShutdown, AnyAndAllSignificantEndTheSupervisor) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto any = dsup::start_link({.auto_shutdown = otp::auto_shutdown::any_significant}).get();
  ASSERT_TRUE(any.is_ok());
  const otp::pid bystander = start_quitter(mb, any.ref(), otp::permanent);
  const otp::start_result s = start_significant(any.ref());
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const otp::ref watch_any = otp::monitor(any.child);
  end_child(mb, s.child, otp::exit_reason::normal());
  EXPECT_TRUE(down_reason(mb, watch_any).is_shutdown());
  EXPECT_FALSE(n.is_alive(bystander));

  auto all = dsup::start_link({.auto_shutdown = otp::auto_shutdown::all_significant}).get();
  ASSERT_TRUE(all.is_ok());
  const otp::pid a = start_significant(all.ref()).child;
  const otp::pid b = start_significant(all.ref()).child;
  end_child(mb, a, otp::exit_reason::normal());
  EXPECT_TRUE(n.is_alive(all.child));  // b still runs
  const otp::ref watch_all = otp::monitor(all.child);
  end_child(mb, b, otp::exit_reason::shutdown());
  EXPECT_TRUE(down_reason(mb, watch_all).is_shutdown());
}

// Rule: significant children are refused without auto_shutdown, and when
// permanent (OTP's invalid_child_spec reasons).
TEST(DynamicSupervisorAutoShutdown, SignificantChildrenNeedAutoShutdownAndATransientRestart) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto never = dsup::start_link().get();
  const otp::start_result r = start_significant(never.ref());
  EXPECT_TRUE(r.is_error());
  EXPECT_NE(r.reason.to_string().find("auto_shutdown,never"), std::string::npos) << r.reason;
  auto any = dsup::start_link({.auto_shutdown = otp::auto_shutdown::any_significant}).get();
  otp::child_spec c = otp::worker<quitter>("");
  c.significant = true;  // permanent
  const otp::start_result p = dsup::start_child(any.ref(), std::move(c)).get();
  EXPECT_TRUE(p.is_error());
  EXPECT_NE(p.reason.to_string().find("significant,permanent"), std::string::npos) << p.reason;
}

// Rule (intensity): more than `intensity` restarts within `period` stops all
// children (terminate runs) and the supervisor exits with shutdown.
TEST(DynamicSupervisorRestart, ExceedingIntensityStopsChildrenAndExitsShutdown) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = dsup::start_link({.intensity = 1, .period = 5000ms}).get();
  otp::ref mon = otp::monitor(sup.child);
  auto logger = dsup::start_child<reports_terminate>(sup.ref(), mb.self(), 7).get();
  ASSERT_TRUE(logger.is_ok());
  end_child(mb, start_quitter(mb, sup.ref(), otp::permanent), otp::exit_reason::kill());
  otp::pid restarted;  // restart 1 is within the intensity
  for (otp::pid p : running_children(sup.ref()))
    if (p != logger.child) restarted = p;
  ASSERT_FALSE(restarted.is_null());
  end_child(mb, restarted, otp::exit_reason::kill());  // restart 2 is one too many
  auto down = mb.receive(otp::when([mon](const otp::down_msg& d) { return d.monitor == mon; },
                                   [](otp::down_msg&& d) { return d; }));
  EXPECT_TRUE(down.reason.is_shutdown()) << down.reason;
  EXPECT_EQ(sorted_ints(mb), std::vector<int>{7});
  EXPECT_FALSE(otp::is_alive(logger.child));
}

// Rule (shutdown): stopping the supervisor runs terminate of every trapping
// child (they get `shutdown`).
TEST(DynamicSupervisorShutdown, StopRunsTerminateOfTrappingChildren) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = dsup::start_link().get();
  for (int i = 1; i <= 3; ++i)
    ASSERT_TRUE(dsup::start_child<reports_terminate>(sup.ref(), mb.self(), i).get());
  otp::gen_server::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  EXPECT_EQ(sorted_ints(mb), (std::vector<int>{1, 2, 3}));
}

// Rule (shutdown timeout): a child that ignores `shutdown` is killed when its
// shutdown time has passed; the others end at once.
TEST(DynamicSupervisorShutdown, ChildIgnoringShutdownIsKilledAfterItsTimeout) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = dsup::start_link().get();
  auto s = dsup::start_child(sup.ref(), stubborn_spec(1000ms)).get();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_TRUE(dsup::start_child<reports_terminate>(sup.ref(), mb.self(), 1).get());
  otp::ref m = otp::monitor(s.child);
  const auto t0 = n.now();
  otp::gen_server::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  EXPECT_GE(n.now() - t0, 1000ms);
  EXPECT_LT(n.now() - t0, 2000ms);
  auto down = mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                   [](otp::down_msg&& d) { return d; }));
  EXPECT_TRUE(down.reason.is(kind::killed)) << down.reason;
  EXPECT_EQ(sorted_ints(mb), std::vector<int>{1});
}

// Rule (brutal_kill): the child is killed at once; its terminate does not run.
TEST(DynamicSupervisorShutdown, BrutalKillChildIsKilledWithoutTerminate) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = dsup::start_link().get();
  otp::child_spec c = otp::worker<reports_terminate>("", mb.self(), 1);
  c.shutdown = otp::brutal_kill;
  auto s = dsup::start_child(sup.ref(), std::move(c)).get();
  ASSERT_TRUE(s.is_ok());
  otp::ref m = otp::monitor(s.child);
  const auto t0 = n.now();
  otp::gen_server::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  EXPECT_EQ(n.now(), t0);
  auto down = mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                                   [](otp::down_msg&& d) { return d; }));
  EXPECT_TRUE(down.reason.is(kind::killed)) << down.reason;
  EXPECT_TRUE(sorted_ints(mb).empty());
}

}  // namespace

#include "otp/behaviours/dynamic_supervisor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp.hpp"
#include "support/supervision.hpp"

using namespace std::chrono_literals;
namespace dsup = otp::dynamic_supervisor;

namespace {

using otp_test::drain_ints;
using otp_test::quiet_manual;
using otp_test::reports_terminate;

// The smallest gen_server: no state, no callbacks.
struct minimal {};

struct ignores_init {
  otp::server_result init() { return otp::ignore(); }
};

struct throws_init {
  throws_init() { throw std::runtime_error("no start"); }
};

// Rule (start_child, which_children, count_children): started children are
// listed by pid with an undefined id and counted as active workers.
TEST(DynamicSupervisor, StartedChildrenAreListedAndCounted) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = dsup::start_link().get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  std::vector<otp::pid> pids;
  for (int i = 0; i < 3; ++i) {
    auto r = dsup::start_child<minimal>(sup.ref()).get();
    ASSERT_TRUE(r.is_ok()) << r.to_string();
    pids.push_back(r.child);
  }
  auto kids = dsup::which_children(sup.ref()).get();
  ASSERT_EQ(kids.size(), 3u);
  for (const otp::child_info& k : kids) {
    EXPECT_TRUE(k.id.empty());
    EXPECT_NE(std::find(pids.begin(), pids.end(), k.child), pids.end());
    EXPECT_EQ(k.type, otp::child_type::worker);
  }
  auto c = dsup::count_children(sup.ref()).get();
  EXPECT_EQ(c.specs, 3u);
  EXPECT_EQ(c.active, 3u);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.supervisors, 0u);
}

// Rule (terminate_child): the child is stopped per its shutdown (terminate
// runs), leaves the supervisor, and a second terminate gives not_found.
TEST(DynamicSupervisor, TerminateChildStopsAndForgetsIt) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = dsup::start_link().get();
  auto a = dsup::start_child<reports_terminate>(sup.ref(), mb.self(), 1).get();
  auto b = dsup::start_child<reports_terminate>(sup.ref(), mb.self(), 2).get();
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  auto r = dsup::terminate_child(sup.ref(), a.child).get();
  EXPECT_TRUE(r.ok()) << r.to_string();
  EXPECT_EQ(drain_ints(mb), std::vector<int>{1});
  EXPECT_FALSE(otp::is_alive(a.child));
  EXPECT_EQ(dsup::count_children(sup.ref()).get().specs, 1u);
  EXPECT_EQ(dsup::terminate_child(sup.ref(), a.child).get().state,
            otp::child_result::status::not_found);
  EXPECT_EQ(dsup::terminate_child(sup.ref(), mb.self()).get().state,
            otp::child_result::status::not_found);
}

// Rule (max_children): a start beyond max_children gives {error,
// max_children}; after a child leaves there is room again.
TEST(DynamicSupervisor, MaxChildrenRefusesExtraChildren) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  auto sup = dsup::start_link({.max_children = 2}).get();
  auto a = dsup::start_child<minimal>(sup.ref()).get();
  ASSERT_TRUE(dsup::start_child<minimal>(sup.ref()).get().is_ok());
  auto third = dsup::start_child<minimal>(sup.ref()).get();
  EXPECT_TRUE(dsup::is_max_children(third)) << third.to_string();
  EXPECT_EQ(dsup::count_children(sup.ref()).get().specs, 2u);
  (void)dsup::terminate_child(sup.ref(), a.child).get();
  EXPECT_TRUE(dsup::start_child<minimal>(sup.ref()).get().is_ok());
}

// Rule (start_child): ignore keeps nothing; a failed start returns the error
// and keeps nothing; a spec without a start function is invalid.
TEST(DynamicSupervisor, IgnoredAndFailedStartsKeepNothing) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = dsup::start_link().get();
  EXPECT_TRUE(dsup::start_child<ignores_init>(sup.ref()).get().is_ignore());
  auto bad = dsup::start_child<throws_init>(sup.ref()).get();
  ASSERT_TRUE(bad.is_error());
  EXPECT_NE(bad.reason.to_string().find("no start"), std::string::npos) << bad.reason;
  auto invalid = dsup::start_child(sup.ref(), otp::child_spec{}).get();
  ASSERT_TRUE(invalid.is_error());
  EXPECT_NE(invalid.reason.to_string().find("invalid_child_spec"), std::string::npos);
  EXPECT_EQ(dsup::count_children(sup.ref()).get().specs, 0u);
  EXPECT_TRUE(otp::is_alive(sup.child));
}

// Rule (start_link): a negative intensity or a non-positive period fails the
// start with bad_flags.
TEST(DynamicSupervisor, BadFlagsFailTheStart) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto a = dsup::start_link({.intensity = -1}).get();
  ASSERT_TRUE(a.is_error());
  EXPECT_NE(a.reason.to_string().find("bad_flags"), std::string::npos) << a.reason;
  auto b = dsup::start_link({.period = 0ms}).get();
  ASSERT_TRUE(b.is_error());
  EXPECT_NE(b.reason.to_string().find("period"), std::string::npos) << b.reason;
}

// Rule (stop): stopping the supervisor ends all of many children.
TEST(DynamicSupervisor, StoppingEndsTenThousandChildren) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = dsup::start_link().get();
  const std::size_t before = n.process_count();
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(dsup::start_child<minimal>(sup.ref()).get());
  EXPECT_EQ(n.process_count(), before + 10'000);
  EXPECT_EQ(dsup::count_children(sup.ref()).get().active, 10'000u);
  otp::gen_server::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  n.run_until_idle();
  EXPECT_EQ(n.process_count(), before - 1);
}

}  // namespace

namespace {

// Rule (child specs of DynamicSupervisor, Task.Supervisor and Registry): each
// starts its process under a supervisor as a permanent child of type
// supervisor with the given name, is restarted when it dies, and stops with
// its parent.
TEST(DynamicSupervisor, ChildSpecsStartSupervisorsRegistriesAndAsyncSupervisorsUnderASupervisor) {
  otp::node n(quiet_manual());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  otp::registry<std::string> reg(n);
  otp::start_options dyn_name;
  dyn_name.name = "dyn";
  otp::start_options tasks_name;
  tasks_name.name = "tasks";
  auto sup =
      otp::supervisor::start_link({.strategy = otp::one_for_one, .intensity = 3},
                                  {reg.child_spec("reg"), dsup::child_spec("dyn", {}, dyn_name),
                                   otp::async_supervisor::child_spec("tasks", {}, tasks_name)})
          .get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  auto children = [&] {
    std::map<std::string, otp::pid> by_id;
    for (const auto& k : otp::supervisor::which_children(sup.ref()).get()) {
      EXPECT_EQ(k.type, otp::child_type::supervisor) << k.id;
      by_id[k.id] = k.child;
    }
    return by_id;
  };
  auto kids = children();
  ASSERT_EQ(kids.size(), 3U);
  EXPECT_FALSE(kids["reg"].is_null());
  EXPECT_EQ(otp::whereis("dyn"), kids["dyn"]);
  EXPECT_EQ(otp::whereis("tasks"), kids["tasks"]);
  const auto spec = otp::supervisor::get_childspec(sup.ref(), "dyn").get();
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->restart, otp::permanent);
  EXPECT_EQ(spec->effective_shutdown().to_string(), "infinity");

  // The started dynamic supervisor works, and is restarted when killed.
  const otp::pid old_dyn = kids["dyn"];
  ASSERT_TRUE(dsup::start_child<minimal>(dsup::ref(old_dyn)).get().is_ok());
  const otp::ref dyn_watch = otp::monitor(old_dyn);
  otp::exit(old_dyn, otp::exit_reason::kill());
  // A dead process signals its links before its monitors: once our DOWN is
  // here, the supervisor's EXIT is queued ahead of the next call.
  EXPECT_EQ(mb.receive<otp::down_msg>().monitor, dyn_watch);
  kids = children();
  EXPECT_NE(kids["dyn"], old_dyn);
  EXPECT_FALSE(kids["dyn"].is_null());
  EXPECT_EQ(dsup::count_children(dsup::ref(kids["dyn"])).get().active, 0U);

  // The registry child is usable, and goes when the supervisor stops.
  EXPECT_TRUE(reg.register_key("k").is_ok());
  const otp::ref watch = otp::monitor(kids["reg"]);
  otp::gen_server::stop(otp::supervisor::ref(sup.child), otp::exit_reason::shutdown()).get();
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, watch);
  EXPECT_EQ(otp::whereis("tasks"), otp::pid());
}

}  // namespace

#include "otp/behaviours/supervisor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "otp/otp.hpp"

using namespace std::chrono_literals;

namespace {

struct event {
  std::string what;  // "init" or "terminate"
  std::string id;
};

// A worker that tells `log` when it starts and when terminate runs.
struct logged {
  struct ping {
    using reply = int;
  };
  otp::pid log;
  std::string id;
  logged(otp::pid l, std::string i) : log(l), id(std::move(i)) {
    otp::trap_exit(true);
    otp::send(log, event{"init", id});
  }
  int handle_call(ping) { return 1; }
  void terminate(const otp::exit_reason&) { otp::send(log, event{"terminate", id}); }
};

otp::node_options quiet() {
  return {.manual = true, .on_report = [](const otp::report&) {}};
}

std::vector<otp::child_spec> three(otp::pid log) {
  return {otp::worker<logged>("a", log, std::string("a")),
          otp::worker<logged>("b", log, std::string("b")),
          otp::worker<logged>("c", log, std::string("c"))};
}

// Kills `p` and returns once it is dead (its supervisor got the EXIT before
// any later message from us).
void kill_and_wait(otp::mailbox& mb, otp::pid p) {
  otp::ref m = otp::monitor(p);
  otp::exit(p, otp::exit_reason::kill());
  mb.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                       [](const otp::down_msg&) {}));
}

std::string drain(otp::mailbox& mb) {
  std::string out;
  while (auto e = mb.receive<event>(0ms)) out += e->what.substr(0, 1) + e->id + " ";
  return out;
}

// Rule (supervisor): children start in list order and stop in reverse order.
TEST(Supervisor, StartsInOrderAndStopsInReverse) {
  otp::node n(quiet());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = otp::supervisor::start_link({}, three(mb.self())).get();
  ASSERT_TRUE(sup.is_ok()) << sup.to_string();
  EXPECT_EQ(drain(mb), "ia ib ic ");
  otp::gen_server::stop(sup.ref(), otp::exit_reason::shutdown()).get();
  EXPECT_EQ(drain(mb), "tc tb ta ");
}

// Rule (one_for_one): only the terminated child is restarted.
TEST(Supervisor, OneForOneRestartsOnlyTheChild) {
  otp::node n(quiet());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup = otp::supervisor::start_link({.intensity = 5}, three(mb.self())).get();
  drain(mb);
  auto kids = otp::supervisor::which_children(sup.ref()).get();
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_EQ(kids[0].id, "c");  // newest first
  otp::pid b = kids[1].child;
  kill_and_wait(mb, b);
  auto after = otp::supervisor::which_children(sup.ref()).get();
  EXPECT_EQ(drain(mb), "ib ");
  EXPECT_NE(after[1].child, b);
  EXPECT_EQ(after[0].child, kids[0].child);
  EXPECT_EQ(after[2].child, kids[2].child);
}

// Rule (rest_for_one): the child and those after it are stopped in reverse
// order and started again in order.
TEST(Supervisor, RestForOneRestartsLaterSiblingsInStartOrder) {
  otp::node n(quiet());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup =
      otp::supervisor::start_link({.strategy = otp::rest_for_one, .intensity = 5}, three(mb.self()))
          .get();
  drain(mb);
  auto kids = otp::supervisor::which_children(sup.ref()).get();
  kill_and_wait(mb, kids[2].child);  // "a"
  (void)otp::supervisor::count_children(sup.ref()).get();
  EXPECT_EQ(drain(mb), "tc tb ia ib ic ");
}

// Rule (intensity): more than `intensity` restarts within `period` stops all
// children and the supervisor exits with reason shutdown.
TEST(Supervisor, ExceedingIntensityShutsDown) {
  otp::node n(quiet());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto sup =
      otp::supervisor::start_link({.intensity = 1, .period = 5000ms}, three(mb.self())).get();
  otp::ref mon = otp::monitor(sup.child);
  drain(mb);
  for (int i = 0; i < 2; ++i) {
    auto kids = otp::supervisor::which_children(sup.ref()).get();
    kill_and_wait(mb, kids[0].child);
  }
  auto down = mb.receive<otp::down_msg>();
  EXPECT_EQ(down.monitor, mon);
  EXPECT_TRUE(down.reason.is_shutdown()) << down.reason;
  EXPECT_EQ(drain(mb), "ic tb ta ");
}

struct fails_init {
  explicit fails_init(int) { throw std::runtime_error("no start"); }
};

// Rule (start_link): a child that fails to start makes start_link fail with
// {shutdown, {failed_to_start_child, Id, Reason}} after stopping the others.
TEST(Supervisor, FailedChildStartFailsTheSupervisorStart) {
  otp::node n(quiet());
  otp::mailbox mb(n);
  otp::trap_exit(true);
  auto specs = three(mb.self());
  specs.insert(specs.begin() + 2, otp::worker<fails_init>("bad", 1));
  auto sup = otp::supervisor::start_link({}, specs).get();
  ASSERT_TRUE(sup.is_error());
  EXPECT_TRUE(sup.reason.is_shutdown());
  EXPECT_NE(std::string(sup.reason.detail()).find("failed_to_start_child,bad"), std::string::npos)
      << sup.reason;
  EXPECT_EQ(drain(mb), "ia ib tb ta ");
}

}  // namespace

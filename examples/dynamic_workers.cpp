// A dynamic supervisor walk-through: one gen_server per connection, started
// on demand under a dynamic supervisor with max_children, a crashed one
// restarted, one terminated by pid, and an agent keeping shared statistics.
// Run: build/default/examples/dynamic_workers
#include <chrono>
#include <cstdio>
#include <otp/otp.hpp>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
namespace dsup = otp::dynamic_supervisor;

// [stats]
// Shared statistics in an agent: a process holding one value.
struct stats {
  int opened = 0;
  int crashed = 0;
};
using stats_agent = otp::agent<stats>;
// [end]

// [connection]
// One connection: counts its requests into the stats agent, and crashes on
// a request it cannot parse.
struct connection {
  struct request {
    using reply = std::string;
    std::string line;
  };
  std::string peer;
  stats_agent stats_of;

  connection(std::string p, stats_agent s) : peer(std::move(p)), stats_of(s) {
    stats_of.cast([](stats& s) { ++s.opened; });  // runs in the agent
  }
  std::string handle_call(request r) {
    if (r.line.empty()) {
      stats_of.cast([](stats& s) { ++s.crashed; });
      throw std::runtime_error("empty request from " + peer);
    }
    return peer + " <- " + r.line;
  }
};
// [end]

int main() {
  otp::node node({.on_report = [](const otp::report& r) {
    std::printf("  report: %s\n", r.headline.c_str());
  }});
  otp::mailbox me(node);
  otp::trap_exit(true);  // we are linked to the supervisor and the agent

  // [start]
  auto st = stats_agent::start_link(stats{}).get();
  auto sup = dsup::start_link({.intensity = 5, .period = 1000ms, .max_children = 2}).get();
  if (!st || !sup) return 1;

  auto a = dsup::start_child<connection>(sup.ref(), std::string("10.0.0.1"), st.ref()).get();
  auto b = dsup::start_child<connection>(sup.ref(), std::string("10.0.0.2"), st.ref()).get();
  auto c = dsup::start_child<connection>(sup.ref(), std::string("10.0.0.3"), st.ref()).get();
  std::printf("third connection: %s\n", dsup::is_max_children(c) ? "max_children" : "started");
  // [end]
  if (!a || !b || !dsup::is_max_children(c)) return 1;

  // [crash]
  // A crash in one connection: the caller exits with the reason, the
  // supervisor restarts that child (permanent by default) under a new pid.
  otp::server_ref<connection> conn_a(a.child);
  std::printf("%s\n", otp::call(conn_a, connection::request{"GET /"}).get().c_str());
  try {
    (void)otp::call(conn_a, connection::request{""}).get();
  } catch (const otp::exit_error& e) {
    std::printf("call exited with %s\n", e.reason().to_string().c_str());
  }
  auto counts = dsup::count_children(sup.ref()).get();  // handled after the EXIT
  std::printf("children: %zu active of %zu\n", counts.active, counts.specs);
  // [end]

  // [terminate]
  (void)dsup::terminate_child(sup.ref(), b.child).get();  // by pid; not restarted
  counts = dsup::count_children(sup.ref()).get();
  const stats s = st.ref().get().get();
  std::printf("after terminate_child: %zu children; opened %d, crashed %d\n", counts.specs,
              s.opened, s.crashed);
  // [end]
  // Opened: a, b and the restart of a (c was refused before it started).
  return counts.specs == 1 && s.opened == 3 && s.crashed == 1 ? 0 : 1;
}

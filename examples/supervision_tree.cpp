// A supervision tree: a root one_for_one supervisor over a database worker
// and a rest_for_one "services" subtree. A crashing worker is restarted;
// a worker that crashes too often makes its supervisor give up, and the root
// restarts the whole subtree. Run: build/default/examples/supervision_tree
#include <chrono>
#include <cstdio>
#include <otp/otp.hpp>
#include <string>

using namespace std::chrono_literals;

// [worker]
// A worker that prints its start and its stop, and crashes on request.
struct service {
  struct crash {};
  struct ping {
    using reply = std::string;
  };
  std::string name;
  explicit service(std::string n) : name(std::move(n)) {
    otp::trap_exit(true);  // so terminate runs when the supervisor stops us
    std::printf("  start %s\n", name.c_str());
  }
  std::string handle_call(ping) { return name + " pong"; }
  void handle_cast(crash) { throw std::runtime_error(name + " crashed"); }
  void terminate(const otp::exit_reason& why) {
    std::printf("  stop  %s (%s)\n", name.c_str(), why.to_string().c_str());
  }
};
// [end]

// [tree]
std::vector<otp::child_spec> services() {
  return {otp::named_worker<service>("cache", "cache", std::string("cache")),
          otp::named_worker<service>("api", "api", std::string("api"))};
}

otp::task<otp::start_result> start_tree() {
  std::vector<otp::child_spec> root{
      otp::named_worker<service>("db", "db", std::string("db")),
      otp::supervisor_child("services",
                            {.strategy = otp::rest_for_one, .intensity = 2, .period = 1000ms},
                            services(), {.name = "services"}),
  };
  const otp::supervisor_flags flags{.strategy = otp::one_for_one, .intensity = 3, .period = 5000ms};
  co_return co_await otp::supervisor::start_link(flags, std::move(root));
}
// [end]

// Waits for the DOWN of monitor `m`, then until `sup` has handled that death
// (a call to it is queued behind the exit signal it got).
void await_handled(otp::mailbox& me, otp::ref m, otp::pid sup) {
  me.receive(otp::when([m](const otp::down_msg& d) { return d.monitor == m; },
                       [](const otp::down_msg&) {}));
  (void)otp::supervisor::count_children(otp::supervisor::ref(sup)).get();
}

void crash(otp::mailbox& me, const char* name, otp::pid handled_by) {
  otp::pid p = otp::whereis(name);
  otp::ref m = otp::monitor(p);
  otp::cast(otp::whereis<service>(name), service::crash{});
  await_handled(me, m, handled_by);
}

int main() {
  otp::node node({.on_report = [](const otp::report& r) {
    std::printf("  report: %s\n", r.headline.c_str());
  }});
  otp::mailbox me(node);
  otp::trap_exit(true);

  std::printf("starting the tree (children start in order):\n");
  auto root = start_tree().get();
  if (!root) return 1;

  std::printf("cache crashes: rest_for_one restarts api after it:\n");
  crash(me, "cache", otp::whereis("services"));

  std::printf(
      "api crashes twice: the third restart within 1 s is one too many,\n"
      "services gives up and the root restarts it:\n");
  crash(me, "api", otp::whereis("services"));
  otp::pid services = otp::whereis("services");
  otp::ref watch = otp::monitor(services);
  otp::cast(otp::whereis<service>("api"), service::crash{});
  await_handled(me, watch, root.child);
  auto pong = otp::call(otp::whereis<service>("api"), service::ping{}).get();
  std::printf("  api answers: %s\n", pong.c_str());

  std::printf("stopping the root (children stop in reverse order):\n");
  otp::gen_server::stop(otp::supervisor::ref(root.child), otp::exit_reason::shutdown()).get();
  return pong == "api pong" ? 0 : 1;
}

// A service run by otp::boot for tests/integration/boot_test.cpp: two
// applications, "base" and "svc" (which needs base), each with a root
// supervisor of one worker. Every callback prints one line on stdout, so the
// test sees the order of start, stop and config_change:
//   started base / started svc / ready
//   prep_stop svc / terminate svc / stop svc / prep_stop base / ...
// svc's environment: `crash` (true: its worker crashes right after start,
// with intensity 0, so the root supervisor gives up: a permanent
// application's end) and `hang_in_prep_stop` (true: prep_stop never returns,
// to test the forced exit of a second SIGINT).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "otp/otp.hpp"
#include "otp/services/boot.hpp"

namespace {

void line(const std::string& s) {
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

struct worker {
  struct crash {};
  std::string app;
  explicit worker(std::string a) : app(std::move(a)) {
    otp::trap_exit(true);
    if (otp::get_env<bool>(app, "crash", false))
      otp::cast(otp::server_ref<worker>(otp::self()), crash{});
  }
  void handle_cast(crash) { throw std::runtime_error("asked to crash"); }
  void terminate(const otp::exit_reason&) { line("terminate " + app); }
};

otp::application_spec app(const std::string& name, std::vector<std::string> deps) {
  otp::application_spec s;
  s.name = name;
  s.version = "1.0";
  s.applications = std::move(deps);
  s.env = {{"crash", false}, {"hang_in_prep_stop", false}, {"level", 1}};
  s.declared_keys_only = true;
  s.start = [name](otp::start_type) -> otp::task<otp::start_result> {
    auto r = co_await otp::supervisor::start_link({.intensity = 0},
                                                  {otp::worker<worker>("worker", name)});
    line("started " + name);
    co_return r;
  };
  s.prep_stop = [name] {
    line("prep_stop " + name);
    if (otp::get_env<bool>(name, "hang_in_prep_stop", false))
      for (;;) pause();  // until the second signal's handler ends the program
  };
  s.stop = [name] { line("stop " + name); };
  s.config_change = [name](const otp::config_changes& c) {
    line("config_change " + name + " " + c.changed.dump());
  };
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  return otp::boot(argc, argv,
                   {.program = "boot_service",
                    .applications = {app("base", {}), app("svc", {"base"})},
                    .start = {"svc"},
                    .node = {.on_report = [](const otp::report&) {}},
                    .started = [](otp::node&) { line("ready"); }});
}

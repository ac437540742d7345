#include "otp/services/boot.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include "otp/behaviours/app_env.hpp"
#include "otp/behaviours/application.hpp"
#include "otp/runtime/detail/thread_name.hpp"
#include "otp/runtime/logger_config.hpp"
#include "otp/runtime/logger_handler.hpp"
#include "otp/runtime/mailbox.hpp"
#include "otp/runtime/process.hpp"
#include "otp/services/config.hpp"

namespace otp {

namespace {

/// Set when the orderly stop is asked for: by SIGTERM / SIGINT, or by the
/// end of standard input under --stop-on-eof.
std::atomic<bool> g_stop{false};
/// Stop signals received: a second one ends the program at once (the end of
/// standard input is not a signal, so a SIGTERM after it is still a first).
std::atomic<int> g_signals{0};
std::atomic<bool> g_reload{false};

extern "C" void on_stop_signal(int) {
  if (g_signals.fetch_add(1) != 0) _exit(boot_forced);  // async-signal-safe
  g_stop.store(true);
}
extern "C" void on_hangup(int) { g_reload.store(true); }

void install_signal_handlers() {
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = on_hangup;
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
}

/// A detached thread that reads standard input to its end, then asks for
/// the orderly stop (the parent that holds the other end is gone).
void stop_on_stdin_eof() {
  std::thread([] {
    detail::name_this_thread("otp-stdin");
    char buf[256];
    for (;;) {
      const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    g_stop.store(true);
  }).detach();
}

/// What the configuration needs to know of `apps`.
std::vector<config::app_schema> schemas_of(const std::vector<application_spec>& apps) {
  std::vector<config::app_schema> known;
  known.reserve(apps.size());
  for (const auto& a : apps)
    known.push_back(
        {.name = a.name, .defaults = a.env, .declared_keys_only = a.declared_keys_only});
  return known;
}

/// Configures the logger from the `logger` table of `set`. A refused
/// setting is rethrown as a config_error at the place it came from (the
/// logger names the key path, "logger.level: ...").
void configure_logger(const config::config_set& set) {
  try {
    logger::configure(config::env_of(set, "logger"));
  } catch (const logger::config_error& e) {
    std::string_view path = e.what();
    path.remove_prefix(std::min(path.size(), std::string_view("logger.").size()));
    const std::string key(path.substr(0, path.find_first_of(".[:")));
    const auto& env = set.at("logger");
    const auto it = env.find(key);
    if (it == env.end() || it->second.from.where.empty()) throw;
    throw config::config_error(it->second.from.where, e.what());
  }
}

/// Every application's environment, as change_config takes it.
nlohmann::json envs_of(const config::config_set& set) {
  nlohmann::json envs = nlohmann::json::object();
  for (const auto& [app, env] : set) envs[app] = config::env_of(set, app);
  return envs;
}

void say(const boot_options& o, const std::string& line) {
  std::fprintf(stderr, "%s: %s\n", o.program.c_str(), line.c_str());
  std::fflush(stderr);
}

/// Runs the node until a stop signal or a halt; returns the exit status.
int run(boot_options& o, node& n, const config::config_set& initial, const config::sources& src) {
  mailbox mb(n);
  trap_exit(true);
  const nlohmann::json envs = envs_of(initial);
  for (const auto& [app, env] : envs.items())
    for (const auto& [key, value] : env.items()) put_env(n, app, key, value);
  for (auto& spec : o.applications) {
    if (auto r = application::load(n, spec); !r) {
      say(o, "application " + spec.name + " did not load: " + r.to_string());
      return boot_start_failed;
    }
  }
  for (const auto& name : o.start) {
    application_outcome r = application::ensure_all_started(name, o.restart).get();
    if (!r) {
      say(o, "application " + name + " did not start: " + r.to_string());
      (void)application::stop_all().get();
      return boot_start_failed;
    }
  }
  if (o.started) o.started(n);
  // Runs on every return from here on, after the applications stopped.
  struct stopping_hook {
    boot_options& o;
    node& n;
    ~stopping_hook() {
      if (o.stopping) o.stopping(n);
    }
  } hook{o, n};

  for (;;) {
    if (std::optional<exit_reason> h = application::await_halt(n, std::chrono::milliseconds(100))) {
      say(o, h->to_string());
      return boot_halted;
    }
    if (g_stop.load()) break;
    if (g_reload.exchange(false)) {
      try {
        const config::config_set fresh = config::load(schemas_of(o.applications), src);
        configure_logger(fresh);
        application::change_config(n, envs_of(fresh));
      } catch (const std::exception& e) {
        say(o, std::string("configuration not reloaded: ") + e.what());
      }
    }
  }
  (void)application::stop_all().get();
  return 0;
}

}  // namespace

int boot(int argc, char** argv, boot_options o) {
  CLI::App cli{o.description.empty() ? o.program : o.description, o.program};
  std::string config_file;
  config::sources src;
  bool print_config = false;
  bool stop_on_eof = false;
  cli.add_option("--config", config_file, "TOML configuration file");
  cli.add_option("--set", src.sets, "APP.KEY=VALUE: set one value (wins over the file)");
  cli.add_flag("--print-config", print_config,
               "print the configuration with the origin of each value, and exit");
  cli.add_option("--schedulers", o.node.schedulers, "scheduler threads (0: one per core)");
  cli.add_flag("--stop-on-eof", stop_on_eof,
               "stop when standard input reaches its end (the parent that started it is gone)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : boot_bad_config;
  }
  if (!config_file.empty()) src.file = config_file;
  src.environment = config::process_environment();

  config::config_set cfg;
  try {
    cfg = config::load(schemas_of(o.applications), src);
    configure_logger(cfg);
  } catch (const std::exception& e) {
    say(o, e.what());
    return boot_bad_config;
  }
  if (print_config) {
    std::fputs(config::print(cfg).c_str(), stdout);
    return 0;
  }

  install_signal_handlers();
  if (stop_on_eof) stop_on_stdin_eof();
  node n(o.node);
  const int status = run(o, n, cfg, src);
  n.stop();
  logger::flush();
  std::fflush(stdout);
  return status;
}

}  // namespace otp

// Distribution workloads, over loopback through the system's epmd (started
// with `epmd -daemon` when not running), one scheduler per node:
// dist_ping_pong (sequential round trips of a small term), dist_send (one
// sender's remote sends, counted on the far side), dist_monitor_exit
// (monitor an existing remote process, kill it with exit/2, get the DOWN),
// dist_call (sequential gen_server calls of the far node's typed server,
// through otp::remote_api), dist_call_conc (100 callers at once),
// dist_spawn_monitor_exit (spawn a registered function on the far node with
// a monitor, kill it, get the DOWN).
// The far node is an OS process of its own, started here: this program
// with --far-node for dist_X (C++ to C++), a BEAM node running
// bench_dist:serve/0 for dist_mixed_X (C++ to BEAM). dist_nodedown is the
// time from `kill -9` of a C++ far node to the nodedown message. With
// OTP_BENCH_FAR_CPU=N in the environment the far node is pinned to CPU N
// (`taskset -a -p`), for runs with one CPU each.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "otp/dist/net_kernel.hpp"
#include "otp/dist/remote_api.hpp"
#include "otp/otp.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

using otp::term;
using clock = std::chrono::steady_clock;

constexpr int kDistRoundTrips = 20000;
constexpr int kDistSends = 200000;
constexpr int kDistVictims = 2000;
constexpr int kDistCalls = 20000;
constexpr int kDistCallers = 100;
constexpr int kDistCallsEach = 500;

double us_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

/// A distributed node of this process, named NAME_<os pid>. epmd may have
/// just been started: registration is retried for up to 5 s (not timed).
struct dist_node {
  explicit dist_node(const char* name) : node(one_scheduler()) {
    otp::net_kernel_options o;
    o.name = std::string(name) + "_" + std::to_string(::getpid());
    o.cookie = "otp_bench";
    for (int i = 0; !kernel; ++i) {
      try {
        kernel.emplace(node, o);
      } catch (const otp::dist_error& e) {
        if (i == 50) fail(name, e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  static otp::node_options one_scheduler() {
    otp::node_options n;
    n.schedulers = 1;
    return n;
  }
  otp::node node;
  std::optional<otp::net_kernel> kernel;
};

void start_epmd() {
  if (std::system("epmd -daemon") != 0) fail("dist", "cannot start epmd");
}

/// A message nobody sends: what victims wait for until they are killed.
struct never_sent {};

/// Answers {From, X} with X, forever.
otp::proc dist_ponger() {
  for (;;) {
    term t = co_await otp::receive<term>();
    const auto& items = t.get_if<otp::tuple_value>()->items;
    otp::send(otp::from_term<otp::pid>(items[0]), items[1]);
  }
}

/// Counts `n` messages, then tells `report` (a local pid).
otp::proc dist_counter(int n, otp::pid report) {
  for (int i = 0; i < n; ++i) co_await otp::receive<term>();
  otp::send(report, term::atom("done"));
}

/// The server of dist_call: `get` (the atom) answers a counter it bumps.
struct dist_call_server {
  struct get {
    using reply = std::int64_t;
  };
  using remote = otp::remote_api<otp::calls<get>>;
  std::int64_t n = 0;
  std::int64_t handle_call(get) { return ++n; }
};

}  // namespace
}  // namespace otp_bench

template <>
struct otp::term_codec<otp_bench::dist_call_server::get> {
  static term to(const otp_bench::dist_call_server::get&) { return term::atom("get"); }
  static otp_bench::dist_call_server::get from(const term& t) {
    if (!t.is_atom("get")) throw otp::term_mismatch("get", t);
    return {};
  }
};

namespace otp_bench {
namespace {

/// Starts a dist_call_server on `b` (from the calling thread, which must
/// hold no mailbox).
otp::pid start_call_server(otp::node& b) {
  otp::mailbox on_b(b);
  auto s = otp::gen_server::start<dist_call_server>().get();
  if (!s.is_ok()) fail("dist_call", "the server did not start");
  return s.ref().get_pid();
}

/// The far node's `bench_far`: answers {ponger, From}, {counter, N, Report,
/// From}, {victims, N, From} and {server, From} with {Kind, PidOrPids}, as
/// bench_dist:far/1 does on a BEAM node.
otp::proc bench_far(otp::pid server) {
  for (;;) {
    const term t = co_await otp::receive<term>();
    const auto* request = t.get_if<otp::tuple_value>();
    if (request == nullptr || request->items.size() < 2) continue;
    const auto& it = request->items;
    const otp::pid from = otp::from_term<otp::pid>(it.back());
    term answer;
    if (it[0].is_atom("ponger")) {
      answer = otp::to_term(otp::spawn(dist_ponger));
    } else if (it[0].is_atom("counter")) {
      answer = otp::to_term(
          otp::spawn(dist_counter, otp::from_term<int>(it[1]), otp::from_term<otp::pid>(it[2])));
    } else if (it[0].is_atom("victims")) {
      std::vector<term> pids;
      for (int i = otp::from_term<int>(it[1]); i > 0; --i)
        pids.push_back(
            otp::to_term(otp::spawn([]() -> otp::proc { co_await otp::receive<never_sent>(); })));
      answer = term::list(std::move(pids));
    } else if (it[0].is_atom("server")) {
      answer = otp::to_term(server);
    } else {
      continue;
    }
    otp::send(from, term::tuple({it[0], std::move(answer)}));
  }
}

/// The far side of a workload: where its ponger, counter, victims and server
/// live. Pids are as the driving node (a) holds them.
class far_side {
 public:
  virtual ~far_side() = default;
  /// A process answering {From, X} with X.
  virtual otp::pid ponger(otp::mailbox& mb) = 0;
  /// A process that counts `n` messages, then sends `done` to `report`.
  virtual otp::pid counter(otp::mailbox& mb, int n, otp::pid report) = 0;
  /// `n` processes waiting forever.
  virtual std::vector<otp::pid> victims(otp::mailbox& mb, int n) = 0;
  /// A gen_server answering `get` with an integer.
  virtual otp::pid server(otp::mailbox& mb) = 0;
};

/// A program run with pipes on its standard input and output; killed (if
/// still running) and reaped at destruction.
class child_process {
 public:
  explicit child_process(std::vector<std::string> argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) fail("dist", "pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    out_ = ::fdopen(out[0], "r");
    if (rc != 0) fail("dist", "cannot start a far node");
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    ::close(stdin_);  // a far node ends when its input closes
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
    }
    std::fclose(out_);
  }
  /// The node name in its "ready NAME" line.
  std::string ready_node() {
    char line[512];
    while (std::fgets(line, sizeof line, out_) != nullptr) {
      std::string l(line);
      if (l.rfind("ready ", 0) == 0) return l.substr(6, l.find_last_not_of("\r\n") - 5);
    }
    fail("dist", "the far node did not start");
  }
  pid_t id() const noexcept { return pid_; }

 private:
  pid_t pid_ = 0;
  int stdin_ = -1;
  std::FILE* out_ = nullptr;
};

/// The directory of this program (where bench/peers/erlang is built).
std::string exe_dir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) fail("dist", "cannot read /proc/self/exe");
  std::string p(buf, static_cast<std::size_t>(n));
  return p.substr(0, p.rfind('/'));
}

/// Pins OS process `pid` (every thread) to the CPU in OTP_BENCH_FAR_CPU,
/// when it is set.
void pin_far(pid_t pid) {
  const char* cpu = std::getenv("OTP_BENCH_FAR_CPU");
  if (cpu == nullptr) return;
  const std::string cmd =
      "taskset -a -p -c " + std::string(cpu) + " " + std::to_string(pid) + " > /dev/null";
  if (std::system(cmd.c_str()) != 0) fail("dist", "taskset failed");
}

/// This program as a far node (--far-node): one scheduler.
std::vector<std::string> cpp_far_node() { return {"/proc/self/exe", "--far-node", "otp_bench_b"}; }

/// A BEAM node running bench_dist:serve/0: one scheduler.
std::vector<std::string> beam_far_node() {
  return {"erl",
          "-sname",
          "otp_bench_erl_" + std::to_string(::getpid()),
          "-setcookie",
          "otp_bench",
          "-noshell",
          "+S",
          "1",
          "-pa",
          exe_dir() + "/peers/erlang",
          "-run",
          "bench_dist",
          "serve"};
}

/// A far node of its own OS process (cpp_far_node or beam_far_node), asked
/// for its processes by messages to its `bench_far`; ends with this object.
class process_far final : public far_side {
 public:
  process_far(otp::net_kernel& k, std::vector<std::string> argv)
      : k_(k), child_(std::move(argv)), node_(child_.ready_node()) {
    pin_far(child_.id());
  }
  /// Its node name.
  const std::string& node() const noexcept { return node_; }
  otp::pid ponger(otp::mailbox& mb) override { return ask(mb, {term::atom("ponger")}).front(); }
  otp::pid counter(otp::mailbox& mb, int n, otp::pid report) override {
    return ask(mb, {term::atom("counter"), term(n), otp::to_term(report)}).front();
  }
  std::vector<otp::pid> victims(otp::mailbox& mb, int n) override {
    return ask(mb, {term::atom("victims"), term(n)});
  }
  otp::pid server(otp::mailbox& mb) override { return ask(mb, {term::atom("server")}).front(); }

 private:
  /// Sends {Kind, Args..., From} to bench_far; its answer {Kind, PidOrPids}.
  std::vector<otp::pid> ask(otp::mailbox& mb, std::vector<term> request) {
    request.push_back(otp::to_term(mb.self()));
    k_.send_term("bench_far", node_, term::tuple(std::move(request)));
    const term answer = mb.receive<term>();
    const term& what = answer.get_if<otp::tuple_value>()->items[1];
    if (what.is<otp::ext_pid>()) return {otp::from_term<otp::pid>(what)};
    return otp::from_term<std::vector<otp::pid>>(what);
  }
  otp::net_kernel& k_;
  child_process child_;
  std::string node_;
};

void print_result(const options& o, const char* workload, const std::string& figures) {
  std::printf("RESULT system=otp workload=%s run=%u schedulers=1+1 %s\n", workload, o.run,
              figures.c_str());
}

std::string format(const char* fmt, double a, double b) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

void run_ping_pong(const options& o, const char* workload, dist_node& a, far_side& far) {
  otp::mailbox me(a.node);
  const otp::pid ponger = far.ponger(me);
  // A process of node a pings; the first exchange (which may connect) is
  // not timed.
  a.node.spawn(
      [](otp::pid p, otp::pid report) -> otp::proc {
        const term self = otp::to_term(otp::self());
        otp::send(p, term::tuple({self, term(0)}));
        co_await otp::receive<term>();
        const auto t0 = clock::now();
        for (int i = 1; i <= kDistRoundTrips; ++i) {
          otp::send(p, term::tuple({self, term(i)}));
          co_await otp::receive<term>();
        }
        otp::send(report, us_between(t0, clock::now()));
      },
      ponger, me.self());
  const double us = me.receive<double>();
  print_result(
      o, workload,
      format("round_trips=%.0f us_per_round_trip=%.2f", kDistRoundTrips, us / kDistRoundTrips));
}

void run_send(const options& o, const char* workload, dist_node& a, far_side& far) {
  otp::mailbox me(a.node);
  const otp::pid counter = far.counter(me, kDistSends + 1, me.self());
  a.node.send(counter, term(0));  // connects: the rest is timed from here
  const auto t0 = clock::now();
  a.node.spawn(
      [](otp::pid to) -> otp::proc {
        const term msg = term::tuple({term::atom("event"), term(42), term::binary("payload")});
        for (int i = 0; i < kDistSends; ++i) otp::send(to, msg);
        co_return;
      },
      counter);
  me.receive<term>();
  const auto t1 = clock::now();
  print_result(
      o, workload,
      format("msgs=%.0f msgs_per_s=%.0f", kDistSends, kDistSends / (us_between(t0, t1) / 1e6)));
}

void run_monitor_exit(const options& o, const char* workload, dist_node& a, far_side& far) {
  otp::mailbox me(a.node);
  const std::vector<otp::pid> victims = far.victims(me, kDistVictims);
  otp::send(victims[0], term(0));  // connects (a term is not what it waits for)
  const auto t0 = clock::now();
  for (const otp::pid v : victims) {
    otp::monitor(v);
    otp::exit(v, otp::exit_reason::kill());
    me.receive<otp::down_msg>();
  }
  const auto t1 = clock::now();
  print_result(
      o, workload,
      format("cycles=%.0f us_per_cycle=%.2f", kDistVictims, us_between(t0, t1) / kDistVictims));
}

void run_call(const options& o, const char* workload, dist_node& a, far_side& far) {
  otp::mailbox me(a.node);
  const otp::server_ref<dist_call_server> server(far.server(me));
  a.node.spawn(
      [](otp::server_ref<dist_call_server> s, otp::pid report) -> otp::proc {
        co_await otp::call(s, dist_call_server::get{});  // connects: not timed
        const auto t0 = clock::now();
        for (int i = 0; i < kDistCalls; ++i) co_await otp::call(s, dist_call_server::get{});
        otp::send(report, us_between(t0, clock::now()));
      },
      server, me.self());
  const double us = me.receive<double>();
  print_result(o, workload, format("calls=%.0f us_per_call=%.2f", kDistCalls, us / kDistCalls));
}

void run_call_conc(const options& o, const char* workload, dist_node& a, far_side& far) {
  otp::mailbox me(a.node);
  const otp::server_ref<dist_call_server> server(far.server(me));
  a.node.spawn(
      [](otp::server_ref<dist_call_server> s, otp::pid report) -> otp::proc {
        co_await otp::call(s, dist_call_server::get{});  // connects: not timed
        otp::send(report, 0);
      },
      server, me.self());
  me.receive<int>();
  const auto t0 = clock::now();
  for (int c = 0; c < kDistCallers; ++c)
    a.node.spawn(
        [](otp::server_ref<dist_call_server> s, otp::pid report) -> otp::proc {
          for (int i = 0; i < kDistCallsEach; ++i) co_await otp::call(s, dist_call_server::get{});
          otp::send(report, 1);
        },
        server, me.self());
  for (int c = 0; c < kDistCallers; ++c) me.receive<int>();
  const auto t1 = clock::now();
  const double calls = kDistCallers * kDistCallsEach;
  print_result(o, workload,
               format("calls=%.0f calls_per_s=%.0f", calls, calls / (us_between(t0, t1) / 1e6)));
}

/// Runs `body` against a C++ far node (C++ to C++).
template <class Body>
void cpp_to_cpp(const options& o, const char* workload, Body body) {
  start_epmd();
  dist_node a("otp_bench_a");
  process_far far(*a.kernel, cpp_far_node());
  body(o, workload, a, far);
}

/// Runs `body` against a BEAM far node (C++ to BEAM).
template <class Body>
void cpp_to_beam(const options& o, const char* workload, Body body) {
  start_epmd();
  dist_node a("otp_bench_a");
  process_far far(*a.kernel, beam_far_node());
  body(o, workload, a, far);
}

}  // namespace

void dist_ping_pong(const options& o) { cpp_to_cpp(o, "dist_ping_pong", run_ping_pong); }
void dist_send(const options& o) { cpp_to_cpp(o, "dist_send", run_send); }
void dist_monitor_exit(const options& o) { cpp_to_cpp(o, "dist_monitor_exit", run_monitor_exit); }
void dist_call(const options& o) { cpp_to_cpp(o, "dist_call", run_call); }
void dist_call_conc(const options& o) { cpp_to_cpp(o, "dist_call_conc", run_call_conc); }

void dist_mixed_ping_pong(const options& o) {
  cpp_to_beam(o, "dist_mixed_ping_pong", run_ping_pong);
}
void dist_mixed_send(const options& o) { cpp_to_beam(o, "dist_mixed_send", run_send); }
void dist_mixed_monitor_exit(const options& o) {
  cpp_to_beam(o, "dist_mixed_monitor_exit", run_monitor_exit);
}
void dist_mixed_call(const options& o) { cpp_to_beam(o, "dist_mixed_call", run_call); }
void dist_mixed_call_conc(const options& o) {
  cpp_to_beam(o, "dist_mixed_call_conc", run_call_conc);
}

void dist_spawn_monitor_exit(const options& o) {
  start_epmd();
  dist_node a("otp_bench_a");
  process_far far(*a.kernel, cpp_far_node());
  otp::mailbox me(a.node);
  a.node.spawn(
      [](std::string node, otp::pid report) -> otp::proc {
        // spawn_monitor(Node, bench, victim, []), exit(Pid, kill), the DOWN;
        // the first cycle (which connects) is not timed.
        auto t0 = clock::now();
        for (int i = 0; i <= kDistVictims; ++i) {
          if (i == 1) t0 = clock::now();
          const otp::remote_spawned s = co_await otp::spawn_remote(
              node, "bench", "victim", {}, {.link = false, .monitor = true});
          otp::exit(s.child, otp::exit_reason::kill());
          co_await otp::receive<otp::down_msg>();
        }
        otp::send(report, us_between(t0, clock::now()));
      },
      far.node(), me.self());
  const double us = me.receive<double>();
  print_result(o, "dist_spawn_monitor_exit",
               format("cycles=%.0f us_per_cycle=%.2f", kDistVictims, us / kDistVictims));
}

void dist_nodedown(const options& o) {
  constexpr int kKills = 10;
  start_epmd();
  dist_node a("otp_bench_a");
  otp::mailbox me(a.node);
  std::vector<double> ms;
  for (int i = 0; i < kKills; ++i) {
    child_process far({"/proc/self/exe", "--far-node", "otp_bench_down_" + std::to_string(i)});
    const std::string node = far.ready_node();
    pin_far(far.id());
    a.kernel->monitor_node(me.self(), node, true);  // connects
    if (!a.kernel->connect_node(node)) fail("dist_nodedown", "cannot connect to the far node");
    const std::string kill = "kill -9 " + std::to_string(far.id());
    const auto t0 = clock::now();
    if (std::system(kill.c_str()) != 0) fail("dist_nodedown", "kill failed");
    me.receive<otp::nodedown_msg>();
    ms.push_back(us_between(t0, clock::now()) / 1000);
  }
  std::sort(ms.begin(), ms.end());
  print_result(o, "dist_nodedown",
               format("kills=%.0f ms_to_nodedown=%.2f", kKills, ms[(ms.size() - 1) / 2]));
}

int far_node_main(const char* name) {
  dist_node b(name);
  b.kernel->register_spawnable("bench", "victim", [](term) -> otp::task<void> {
    co_await otp::receive<never_sent>();  // killed first
  });
  const otp::pid server = start_call_server(b.node);
  b.node.register_name("bench_far", b.node.spawn(bench_far, server));
  std::printf("ready %s\n", b.kernel->name().c_str());
  std::fflush(stdout);
  for (int c; (c = std::getchar()) != EOF;) {
  }
  return 0;
}

}  // namespace otp_bench

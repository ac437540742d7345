// The runtime under load with injected crashes (build target `demo`; `make
// demo` runs the order system, examples/order_system).
//
// A "keeper" process starts N workers, each monitored, and hands each one job
// at a time; a job marked poison makes its worker throw. The crash becomes
// the worker's exit reason (with the exception type and message), the
// keeper gets a DOWN message, starts a replacement and re-sends the lost job
// with the poison removed, so every job completes exactly once. This is the
// supervision idea in miniature; the real supervisor behaviours come later.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "otp/otp.hpp"

namespace {

struct job {
  int id;
  bool poison;
};
struct done {
  int id;
  otp::pid worker;
};
struct report {
  int completed;
  int crashes;
  int restarts;
  std::string last_crash;
};

otp::proc worker(otp::pid keeper) {
  for (;;) {
    job j = co_await otp::receive<job>();
    if (j.poison) throw std::runtime_error("poison job " + std::to_string(j.id));
    otp::send(keeper, done{j.id, otp::self()});
  }
}

otp::proc keeper(otp::pid client, int workers, int jobs, int poison_every) {
  std::vector<otp::pid> pool(static_cast<std::size_t>(workers));
  std::unordered_map<otp::ref, std::size_t> slot_of;  // monitor -> pool index
  std::unordered_map<otp::pid, job> inflight;         // the one job each worker holds
  int next_job = 0, completed = 0, crashes = 0, restarts = 0;
  std::string last_crash;

  auto start = [&](std::size_t i) {
    auto [p, m] = otp::spawn_monitor(worker, otp::self());
    pool[i] = p;
    slot_of[m] = i;
  };
  auto give = [&](otp::pid w, job j) {
    inflight[w] = j;
    otp::send(w, j);
  };
  auto give_next = [&](otp::pid w) {
    if (next_job >= jobs) return;
    int i = next_job++;
    give(w, job{i, poison_every > 0 && i % poison_every == poison_every - 1});
  };

  for (std::size_t i = 0; i < pool.size(); ++i) {
    start(i);
    give_next(pool[i]);
  }
  while (completed < jobs) {
    co_await otp::receive(
        [&](done d) {
          inflight.erase(d.worker);
          ++completed;
          give_next(d.worker);
        },
        [&](otp::down_msg d) {
          ++crashes;
          last_crash = d.reason.to_string();
          std::size_t i = slot_of[d.monitor];
          slot_of.erase(d.monitor);
          job lost = inflight[d.from];
          inflight.erase(d.from);
          start(i);  // a fresh worker in a known-good state
          ++restarts;
          lost.poison = false;  // the retry is clean: the bad input caused the crash
          give(pool[i], lost);
        });
  }
  otp::send(client, report{completed, crashes, restarts, last_crash});
}

}  // namespace

int main(int argc, char** argv) {
  const int workers = argc > 1 ? std::atoi(argv[1]) : 64;
  const int jobs = argc > 2 ? std::atoi(argv[2]) : 1'000'000;
  const int poison_every = argc > 3 ? std::atoi(argv[3]) : 1000;

  otp::node node;
  otp::mailbox me(node);
  auto t0 = std::chrono::steady_clock::now();
  node.spawn(keeper, me.self(), workers, jobs, poison_every);
  report r = me.receive<report>();
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);

  std::printf("otp demo: %d workers, %d jobs, poison every %d\n", workers, jobs, poison_every);
  std::printf("  jobs completed     %d\n", r.completed);
  std::printf("  worker crashes     %d\n", r.crashes);
  std::printf("  restarts           %d\n", r.restarts);
  std::printf("  last crash reason  %s\n", r.last_crash.c_str());
  std::printf("  elapsed            %.1f ms (%.0f jobs/s)\n", ms.count(),
              r.completed / (ms.count() / 1000.0));
  const int expected_crashes = poison_every > 0 ? jobs / poison_every : 0;
  const bool ok = r.completed == jobs && r.crashes == expected_crashes && r.restarts == r.crashes;
  std::printf("  result             %s\n", ok ? "every job done exactly once" : "MISMATCH");
  return ok ? 0 : 1;
}

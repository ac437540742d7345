// The observer's cost: call_conc with an otp::observer on its node and a
// thread that asks the observer's API what one open page asks, once a second
// (workload call_conc_observed; compare with call_conc).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "otp/tools/observer.hpp"
#include "workloads.hpp"

namespace otp_bench {

namespace {

/// One GET over a fresh loopback connection; the answer is read and dropped.
void observer_bench_get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[16384];
      while (read(fd, buf, sizeof buf) > 0) {
      }
    }
  }
  close(fd);
}

}  // namespace

struct observer_load::impl {
  otp::observer obs;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  std::thread page;

  explicit impl(otp::node& n) : obs(n) {
    page = std::thread([this] {
      std::unique_lock l(mu);
      while (!stopping) {
        l.unlock();
        // What the page asks at each refresh, its tree's root included.
        for (const char* p : {"/api/system", "/api/tree", "/api/processes?sort=reductions&limit=40",
                              "/api/history", "/api/crashes"})
          observer_bench_get(obs.port(), p);
        l.lock();
        wake.wait_for(l, std::chrono::seconds(1), [this] { return stopping; });
      }
    });
  }
  ~impl() {
    {
      std::lock_guard l(mu);
      stopping = true;
    }
    wake.notify_all();
    page.join();
  }
};

observer_load::observer_load(otp::node& n) : impl_(std::make_unique<impl>(n)) {}

std::uint64_t observer_load::observer_cpu_ns() {
  std::uint64_t total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "otp-observer" && name.rfind("otp-http", 0) != 0) continue;
    std::ifstream stat(task.path() / "schedstat");
    std::uint64_t on_cpu_ns = 0;
    if (stat >> on_cpu_ns) total += on_cpu_ns;
  }
  return total;
}
observer_load::~observer_load() = default;

void call_conc_observed(const options& o) {
  options with = o;
  with.observed = true;
  call_conc(with);
}

}  // namespace otp_bench

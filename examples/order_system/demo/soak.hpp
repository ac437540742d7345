// What order_demo runs beside its clients in a soak (--duration-s): hostile
// clients, and a sampler of the service's memory and process count.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace order_demo {

/// Clients that attack the service on `port` until stopped: slowloris
/// connections (one byte a second), oversized, compressed, malformed and
/// out-of-bounds bodies, and ids that are no order ids. Each answer is
/// counted by status; a 500, or a 2xx to a request that must be refused, is
/// a failure.
class hostile_clients {
 public:
  /// @param slow_connections connections held open, sending a byte a second.
  hostile_clients(int port, int slow_connections);
  ~hostile_clients();
  hostile_clients(const hostile_clients&) = delete;
  hostile_clients& operator=(const hostile_clients&) = delete;

  /// Stops every client and waits for them.
  void stop();
  /// Requests sent (slowloris connections not counted).
  std::int64_t sent() const { return sent_.load(); }
  /// Answers by status (0: no answer, the connection failed or was closed).
  std::map<int, std::int64_t> answers() const;
  /// Requests the service should have refused but accepted, or answered 500.
  std::vector<std::string> failures() const;

 private:
  void slowloris();
  void abuse();
  void record(int status, const std::string& what, bool must_refuse);

  int port_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> sent_{0};
  mutable std::mutex mu_;
  std::map<int, std::int64_t> answers_;
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

/// Samples the service every 500 ms: its resident memory (from /proc) and
/// the process count and chaos kills of GET /stats.
class service_sampler {
 public:
  /// @param service_pid the service's current OS pid (it changes on restart).
  service_sampler(int port, std::function<pid_t()> service_pid);
  ~service_sampler();
  service_sampler(const service_sampler&) = delete;
  service_sampler& operator=(const service_sampler&) = delete;

  void stop();
  std::int64_t peak_rss_kb() const { return peak_rss_kb_.load(); }
  std::int64_t last_rss_kb() const { return last_rss_kb_.load(); }
  std::int64_t peak_processes() const { return peak_processes_.load(); }
  /// Kills by the chaos process, summed over the service's restarts.
  std::int64_t kills() const;

 private:
  void run();

  int port_;
  std::function<pid_t()> pid_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> peak_rss_kb_{0};
  std::atomic<std::int64_t> last_rss_kb_{0};
  std::atomic<std::int64_t> peak_processes_{0};
  mutable std::mutex mu_;
  std::int64_t kills_done_ = 0;  // of earlier incarnations
  std::int64_t kills_now_ = 0;   // of the current one
  std::thread thread_;
};

/// VmRSS of process `pid` in KiB, or -1.
std::int64_t rss_kb(pid_t pid);

}  // namespace order_demo

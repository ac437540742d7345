// The long-schedule watchdog (node_options::long_schedule): a thread that
// looks at every worker each quarter of the threshold and reports, once, a
// process that has held its scheduler longer than the threshold without a
// scheduling point.
//
// Invariants:
//  1. It reads only the workers' atomics (`dispatches`, `running_pid`); it
//     never touches a process.
//  2. `halt_` is guarded by `mu_`; stop() joins the thread.
// Callers: start() once the workers run; stop() from node::stop only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "otp/runtime/node.hpp"

namespace otp::detail {

class worker;

class watchdog {
 public:
  /// Watches `workers` of node `node_id` with the node's options
  /// (long_schedule, on_long_schedule).
  watchdog(const std::vector<std::unique_ptr<worker>>& workers, std::uint32_t node_id,
           const node_options& opts)
      : workers_(workers), node_(node_id), opts_(opts) {}
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;
  ~watchdog() { stop(); }

  /// Starts the thread; does nothing when long_schedule is 0.
  void start();
  /// Stops and joins the thread. Idempotent.
  void stop() noexcept;

 private:
  void loop();

  const std::vector<std::unique_ptr<worker>>& workers_;
  const std::uint32_t node_;
  const node_options& opts_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool halt_ = false;
};

}  // namespace otp::detail

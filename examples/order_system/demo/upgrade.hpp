// What order_demo's --upgrade runs beside its clients: a release upgrade of
// the service's risk rules while orders flow (POST /admin/upgrade), then a
// broken release that must be rolled back.
//
//   a third of the orders sent   order_risk_v2.so: version 1 -> 2, with its
//                                state (the counts) carried over; must be 200
//   two thirds sent              order_risk_v3.so, whose code_change throws:
//                                must be 409 with rolled_back, version 2 kept
//
// The report shows each step, how long the risk server was suspended, and
// the version that ran at the end (2, or the run fails).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace order_demo {

class upgrade_steps {
 public:
  /// @param port the service's port.
  /// @param sent the orders sent so far; @param total the orders of a round.
  /// @param restarts the times the service was started again so far.
  upgrade_steps(int port, std::function<std::size_t()> sent, std::size_t total,
                std::function<int()> restarts);
  ~upgrade_steps();
  upgrade_steps(const upgrade_steps&) = delete;
  upgrade_steps& operator=(const upgrade_steps&) = delete;

  /// Runs the steps not run yet (the orders were sent before their turn:
  /// they are then not under load, which the report says) and waits.
  void finish();
  /// One line per step, for the report.
  std::vector<std::string> lines() const;
  /// Steps that did not end as they must; `risk` is GET /stats' "risk" at
  /// the end: version 2 must be running, or 1 when the service was started
  /// again after the upgrade (an upgrade lasts as long as the OS process;
  /// a new one loads the configured version), which `warnings` says.
  std::vector<std::string> failures(const nlohmann::json& risk) const;
  std::vector<std::string> warnings() const;

 private:
  struct step {
    const char* file;
    const char* from;
    const char* to;
    int want_status;          ///< 200, or 409 (rolled back)
    std::size_t sent_at = 0;  ///< orders sent when it ran
    int restarts_at = 0;      ///< service restarts when it ran
    bool under_load = false;  ///< it ran while orders were being sent
    int status = 0;           ///< the answer's status (0: no answer)
    nlohmann::json body;      ///< the answer
  };
  void run();
  void post(step& s, bool under_load);

  int port_;
  std::function<std::size_t()> sent_;
  std::size_t total_;
  std::function<int()> restarts_;
  mutable std::mutex mu_;
  std::vector<step> steps_;
  std::atomic<bool> finishing_{false};
  std::thread thread_;
};

}  // namespace order_demo

// What order_demo's --upgrade runs beside its clients: release changes of
// the service's risk rules while orders flow (POST /admin/upgrade and
// /admin/downgrade), each at a share of the orders sent:
//
//   1/5  upgrade to order_risk_v2.so: 1 -> 2, the state carried over      200
//   2/5  downgrade: 2 -> 1, version 2's state turned back into 1's         200
//   3/5  upgrade to order_risk_v2.so again, made permanent                 200
//   4/5  upgrade to order_risk_v3.so, whose code_change throws: rolled
//        back, version 2 kept with its state                               409
//
// The report shows each step, how long the risk server was suspended, and
// the version that ran at the end (2, or the run fails). A service started
// again meanwhile (its tree gave up) loads the version made permanent
// (version 1 before step 3): what each step must answer follows from that,
// and from the version the service ran before the first step.
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
  /// Steps that did not answer as they must, and the version running at
  /// the end (`risk` is GET /stats' "risk") if it is not the one expected.
  std::vector<std::string> failures(const nlohmann::json& risk) const;
  /// Said when the version at the end could not be read (/stats failed, or
  /// the risk server was restarting): it is then not checked.
  std::vector<std::string> warnings(const nlohmann::json& risk) const;

 private:
  struct step {
    const char* what;         ///< "upgrade" or "downgrade"
    const char* file;         ///< the upgrade's module file
    bool permanent;           ///< asked to be made permanent
    bool broken;              ///< the version's code_change throws
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
  int restarts_at_start_;
  std::string vsn_at_start_;  ///< the version the service ran before the steps
  mutable std::mutex mu_;
  std::vector<step> steps_;
  std::atomic<bool> finishing_{false};
  std::thread thread_;
};

}  // namespace order_demo

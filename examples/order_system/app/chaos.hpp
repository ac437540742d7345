// The chaos process: kills random processes of the order system's tree with
// reason `kill` (untrappable), at a given mean rate, to show the tree heal.
// It is not part of the tree it attacks. Most kills hit workers: about half
// in-flight order processes, the rest the tree's other workers (the repo
// pool, inventory, payment, reconciler, rate_limiter), never the HTTP
// endpoint (killing it only drops connections). A share of the kills
// (`supervisor_share`, 5% by default) hits a supervisor instead: the services
// supervisor, the orders dynamic supervisor, the order registry or the
// notifications async supervisor. Killing one kills everything under it at
// once and its parent restarts it; the restarted children wait for their
// orphaned predecessors to release their registered names (see
// gen_server's start), so a supervisor kill costs its parent one restart.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "otp/otp.hpp"
#include "stats.hpp"

namespace order_system {

/// The name the chaos process registers under.
inline constexpr const char* chaos_name = "chaos";

/// The chaos gen_server.
class chaos {
 public:
  /// Kills per second from now on (0 stops the killing).
  struct set_rate {
    double per_second = 0;
  };
  /// The largest rate set_rate accepts (the HTTP endpoint checks it).
  static constexpr double kMaxRate = 1000;
  struct strike {
    std::uint64_t generation = 0;
  };

  /// @param root the registered name of the tree's root supervisor.
  /// @param per_second mean kills per second, 0..kMaxRate.
  /// @param supervisor_share the fraction of kills aimed at a supervisor, 0..1.
  /// @param max_kills stop after this many kills (0: no limit), so a test's
  ///   exposure does not grow with how slowly its build runs.
  chaos(std::string root, double per_second, double supervisor_share,
        std::shared_ptr<service_stats> stats, unsigned seed, std::uint64_t max_kills = 0);

  otp::server_result init();
  otp::server_result handle_cast(set_rate r);
  otp::task<otp::server_result> handle_info(strike s);

 private:
  void schedule();
  otp::task<otp::pid> pick();
  otp::task<otp::pid> pick_worker();
  otp::task<otp::pid> pick_supervisor();

  std::string root_;
  double rate_;
  double supervisor_share_;
  std::shared_ptr<service_stats> stats_;
  std::mt19937_64 rng_;
  std::uint64_t generation_ = 0;
  std::uint64_t max_kills_;
  std::uint64_t kills_ = 0;
};

}  // namespace order_system

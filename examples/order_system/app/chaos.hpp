// The chaos process: kills random processes of the order system's tree with
// reason `kill` (untrappable), at a given mean rate, to show the tree heal.
// It is not part of the tree it attacks. Targets: in-flight order processes
// (about half the kills) and the tree's other processes — supervisors
// included, but not the root and not the HTTP endpoint (killing it would
// only drop connections, which the demo counts as client errors).
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
  struct strike {
    std::uint64_t generation = 0;
  };

  /// @param root the registered name of the tree's root supervisor.
  chaos(std::string root, double per_second, std::shared_ptr<service_stats> stats, unsigned seed);

  otp::server_result init();
  otp::server_result handle_cast(set_rate r);
  otp::task<otp::server_result> handle_info(strike s);

 private:
  void schedule();
  otp::task<otp::pid> pick();

  std::string root_;
  double rate_;
  std::shared_ptr<service_stats> stats_;
  std::mt19937_64 rng_;
  std::uint64_t generation_ = 0;
};

}  // namespace order_system

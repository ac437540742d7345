// The chaos process: kills random worker processes of the order system's
// tree with reason `kill` (untrappable), at a given mean rate, to show the
// tree heal. It is not part of the tree it attacks. About half the kills hit
// in-flight order processes; the rest hit the tree's other workers (the repo
// pool, inventory, payment, reconciler, rate_limiter), never the HTTP
// endpoint (killing it only drops connections).
//
// Supervisors and the registry are not targets. Killing one kills all its
// processes at once (every order in flight, for `orders` or the registry),
// and its parent restarts it at once, while the killed children may not have
// handled their exit signal yet: a restarted child then finds its name still
// held and fails with already_started, as it can in Erlang. A few of those
// in a row exhaust the parent's intensity, which is the escalation the
// tree is built for, but at chaos rates of several kills a second it turns
// the demo into a test of restart intensity rather than of recovery.
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

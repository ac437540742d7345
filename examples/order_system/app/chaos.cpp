#include "chaos.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "order.hpp"

namespace order_system {

chaos::chaos(std::string root, double per_second, double supervisor_share,
             std::shared_ptr<service_stats> stats, unsigned seed, std::uint64_t max_kills)
    : root_(std::move(root)),
      rate_(std::clamp(per_second, 0.0, kMaxRate)),
      supervisor_share_(std::clamp(supervisor_share, 0.0, 1.0)),
      stats_(std::move(stats)),
      rng_(seed),
      max_kills_(max_kills) {}

otp::server_result chaos::init() {
  schedule();
  return otp::noreply();
}

otp::server_result chaos::handle_cast(set_rate r) {
  rate_ = std::clamp(r.per_second, 0.0, kMaxRate);
  ++generation_;  // drop the strike already scheduled at the old rate
  schedule();
  return otp::noreply();
}

void chaos::schedule() {
  if (rate_ <= 0 || (max_kills_ != 0 && kills_ >= max_kills_)) return;
  std::exponential_distribution<double> gap(rate_);  // a Poisson process of kills
  const auto ms = std::chrono::milliseconds(static_cast<std::int64_t>(gap(rng_) * 1000.0) + 1);
  otp::send_after(ms, otp::self(), strike{generation_});
}

otp::task<otp::server_result> chaos::handle_info(strike s) {
  if (s.generation != generation_) co_return otp::noreply();
  const otp::pid victim = co_await pick();
  if (!victim.is_null()) {
    otp::exit(victim, otp::exit_reason::kill());
    ++stats_->crashes_injected;
    ++kills_;
  }
  schedule();
  co_return otp::noreply();
}

otp::task<otp::pid> chaos::pick() {
  if (std::bernoulli_distribution(supervisor_share_)(rng_)) {
    const otp::pid p = co_await pick_supervisor();
    if (!p.is_null()) co_return p;
  }
  co_return co_await pick_worker();
}

otp::task<otp::pid> chaos::pick_supervisor() {
  std::vector<otp::pid> targets;
  try {
    const auto root = otp::whereis<otp::supervisor::server>(root_);
    for (const auto& c : co_await otp::supervisor::which_children(root)) {
      if (c.child.is_null() || c.type != otp::child_type::supervisor) continue;
      targets.push_back(c.child);
      if (c.id == "services") {
        const otp::supervisor::ref services(c.child);
        const std::vector<otp::child_info> below =
            co_await otp::supervisor::which_children(services);
        for (const auto& s : below)
          if (!s.child.is_null() && s.type == otp::child_type::supervisor)
            targets.push_back(s.child);
      }
    }
  } catch (const otp::exit_error&) {
    // A supervisor we asked was restarting: no strike this time.
  }
  if (targets.empty()) co_return otp::pid();
  std::uniform_int_distribution<std::size_t> any(0, targets.size() - 1);
  co_return targets[any(rng_)];
}

otp::task<otp::pid> chaos::pick_worker() {
  std::vector<otp::pid> targets;
  try {
    if (std::bernoulli_distribution(0.5)(rng_)) {
      const auto orders = otp::whereis<otp::dynamic_supervisor::server>(orders_name);
      const std::vector<otp::child_info> running =
          co_await otp::dynamic_supervisor::which_children(orders);
      for (const auto& c : running)
        if (!c.child.is_null()) targets.push_back(c.child);
    }
    if (targets.empty()) {
      const auto root = otp::whereis<otp::supervisor::server>(root_);
      const std::vector<otp::child_info> top = co_await otp::supervisor::which_children(root);
      for (const auto& c : top) {
        if (c.child.is_null() || c.id == "endpoint") continue;
        if (c.type == otp::child_type::worker) targets.push_back(c.child);
        if (c.id == "services") {
          const otp::supervisor::ref services(c.child);
          const std::vector<otp::child_info> below =
              co_await otp::supervisor::which_children(services);
          for (const auto& s : below)
            if (!s.child.is_null() && s.type == otp::child_type::worker) targets.push_back(s.child);
        }
      }
    }
  } catch (const otp::exit_error&) {
    // A supervisor we asked was restarting: no strike this time.
  }
  if (targets.empty()) co_return otp::pid();
  std::uniform_int_distribution<std::size_t> any(0, targets.size() - 1);
  co_return targets[any(rng_)];
}

}  // namespace order_system

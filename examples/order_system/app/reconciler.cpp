#include "reconciler.hpp"

#include "repo.hpp"

namespace order_system {

otp::task<otp::server_result> reconciler::run(sweep, bool first) {
  otp::send_after(interval_, otp::self(), sweep{});
  // While the repo or the order supervisor is restarting, skip this sweep
  // rather than crash: the next one comes in `interval`.
  try {
    const std::vector<std::string> unfinished = co_await query(db_conn::unfinished_orders{});
    ctx_->stats->backlog.store(static_cast<std::int64_t>(unfinished.size()));
    // The backlog has drained: what the burst's processes and messages took
    // is free, and goes back to the system (on two sweeps, not on every one).
    idle_sweeps_ = unfinished.empty() ? idle_sweeps_ + 1 : 0;
    if (idle_sweeps_ == 1 || idle_sweeps_ == 2)
      ctx_->stats->memory_released += static_cast<std::int64_t>(otp::release_free_memory());
    std::unordered_set<std::string> orphans;
    for (const std::string& id : unfinished) {
      if (!ctx_->registry.lookup(id).empty()) continue;  // a process works on it
      if (!first && orphans_.count(id) == 0) {
        orphans.insert(id);  // give its process one interval to show up
        continue;
      }
      const otp::start_result r = co_await start_order(id, ctx_);
      if (r.is_ok()) ++ctx_->stats->resumed_by_reconciler;
    }
    orphans_ = std::move(orphans);
  } catch (const otp::exit_error&) {
  }
  co_return otp::noreply();
}

}  // namespace order_system

// The reconciler: finds orders that are neither paid nor failed and have no
// process working on them (their process crashed or was killed, or the whole
// service stopped), and starts a process for each. With it no accepted order
// is lost: every one reaches paid or failed.
//
// It sweeps when it starts (resuming what a previous run left) and then every
// `interval`. An order seen without a process is resumed only if it is still
// so at the next sweep, so an order just accepted, whose process the
// endpoint is starting, is not raced. The first two sweeps that find no
// order unfinished after a busy spell give the runtime's free memory back to
// the system (otp::release_free_memory; the second gets what the threads'
// caches gave up after the first).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_set>

#include "order.hpp"
#include "otp/otp.hpp"

namespace order_system {

/// The reconciler gen_server.
class reconciler {
 public:
  struct sweep {};

  reconciler(std::shared_ptr<const order_context> ctx, std::chrono::milliseconds interval)
      : ctx_(std::move(ctx)), interval_(interval) {}

  otp::server_result init() { return otp::noreply().then_continue(sweep{}); }
  otp::task<otp::server_result> handle_continue(sweep s) { return run(s, true); }
  otp::task<otp::server_result> handle_info(sweep s) { return run(s, false); }

 private:
  otp::task<otp::server_result> run(sweep, bool first);

  std::shared_ptr<const order_context> ctx_;
  std::chrono::milliseconds interval_;
  std::unordered_set<std::string> orphans_;  // unfinished, no process, last sweep
  int idle_sweeps_ = 0;                      // sweeps in a row that found no order unfinished
};

}  // namespace order_system

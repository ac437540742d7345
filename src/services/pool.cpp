// The pool server (poolboy's state machine).
//
// Invariants:
//  1. Every worker is linked to the pool (which traps exits) and is in
//     exactly one place: `idle_` or `leases_` (checked out, keyed by worker).
//  2. Each lease and each waiter holds a monitor on the holder / waiting
//     caller; the monitor is removed when the lease or waiter goes.
//  3. `overflow_` counts workers beyond `size` (always <= max_overflow);
//     such workers are never made idle: a returned one is stopped while
//     overflow_ > 0 and nobody waits.
//  4. A waiter is only queued when no worker is idle and no overflow worker
//     may be started, so `idle_` and `waiting_` are never both non-empty.
#include "otp/services/pool.hpp"

#include <algorithm>
#include <string>

#include "otp/runtime/process.hpp"
#include "otp/runtime/telemetry.hpp"

namespace otp {

std::string pool_status::to_string() const {
  const char* n = name == state::ready ? "ready" : name == state::overflow ? "overflow" : "full";
  return std::string("{") + n + "," + std::to_string(idle) + "," + std::to_string(overflow) + "," +
         std::to_string(checked_out) + "," + std::to_string(waiting) + "}";
}

pool_server::pool_server(pool_options o, std::function<task<start_result>()> start_worker)
    : o_(o), start_worker_(std::move(start_worker)) {}

task<server_result> pool_server::init() {
  trap_exit(true);
  for (std::size_t i = 0; i < o_.size; ++i) {
    const start_result r = co_await start_worker_();
    if (!r.is_ok()) {
      terminate(exit_reason::shutdown());
      co_return stop(r.is_ignore() ? exit_reason::other("{worker_start,ignore}") : r.reason);
    }
    idle_.push_back(r.child);
  }
  co_return noreply();
}

task<pid> pool_server::new_worker() {
  const start_result r = co_await start_worker_();
  // A worker that cannot start is a broken pool: crash (poolboy does too).
  if (!r.is_ok())
    throw exit_error(r.is_ignore() ? exit_reason::other("{worker_start,ignore}") : r.reason);
  co_return r.child;
}

task<call_result<std::optional<pid>>> pool_server::handle_call(checkout_req r,
                                                               from<std::optional<pid>> caller) {
  if (!idle_.empty()) {
    const pid w = idle_.front();
    idle_.pop_front();
    leases_.emplace(w, lease{r.cref, monitor(caller.caller)});
    checkout_event(0, "ok");
    co_return std::optional<pid>(w);
  }
  if (overflow_ < o_.max_overflow) {
    const pid w = co_await new_worker();
    ++overflow_;
    leases_.emplace(w, lease{r.cref, monitor(caller.caller)});
    telemetry::execute({"otp", "pool", "overflow"}, {{"overflow", overflow_}}, {{"pool", self()}});
    checkout_event(0, "ok");
    co_return std::optional<pid>(w);
  }
  if (!r.block) {
    checkout_event(0, "full");
    co_return std::optional<pid>();
  }
  waiting_.push_back(
      waiter{caller, r.cref, monitor(caller.caller), telemetry::detail::monotonic_ns()});
  co_return noreply();
}

pool_status pool_server::handle_call(status_req) const {
  pool_status s;
  s.idle = idle_.size();
  s.overflow = overflow_;
  s.checked_out = leases_.size();
  s.waiting = waiting_.size();
  if (!idle_.empty())
    s.name = pool_status::state::ready;
  else if (overflow_ < o_.max_overflow)
    s.name = pool_status::state::overflow;
  else
    s.name = pool_status::state::full;
  return s;
}

task<server_result> pool_server::handle_cast(checkin_msg m) {
  auto it = leases_.find(m.worker);
  if (it == leases_.end()) co_return noreply();  // not handed out: ignore
  demonitor(it->second.mref);
  leases_.erase(it);
  co_await handle_checkin(m.worker);
  co_return noreply();
}

task<server_result> pool_server::handle_cast(cancel_waiting_msg m) {
  // The worker may have been handed over just as the caller gave up.
  for (auto it = leases_.begin(); it != leases_.end(); ++it) {
    if (it->second.cref == m.cref) {
      const pid w = it->first;
      demonitor(it->second.mref, {.flush = true});
      leases_.erase(it);
      co_await handle_checkin(w);
      co_return noreply();
    }
  }
  std::erase_if(waiting_, [&](const waiter& x) {
    if (x.cref != m.cref) return false;
    demonitor(x.mref, {.flush = true});
    checkout_event(telemetry::detail::monotonic_ns() - x.queued_ns, "timeout");
    return true;
  });
  co_return noreply();
}

task<server_result> pool_server::handle_info(down_msg& d) {
  // A holder died: its worker comes back. Or a waiting caller died.
  for (auto it = leases_.begin(); it != leases_.end(); ++it) {
    if (it->second.mref == d.monitor) {
      const pid w = it->first;
      leases_.erase(it);
      co_await handle_checkin(w);
      co_return noreply();
    }
  }
  std::erase_if(waiting_, [&](const waiter& x) { return x.mref == d.monitor; });
  co_return noreply();
}

task<server_result> pool_server::handle_info(exit_msg& e) {
  // A worker died (the parent's EXIT never gets here: the engine stops).
  if (auto it = leases_.find(e.from); it != leases_.end()) {
    demonitor(it->second.mref, {.flush = true});
    leases_.erase(it);
    co_await handle_worker_exit(e.from);
  } else if (auto w = std::find(idle_.begin(), idle_.end(), e.from); w != idle_.end()) {
    idle_.erase(w);
    idle_.push_front(co_await new_worker());
  }
  co_return noreply();
}

task<void> pool_server::handle_checkin(pid w) {
  if (!waiting_.empty()) {
    hand_to_waiter(w);
  } else if (overflow_ > 0) {
    dismiss(w);
    --overflow_;
  } else {
    make_idle(w);
  }
  co_return;
}

task<void> pool_server::handle_worker_exit(pid) {
  if (!waiting_.empty()) {
    hand_to_waiter(co_await new_worker());
  } else if (overflow_ > 0) {
    --overflow_;
  } else {
    idle_.push_front(co_await new_worker());
  }
}

void pool_server::hand_to_waiter(pid w) {
  waiter next = waiting_.front();
  waiting_.pop_front();
  leases_.emplace(w, lease{next.cref, next.mref});
  reply(next.caller, std::optional<pid>(w));
  checkout_event(telemetry::detail::monotonic_ns() - next.queued_ns, "ok");
}

void pool_server::checkout_event(std::int64_t wait_ns, std::string_view outcome) const {
  telemetry::execute({"otp", "pool", "checkout"}, {{"wait", wait_ns}},
                     {{"pool", self()}, {"outcome", outcome}});
}

void pool_server::make_idle(pid w) {
  if (o_.strategy == pool_options::order::lifo)
    idle_.push_front(w);
  else
    idle_.push_back(w);
}

void pool_server::dismiss(pid w) {
  unlink(w);
  exit(w, exit_reason::shutdown());
}

void pool_server::terminate(const exit_reason&) {
  for (pid w : idle_) dismiss(w);
  for (const auto& [w, l] : leases_) dismiss(w);
  idle_.clear();
  leases_.clear();
}

std::string pool_server::format_status() const {
  return "{pool," + handle_call(status_req{}).to_string() + "}";
}

namespace detail {

task<std::optional<pid>> pool_checkout(server_ref<pool_server> p, bool block, timeout t) {
  const ref cref = make_ref();
  pool_server::checkout_req req{cref, block};
  try {
    co_return co_await call(p, std::move(req), t);
  } catch (const exit_error&) {
    // Leave the queue (or give back a worker handed over too late).
    cast(p, pool_server::cancel_waiting_msg{cref});
    throw;
  }
}

}  // namespace detail
}  // namespace otp

// The type-free parts of a consumer_supervisor: see
// otp/services/detail/consumer_supervisor_core.hpp.
#include "otp/services/detail/consumer_supervisor_core.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "otp/runtime/logger.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/services/gen_stage.hpp"

namespace otp::detail {

std::optional<exit_reason> check_consumer_supervisor(bool has_start, restart_type restart,
                                                     int max_restarts) {
  if (!has_start) return exit_reason::other("{bad_opts,\"start is required\"}");
  if (restart == restart_type::permanent)
    return exit_reason::other("{bad_opts,\"a permanent child is not supported\"}");
  if (max_restarts < 0) return exit_reason::other("{bad_opts,\"max_restarts must be >= 0\"}");
  return std::nullopt;
}

void consumer_demand::subscribe(stage_from producer, const subscription_options& o) {
  const std::size_t min = o.min_demand.value_or(o.max_demand / 2);
  all_.push_back({producer, 0, 0, min, o.max_demand});
  gen_stage::ask(producer, o.max_demand);
}

void consumer_demand::cancel(ref tag) {
  std::erase_if(all_, [&](const entry& e) { return e.producer.tag == tag; });
}

void consumer_demand::handled(ref tag, std::size_t events, std::size_t ended) {
  auto it =
      std::find_if(all_.begin(), all_.end(), [&](const entry& e) { return e.producer.tag == tag; });
  if (it == all_.end()) return;
  if (it->running + events > it->max)
    logger::error("consumer_supervisor: {} events in excess from {}",
                  it->running + events - it->max, it->producer.stage.to_string());
  it->pending += ended;
  if (it->pending > 0 && it->pending >= it->min) {
    gen_stage::ask(it->producer, it->pending);
    it->pending = 0;
  }
  it->running = it->running + events - std::min(it->running + events, ended);
}

bool child_restart_window::allow(std::chrono::milliseconds now, int max,
                                 std::chrono::milliseconds period) {
  at_.push_back(now);
  while (!at_.empty() && now - at_.front() > period) at_.pop_front();
  return static_cast<int>(at_.size()) <= max;
}

namespace {

/// Receives the EXITs of the processes in `left` until none is left (true)
/// or the time is `deadline` (false; never, without one).
task<bool> await_exits(std::unordered_set<pid>& left,
                       std::optional<std::chrono::milliseconds> deadline) {
  while (!left.empty()) {
    timeout t = timeout(infinity);
    if (deadline) t = timeout(std::max(*deadline - monotonic_time(), std::chrono::milliseconds(0)));
    const bool got =
        co_await receive(when([&left](const exit_msg& e) { return left.count(e.from) != 0; },
                              [&left](const exit_msg& e) {
                                left.erase(e.from);
                                return true;
                              }),
                         after(t, [] { return false; }));
    if (!got) co_return false;
  }
  co_return true;
}

}  // namespace

task<void> shut_down_children(std::vector<pid> children, shutdown_spec how) {
  std::unordered_set<pid> left(children.begin(), children.end());
  for (pid c : children)
    exit(c, how.is_brutal_kill() ? exit_reason::kill() : exit_reason::shutdown());
  std::optional<std::chrono::milliseconds> deadline;
  if (!how.is_brutal_kill() && !how.grace().is_infinite())
    deadline = monotonic_time() + std::chrono::milliseconds(how.grace().ms());
  if (co_await await_exits(left, deadline)) co_return;
  for (pid c : left) exit(c, exit_reason::kill());
  co_await await_exits(left, std::nullopt);
}

void log_consumer_supervisor_stray_exit(pid from) {
  logger::error("consumer_supervisor: an EXIT from {}, which is none of its children (ignored)",
                from.to_string());
}

void log_consumer_supervisor_start_error(std::exception_ptr e) {
  logger::error("consumer_supervisor: a child failed to start: {}",
                exit_reason::from_exception(std::move(e)).to_string());
}

}  // namespace otp::detail

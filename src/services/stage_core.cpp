// The type-free parts of stages: see otp/services/detail/stage_core.hpp.
#include "otp/services/detail/stage_core.hpp"

#include <algorithm>

#include "otp/runtime/detail/type_name.hpp"
#include "otp/runtime/logger.hpp"

namespace otp::detail {

namespace {

/// Removes and returns the first element of `v` that `is` accepts.
template <class T, class Pred>
std::optional<T> take_first(std::vector<T>& v, Pred is) {
  const auto it = std::find_if(v.begin(), v.end(), is);
  if (it == v.end()) return std::nullopt;
  T found = std::move(*it);
  v.erase(it);
  return found;
}

}  // namespace

void demand_dispatcher::insert(entry e) {
  // Before the first entry with less demand: equal demands keep arrival order.
  auto at = std::find_if(demands_.begin(), demands_.end(),
                         [&](const entry& x) { return x.demand < e.demand; });
  demands_.insert(at, e);
}

void demand_dispatcher::subscribe(stage_from consumer) { demands_.push_back({0, consumer}); }

void demand_dispatcher::cancel(ref tag) {
  auto it = std::find_if(demands_.begin(), demands_.end(),
                         [&](const entry& x) { return x.consumer.tag == tag; });
  if (it == demands_.end()) return;
  pending_ += it->demand;
  demands_.erase(it);
}

std::size_t demand_dispatcher::ask(std::size_t n, stage_from consumer) {
  if (!max_) max_ = n;
  if (n > *max_)
    logger::warning(
        "stage: a demand dispatcher expects a maximum demand of {}; consumer {} asked for {} "
        "(different maximum demands overload greedy consumers)",
        *max_, consumer.stage.to_string(), n);
  auto it = std::find_if(demands_.begin(), demands_.end(),
                         [&](const entry& x) { return x.consumer.tag == consumer.tag; });
  std::size_t current = 0;
  if (it != demands_.end()) {
    current = it->demand;
    demands_.erase(it);
  }
  insert({current + n, consumer});
  const std::size_t already = std::min(pending_, n);
  pending_ -= already;
  return n - already;
}

std::size_t demand_dispatcher::dispatch(std::size_t n, std::vector<share>& out) {
  out.clear();
  while (n > 0 && !demands_.empty() && demands_.front().demand > 0) {
    entry top = demands_.front();
    demands_.erase(demands_.begin());
    const std::size_t now = std::min(n, top.demand);
    out.push_back({top.consumer, now});
    n -= now;
    top.demand -= now;
    insert(top);
  }
  // What goes to the buffer was counted as pending when it was asked for.
  pending_ -= std::min(pending_, n);
  return n;
}

bool broadcast_demand::subscribed(pid p) const noexcept {
  return std::any_of(demands_.begin(), demands_.end(),
                     [&](const entry& e) { return e.consumer.stage == p; });
}

void broadcast_demand::subscribe(stage_from consumer) {
  // What was waiting had been taken off every demand: give it back.
  for (entry& e : demands_) e.demand += waiting_;
  waiting_ = 0;
  demands_.push_back({0, consumer});
}

std::size_t broadcast_demand::cancel(ref tag) {
  std::erase_if(demands_, [&](const entry& e) { return e.consumer.tag == tag; });
  if (demands_.empty()) {
    waiting_ = 0;
    return 0;
  }
  return sync();
}

std::size_t broadcast_demand::ask(std::size_t n, ref tag) {
  for (entry& e : demands_)
    if (e.consumer.tag == tag) e.demand += n;
  return sync();
}

std::size_t broadcast_demand::take(std::size_t n) noexcept {
  const std::size_t now = std::min(n, waiting_);
  waiting_ -= now;
  requested_ -= std::min(requested_, now);
  return now;
}

std::size_t broadcast_demand::sync() {
  std::size_t least = demands_.empty() ? 0 : demands_.front().demand;
  for (const entry& e : demands_) least = std::min(least, e.demand);
  for (entry& e : demands_) e.demand -= least;
  waiting_ += least;
  const std::size_t request = waiting_ > requested_ ? waiting_ - requested_ : 0;
  requested_ += request;
  return request;
}

void split_batches(upstream& u, std::size_t n, std::vector<stage_batch>& out) {
  out.clear();
  if (u.manual) {
    out.push_back({n, 0});
    return;
  }
  const std::size_t limit = u.max - u.min;
  std::size_t old_demand = u.demand;  // what was asked, before these events
  std::size_t demand = u.demand;
  while (n > 0) {
    const std::size_t size = std::min(n, limit);
    n -= size;
    std::size_t counted = size;  // what the demand counts down by
    if (size > old_demand) {
      logger::error("stage: a consumer received {} events in excess from {}", size - old_demand,
                    u.producer.stage.to_string());
      counted = old_demand;
    }
    old_demand -= counted;
    // Reaching min_demand refills the demand to max_demand.
    std::size_t ask = 0;
    const std::size_t left = demand - counted;
    if (left <= u.min) {
      ask = u.max - left;
      demand = u.max;
    } else {
      demand = left;
    }
    out.push_back({size, ask});
  }
  u.demand = demand;
}

upstream* upstreams::find(ref tag) noexcept {
  for (upstream& u : all_)
    if (u.producer.tag == tag) return &u;
  return nullptr;
}

std::optional<upstream> upstreams::remove(ref tag) {
  return take_first(all_, [&](const upstream& u) { return u.producer.tag == tag; });
}

downstream* downstreams::find(ref tag) noexcept {
  for (downstream& d : all_)
    if (d.consumer.tag == tag) return &d;
  return nullptr;
}

downstream* downstreams::find_monitor(ref monitor) noexcept {
  for (downstream& d : all_)
    if (d.monitor == monitor) return &d;
  return nullptr;
}

std::optional<downstream> downstreams::remove(ref tag) {
  return take_first(all_, [&](const downstream& d) { return d.consumer.tag == tag; });
}

std::optional<std::string> check_subscription(subscription_options& o) {
  if (o.max_demand < 1) return "{bad_opts,\"max_demand must be at least 1\"}";
  if (!o.min_demand) o.min_demand = o.max_demand / 2;
  if (*o.min_demand >= o.max_demand) return "{bad_opts,\"min_demand must be below max_demand\"}";
  return std::nullopt;
}

bool cancel_stops(cancel_mode mode, const exit_reason& reason) noexcept {
  switch (mode) {
    case cancel_mode::permanent:
      return true;
    case cancel_mode::transient:
      return !reason.is_normal_termination();
    case cancel_mode::temporary:
      return false;
  }
  return true;
}

exit_reason bad_event_type(const std::type_info& expected, const std::type_info& got) {
  return exit_reason::other("{bad_event_type," + type_name(expected) + "," + type_name(got) + "}");
}

void log_discarded(const std::type_info& stage, std::size_t count) {
  logger::warning("stage {}: a full buffer discarded {} events", type_name(stage), count);
}

void log_unexpected(const std::type_info& stage, const std::type_info& message) {
  logger::warning("stage {}: no handle_info for a message of type {} (dropped)", type_name(stage),
                  type_name(message));
}

void log_unsubscribed_events(const std::type_info& stage, pid from) {
  logger::error("stage {}: events from {} on no subscription of its (cancelled)", type_name(stage),
                from.to_string());
}

void log_unknown_partition(std::size_t partition, std::size_t partitions) {
  logger::error("stage: the partition function gave partition {} of {} (the event is dropped)",
                partition, partitions);
}

}  // namespace otp::detail

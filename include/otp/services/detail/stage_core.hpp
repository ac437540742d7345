// The parts of a stage that do not depend on its event types: the demand
// dispatcher's bookkeeping, the subscriptions on both sides, the batching of
// received events and the decisions of the cancel modes. Not part of the
// API; see otp/services/gen_stage.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/services/stage_options.hpp"

namespace otp::detail {

/// GenStage's DemandDispatcher: events go to the consumer with the most
/// demand; demand a cancelled consumer had is "pending" (already asked
/// upstream), so the next asks forward that much less.
class demand_dispatcher {
 public:
  /// Who gets how many of the events being dispatched, in order.
  struct share {
    stage_from consumer;
    std::size_t count;
  };

  /// A new consumer, with no demand yet.
  void subscribe(stage_from consumer);
  /// Forgets the consumer; its unmet demand becomes pending.
  void cancel(ref tag);
  /// The consumer asks for `n` more. Logs a warning when n exceeds the
  /// first ask's size (greedy consumers).
  /// @returns the demand to forward to handle_demand (n less what is pending).
  std::size_t ask(std::size_t n, stage_from consumer);
  /// Shares `n` events out by demand into `out` (cleared first).
  /// @returns how many are left for the buffer.
  std::size_t dispatch(std::size_t n, std::vector<share>& out);

 private:
  struct entry {
    std::size_t demand;
    stage_from consumer;
  };
  void insert(entry e);
  std::vector<entry> demands_;  // most demand first; equal demands keep their order
  std::size_t pending_ = 0;
  std::optional<std::size_t> max_;
};

/// GenStage's BroadcastDispatcher's bookkeeping: an event goes to every
/// consumer, so only as many events as the smallest demand can be sent;
/// that much ("waiting") is asked upstream once, whoever asked.
class broadcast_demand {
 public:
  struct entry {
    std::size_t demand;
    stage_from consumer;
  };
  bool subscribed(pid p) const noexcept;
  /// A new consumer, with no demand: nothing can be sent to all until it asks.
  void subscribe(stage_from consumer);
  /// @returns the demand to forward upstream now.
  std::size_t cancel(ref tag);
  /// @returns the demand to forward upstream now.
  std::size_t ask(std::size_t n, ref tag);
  /// How many of `n` events can go to every consumer now (and counts them sent).
  std::size_t take(std::size_t n) noexcept;
  const std::vector<entry>& consumers() const noexcept { return demands_; }

 private:
  std::size_t sync();
  std::vector<entry> demands_;
  std::size_t waiting_ = 0;    // sendable to all now
  std::size_t requested_ = 0;  // asked upstream, not yet sent
};

/// A producer this stage is subscribed to (the consumer side).
struct upstream {
  stage_from producer;
  cancel_mode cancel = cancel_mode::permanent;
  bool manual = false;
  std::size_t demand = 0;  ///< asked and not yet received
  std::size_t min = 0;
  std::size_t max = 0;
};

/// One batch for handle_events, and what to ask for after it.
struct stage_batch {
  std::size_t size;
  std::size_t ask;
};

/// Cuts `n` received events into batches of at most max - min, as GenStage
/// does, and counts down the subscription's demand: after the batch that
/// takes the demand to `min` or below, the consumer asks to refill it to
/// `max`. More events than asked are logged and handled anyway. A manual
/// subscription gets one batch and no ask.
void split_batches(upstream& u, std::size_t n, std::vector<stage_batch>& out);

/// The producers a stage is subscribed to (few: a linear search).
class upstreams {
 public:
  upstream* find(ref tag) noexcept;
  void add(upstream u) { all_.push_back(u); }
  /// Removes it and returns it, if it is there.
  std::optional<upstream> remove(ref tag);

 private:
  std::vector<upstream> all_;
};

/// A consumer subscribed to this stage (the producer side).
struct downstream {
  stage_from consumer;
  ref monitor;
};

class downstreams {
 public:
  downstream* find(ref tag) noexcept;
  downstream* find_monitor(ref monitor) noexcept;
  void add(downstream d) { all_.push_back(d); }
  std::optional<downstream> remove(ref tag);

 private:
  std::vector<downstream> all_;
};

/// The options with min_demand filled in, or the `{bad_opts, ...}` text.
std::optional<std::string> check_subscription(subscription_options& o);

/// Whether a consumer stops when a subscription with `mode` ends with `reason`.
bool cancel_stops(cancel_mode mode, const exit_reason& reason) noexcept;

/// `{bad_event_type,Expected,Got}`: the reason a producer cancels a
/// subscription whose consumer takes another event type.
exit_reason bad_event_type(const std::type_info& expected, const std::type_info& got);

/// Log lines (warnings and errors, as GenStage logs them).
void log_discarded(const std::type_info& stage, std::size_t count);
void log_unexpected(const std::type_info& stage, const std::type_info& message);
void log_unsubscribed_events(const std::type_info& stage, pid from);
void log_unknown_partition(std::size_t partition, std::size_t partitions);

}  // namespace otp::detail

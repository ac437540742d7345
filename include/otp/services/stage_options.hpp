// The options and small types of stages (otp/services/gen_stage.hpp):
// subscription options, cancel modes, demand modes and what a stage's init
// may return. Their names are GenStage's.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "otp/behaviours/server_name.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

/// What a consumer does when a subscription of its ends (the producer
/// cancelled it, or went down). @mirrors GenStage's `:cancel` option
enum class cancel_mode : unsigned char {
  permanent,  ///< the consumer stops with the same reason (the default)
  transient,  ///< stops unless the reason is normal, shutdown or {shutdown, _}
  temporary,  ///< goes on; handle_cancel is told
};

/// Who sends the asks of a subscription: the stage itself after each batch
/// (automatic), or the callbacks, through gen_stage::ask (manual). A
/// consumer's handle_subscribe chooses. @mirrors {:automatic | :manual, state}
enum class demand_mode : unsigned char { automatic, manual };

/// A producer's demand: handed to handle_demand as it comes (forward), or
/// held until gen_stage::demand switches it to forward (accumulate).
/// @mirrors GenStage's `:demand` option and GenStage.demand/2
enum class producer_demand : unsigned char { forward, accumulate };

/// Which events a full buffer keeps. @mirrors GenStage's `:buffer_keep`
enum class buffer_keep : unsigned char { first, last };

/// The other end of a subscription, as handle_subscribe is told.
enum class stage_peer : unsigned char { producer, consumer };

/// A broadcast subscription's filter: the producer sends the consumer only
/// the events it accepts (and asks again for those it filtered out). Make
/// one with otp::selector<E>(fn). @mirrors the `:selector` option
class event_selector {
 public:
  event_selector() = default;
  /// Accepts the events of type E for which `f` returns true.
  template <class E>
  static event_selector of(std::function<bool(const E&)> f) {
    event_selector s;
    s.fn_ = std::make_shared<const std::function<bool(const E&)>>(std::move(f));
    s.type_ = &typeid(E);
    return s;
  }
  /// The filter, if it is one for events of type E.
  template <class E>
  const std::function<bool(const E&)>* get() const noexcept {
    if (type_ == nullptr || *type_ != typeid(E)) return nullptr;
    return static_cast<const std::function<bool(const E&)>*>(fn_.get());
  }
  explicit operator bool() const noexcept { return fn_ != nullptr; }
  const std::type_info* type() const noexcept { return type_; }

 private:
  std::shared_ptr<const void> fn_;
  const std::type_info* type_ = nullptr;
};

/// A selector for events of type E: `otp::selector<order>([](const order& o) { ... })`.
template <class E, class F>
event_selector selector(F f) {
  return event_selector::of<E>(std::function<bool(const E&)>(std::move(f)));
}

/// The options of one subscription. @mirrors GenStage.sync_subscribe/3 options
struct subscription_options {
  /// The most events in flight to the consumer (asked, not yet handled); >= 1.
  std::size_t max_demand = 1000;
  /// When the events still in flight drop to this, the consumer asks for
  /// more; < max_demand. Default: max_demand / 2.
  std::optional<std::size_t> min_demand{};
  cancel_mode cancel = cancel_mode::permanent;
  /// A producer with a partition dispatcher: the partition (0..n-1) this
  /// consumer takes. @mirrors `:partition`
  std::optional<std::size_t> partition{};
  /// A producer with a broadcast dispatcher: the events this consumer takes.
  event_selector selector{};
};

/// How a producer shares its events among its consumers.
/// @mirrors GenStage.DemandDispatcher: each batch to the consumer with the
/// most demand.
struct demand_dispatch {};
/// Every event to every consumer (each through its selector, if any); the
/// slowest consumer sets the pace. @mirrors GenStage.BroadcastDispatcher
struct broadcast_dispatch {};
/// Each event to one of `partitions` consumers, by the producer's
/// `std::optional<std::size_t> partition(const out&)` when it has one (no
/// value: the event is dropped), else by std::hash modulo `partitions`.
/// @mirrors GenStage.PartitionDispatcher (with integer partitions)
struct partition_dispatch {
  std::size_t partitions = 0;
};
using dispatcher_options = std::variant<demand_dispatch, broadcast_dispatch, partition_dispatch>;

/// One end of a subscription: the stage at the other end and the
/// subscription's tag. A consumer's handle_events gets the producer's; a
/// producer's handle_subscribe and handle_cancel get the consumer's.
/// @mirrors GenStage's `from` ({pid, subscription_tag})
struct stage_from {
  pid stage;
  ref tag;
  friend bool operator==(const stage_from&, const stage_from&) = default;
};

/// Why a subscription ended, as handle_cancel is told: `cancel` when the
/// other end cancelled it, `down` when the other end died.
/// @mirrors {:cancel | :down, reason}
struct cancellation {
  enum class cause : unsigned char { cancel, down };
  cause kind = cause::cancel;
  exit_reason reason;
};

/// A producer a stage subscribes to at init: its pid or name, and the options.
struct subscribe_to {
  std::variant<pid, server_name> to;
  subscription_options options{};
};

/// What a stage's init() may return (every field optional; a stage without
/// init() gets the defaults). @mirrors the options of GenStage's init/1 result
struct stage_options {
  /// Consumers and producer_consumers: producers to subscribe to, in order,
  /// before the start returns.
  std::vector<subscribe_to> subscribe_to{};
  /// Producers and producer_consumers: how many events are kept when no
  /// consumer has asked for them. Default 10,000 for a producer, no limit
  /// for a producer_consumer; no limit is SIZE_MAX.
  std::optional<std::size_t> buffer_size{};
  otp::buffer_keep buffer_keep = otp::buffer_keep::last;
  /// Producers only: start forwarding demand, or accumulating it.
  producer_demand demand = producer_demand::forward;
  /// Producers and producer_consumers: how events are shared out.
  dispatcher_options dispatcher = demand_dispatch{};
};

/// The answer of gen_stage::sync_subscribe.
struct subscribe_result {
  /// The subscription's tag (set when ok).
  ref tag;
  /// Empty when ok; otherwise `not_a_consumer` or `{bad_opts, ...}`.
  std::string error;
  bool ok() const noexcept { return error.empty(); }
};

/// What a producer's (or producer_consumer's) handle_call may return to
/// emit events with its reply: the events go out first, then the reply.
/// @mirrors {:reply, reply, events, state}
template <class R, class E>
struct stage_reply {
  R reply;
  std::vector<E> events;
};

/// No limit, for stage_options::buffer_size.
inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

}  // namespace otp

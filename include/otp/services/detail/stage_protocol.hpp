// The messages stages exchange (GenStage's "$gen_producer" and
// "$gen_consumer" messages) and the requests behind gen_stage's functions.
// Not part of the API; see otp/services/gen_stage.hpp.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <typeinfo>
#include <variant>
#include <vector>

#include "otp/behaviours/server_name.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/services/stage_options.hpp"

namespace otp::detail {

// --- consumer -> producer ("$gen_producer") ---

/// {subscribe, Current, Opts}: `consumer` subscribes with tag `tag`, for
/// events of type `*event_type` (checked by the producer).
struct stage_subscribe_msg {
  stage_from consumer;
  subscription_options options;
  const std::type_info* event_type = nullptr;
};
/// {ask, Demand}
struct stage_ask_msg {
  stage_from consumer;
  std::size_t demand = 0;
};
/// {cancel, Reason}, to the producer
struct stage_cancel_upstream_msg {
  stage_from consumer;
  exit_reason reason;
};

// --- producer -> consumer ("$gen_consumer") ---

/// A batch of events, never more than the consumer asked for.
template <class E>
struct stage_events_msg {
  stage_from producer;
  std::vector<E> events;
};
/// {cancel, Reason}, to the consumer
struct stage_cancel_downstream_msg {
  stage_from producer;
  exit_reason reason;
};

// --- requests of the gen_stage functions ---

/// sync_subscribe (a call) and async_subscribe (a cast) to a consumer.
struct stage_subscribe_req {
  using reply = subscribe_result;
  std::variant<pid, server_name> to;
  subscription_options options;
};
/// gen_stage::demand(stage): the producer's demand mode.
struct stage_demand_get {
  using reply = producer_demand;
};
/// gen_stage::demand(stage, mode)
struct stage_demand_set {
  using reply = void;
  producer_demand mode = producer_demand::forward;
};
/// gen_stage::async_info (sent) and sync_info (called): `deliver` sends the
/// info message to the stage once the events buffered now have left.
struct stage_info_req {
  using reply = void;
  std::function<void()> deliver;
};
/// gen_stage::estimate_buffered_count
struct stage_buffered_count {
  using reply = std::size_t;
};

}  // namespace otp::detail

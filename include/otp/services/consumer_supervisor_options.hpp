// What a consumer_supervisor (otp/services/consumer_supervisor.hpp) is
// started with: the child it starts per event, the restart policy, and the
// producers to subscribe to.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "otp/behaviours/restart_type.hpp"
#include "otp/behaviours/shutdown.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/services/stage_options.hpp"

namespace otp {

/// @mirrors the child template and options of ConsumerSupervisor.init/2
template <class E>
struct consumer_supervisor_options {
  /// Starts the child for one event, linked to the caller (spawn_link), and
  /// returns its pid; a null pid is `ignore`. An exception is a start error:
  /// logged, and the event counts as handled.
  std::function<pid(const E&)> start{};
  /// temporary (never restarted) or transient (restarted after an abnormal
  /// end, with its event). permanent is refused at start.
  restart_type restart = restart_type::transient;
  /// How a child is asked to stop when the consumer_supervisor stops.
  shutdown_spec shutdown = std::chrono::milliseconds(5000);
  /// More than this many restarts within max_seconds stops the
  /// consumer_supervisor with `shutdown`. @mirrors :max_restarts, :max_seconds
  int max_restarts = 3;
  std::chrono::milliseconds max_seconds{5000};
  /// The producers to subscribe to; each subscription's max_demand bounds
  /// the children it keeps running.
  std::vector<otp::subscribe_to> subscribe_to{};
};

/// What count_children answers.
struct consumer_supervisor_counts {
  std::size_t active = 0;  ///< children running
  std::size_t specs = 1;   ///< the one child template
};

}  // namespace otp

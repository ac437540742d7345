// otp::telemetry_poller: a process that takes measurements every period and
// emits them as telemetry events, in the manner of Erlang's telemetry_poller.
//
//   auto p = co_await otp::telemetry_poller::start_link({.period = 1s});
//   // every second: vm.memory, vm.total_run_queue_lengths, vm.system_counts
//   // and otp.processes, for the node the poller runs on
//
// | event                          | measurements (units)                           | from |
// |--------------------------------|------------------------------------------------|---------------|
// | vm.memory                      | total, processes, blocks_in_use, blocks_held, timers (bytes) |
// statistics(node) | | vm.total_run_queue_lengths     | total, cpu, io (processes; io is always 0)
// | run queues    | | vm.system_counts               | process_count, process_limit, timers |
// system_info   | | otp.processes                  | spawned, exited (during the period),
// messages_queued | population |
//
// Process spawns and exits are aggregated here rather than emitted one by
// one, so spawning costs no telemetry at all. Custom measurements are
// functions the poller calls each period, in its own process; one that
// throws is removed and logged, as telemetry_poller removes a failing MFA.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/proc_lib.hpp"

namespace otp {

/// A built-in measurement of a telemetry poller.
enum class vm_measurement {
  memory,                   ///< vm.memory
  total_run_queue_lengths,  ///< vm.total_run_queue_lengths
  system_counts,            ///< vm.system_counts
  processes,                ///< otp.processes (spawned and exited in the period)
};

/// What a poller measures and how often.
/// @mirrors the options of telemetry_poller:start_link/1
struct telemetry_poller_options {
  /// Time between two rounds of measurements, > 0. @mirrors {period, P}
  std::chrono::milliseconds period{5000};
  /// Time before the first round, >= 0. @mirrors {init_delay, D}
  std::chrono::milliseconds init_delay{0};
  /// The built-in measurements (all four by default).
  std::vector<vm_measurement> vm{vm_measurement::memory, vm_measurement::total_run_queue_lengths,
                                 vm_measurement::system_counts, vm_measurement::processes};
  /// Custom measurements: each is called every round in the poller process
  /// and emits what it wants with telemetry::execute. @mirrors {M, F, A}
  std::vector<std::function<void()>> custom{};
};

namespace telemetry_poller {

class server;
using ref = server_ref<server>;

/// Starts a poller linked to the caller; it measures the node it runs on.
/// @param o the period and init_delay (ms) and the measurements.
/// @param so name and start options.
/// @returns ok(pid); `{error, {bad_period, P}}` for a period <= 0 or an
///   init_delay < 0; `already_started` for a taken name.
/// @throws otp::badarg outside a process or mailbox thread.
/// @threadsafe Any process or mailbox thread.
/// @mirrors telemetry_poller:start_link/1
task<started<server>> start_link(telemetry_poller_options o, start_options so = {});

/// The custom measurements still polled (a throwing one is removed).
/// @exits as a gen_server call (noproc, timeout).
/// @mirrors telemetry_poller:list_measurements/1 (the custom part)
task<std::size_t> custom_count(ref p);

}  // namespace telemetry_poller
}  // namespace otp

// A snapshot of one process, for introspection tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otp/runtime/pid.hpp"

namespace otp {

/// Where a process is in its life. `waiting`: parked in receive (or in
/// otp::blocking); `runnable`: in a run queue; `running`: on a scheduler now.
enum class process_status : std::uint8_t { runnable, running, waiting, exiting };

std::string_view to_string(process_status s) noexcept;

/// @mirrors erlang:process_info/1 (the items listed)
struct process_info {
  process_status status = process_status::runnable;
  std::size_t message_queue_len = 0;  ///< messages queued, not yet received
  std::uint64_t reductions = 0;       ///< messages handled so far
  std::vector<pid> links;
  std::vector<pid> monitors;      ///< processes this one monitors
  std::vector<pid> monitored_by;  ///< processes monitoring this one
  std::string registered_name;    ///< empty when none
  bool trap_exit = false;
  /// In hibernation (otp::hibernate): its call stack is gone until the next
  /// message. @mirrors current_function = {erlang,hibernate,3}
  bool hibernated = false;
  std::size_t max_mailbox = 0;  ///< 0: unlimited
  std::size_t memory = 0;       ///< estimate in bytes: control block, frames, queued messages
  /// The behaviour the process runs ("gen_server", "supervisor", ... as
  /// sys::get_status names it); empty for a plain process, which answers no
  /// system messages.
  std::string behaviour;
};

}  // namespace otp

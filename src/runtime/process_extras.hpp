// A process's links, monitors, aliases, behaviour slot and application tag:
// the part of its state that most processes never need, allocated on first use.
//
// Invariants:
//  1. Owner-only: only the thread running the process touches it.
//  2. Allocated from the pool by extras_of() and freed by finish_process,
//     after the links and monitors it lists have been told.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/small_map.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

/// The value of a set-like small_map.
struct set_member {};

struct monitor_entry {
  pid target;
  bool by_name = false;  // its name is in process_extras::monitor_names
};

/// Links and monitors of one process; allocated on first use (from the
/// pool: see extras_of). Owner-only. Inline capacities fit the common case:
/// a link to the parent and one call in flight.
struct process_extras {
  small_map<pid, set_member, 2> links;  // a supervisor, and often one more
  /// Our unlinks not yet acknowledged, by peer: while one is in flight, an
  /// unlink from that peer refers to the link we already removed and is
  /// ignored, so it cannot remove a link we made again since (ERTS does the
  /// same with UNLINK_ID / UNLINK_ID_ACK).
  small_map<pid, std::uint64_t, 1> unlinking;
  small_map<std::uint64_t, monitor_entry, 1> monitors;  // refs held -> target
  small_map<std::uint64_t, pid, 1> monitored_by;        // refs on us -> watcher
  small_map<std::uint64_t, set_member, 1> aliases;      // active alias ids
  /// The registered names of the monitors made by name, for their DOWN.
  std::vector<std::pair<std::uint64_t, std::string>> monitor_names;
  void* behaviour = nullptr;  // see detail::behaviour_slot
  /// The behaviour's name (a static string), read by process_info; null for
  /// a plain process. See detail::set_behaviour_kind.
  const char* behaviour_kind = nullptr;
  /// The application this process belongs to (otp::get_application):
  /// copied from the parent at spawn when the parent has one. Immutable
  /// strings, shared by the whole tree.
  std::shared_ptr<const std::string> application;

  /// A monitor removed by remove_monitor: its target and, when it was made
  /// by name, that name.
  struct removed_monitor {
    pid target;
    std::string name;
  };
  /// Removes monitor `r` held by this process (and its name); nullopt when
  /// it holds no such monitor.
  std::optional<removed_monitor> remove_monitor(std::uint64_t r) noexcept;
};

process_extras& extras_of(process& p);

}  // namespace otp::detail

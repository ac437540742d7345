// The message a process receives when it becomes a table's owner.
#pragma once

#include <any>

#include "otp/runtime/pid.hpp"

namespace otp {

/// Sent to the new owner of `table` (a table<K, V, Type> handle): by
/// give_away, or to the heir when the owner exited. `from` is the previous
/// owner; `heir_data` is the give_away data or the heir's data.
/// @mirrors {'ETS-TRANSFER', Tab, FromPid, HeirData}
template <class Table>
struct ets_transfer {
  Table table;
  pid from;
  std::any heir_data;
};

}  // namespace otp

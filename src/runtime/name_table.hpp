// The registered names of one node (erlang:register/2, unregister/1,
// whereis/1): a name maps to one pid and a pid has at most one name.
//
// Invariants:
//  1. `by_name_` and `by_slot_` are inverse maps, changed together under
//     `mu_`; nothing else reads or writes them.
//  2. A process's `has_name` is set before its name is visible and cleared
//     when its name goes. A dying process that sees `has_name` calls drop()
//     before its links and monitors are told, so a name never outlives its
//     process from anyone's point of view.
//  3. add() sets `has_name`, then checks the serial again: a process that is
//     dying meanwhile either sees `has_name` (and waits for `mu_` in drop())
//     or is seen dead here.
// Callers: any thread of the node.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

class process_table;

class name_table {
 public:
  name_table(const process_table& table, std::uint32_t node_id) : table_(table), node_(node_id) {}

  /// Registers `name` for the live process `p`.
  /// @throws otp::badarg for an empty name or "undefined", a name already
  ///   registered, a process that is not alive, or one that has a name.
  void add(std::string name, pid p);
  /// Unregisters `name`. @throws otp::badarg when nothing is registered so.
  void remove(std::string_view name);
  /// The pid registered as `name`, or a null pid.
  pid whereis(std::string_view name) const;
  /// The name of the process in `slot`, or empty.
  std::string name_of(std::uint32_t slot) const;
  /// Drops the name of the dying process `p` (its owner calls this).
  void drop(process& p) noexcept;

 private:
  const process_table& table_;
  const std::uint32_t node_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, pid> by_name_;
  std::unordered_map<std::uint32_t, std::string> by_slot_;
};

}  // namespace otp::detail

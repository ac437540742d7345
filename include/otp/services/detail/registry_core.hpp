// The untyped half of otp::registry: the partitions' locks and owners, the
// processes that own them, start_link and sync. The typed tables live in
// otp/services/registry.hpp. Not part of the API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"

namespace otp::detail {

class node_impl;

/// One partition's lock and who serves it. The typed tables of the same
/// index are guarded by `mu` too (see the invariants in src/services/registry.cpp).
struct alignas(64) registry_partition {
  mutable std::shared_mutex mu;
  pid owner;                     ///< the owner process; null while closed
  std::uint64_t generation = 0;  ///< the start_link that last reset this partition
  bool open = false;             ///< takes registrations
};

/// The shared state behind every copy of one otp::registry handle.
/// @threadsafe All members; the virtual table operations are called with
///   partition(i).mu held exclusively.
class registry_core {
 public:
  registry_core(node_impl& n, std::size_t partitions);
  virtual ~registry_core();
  registry_core(const registry_core&) = delete;
  registry_core& operator=(const registry_core&) = delete;

  std::size_t partitions() const noexcept { return nparts_; }
  registry_partition& partition(std::size_t i) const noexcept { return parts_[i]; }

  /// The calling process (or mailbox thread). @throws otp::badarg when there
  /// is none, it belongs to another node, or (a mailbox) it has exited.
  pid caller(const char* what) const;
  /// True when `p` is the calling process or mailbox thread.
  static bool is_caller(pid p) noexcept;
  /// True while `p` is a live process of the registry's node.
  bool alive(pid p) const noexcept;

  /// Starts the root and owner processes; see registry::start_link.
  static start_result start_link(const std::shared_ptr<registry_core>& self);
  /// Round trip through every open partition's owner; see registry::sync.
  static task<void> sync(std::shared_ptr<const registry_core> self);

  /// Owner side: removes every entry of `p` from partition `i`, unless a
  /// later start_link has reset it since generation `gen`.
  void drop(std::size_t i, std::uint64_t gen, pid p);
  /// Owner side: closes and empties partition `i` of generation `gen`.
  void close(std::size_t i, std::uint64_t gen) noexcept;

 protected:
  /// Removes every entry of `p` from the tables of partition `i`.
  virtual void erase_pid(std::size_t i, pid p) = 0;
  /// Empties the tables of partition `i`.
  virtual void clear(std::size_t i) noexcept = 0;

 private:
  node_impl* node_;
  std::size_t nparts_;
  std::unique_ptr<registry_partition[]> parts_;
  std::mutex start_mu_;
  pid root_;                      // guarded by start_mu_
  std::uint64_t generation_ = 0;  // guarded by start_mu_
};

}  // namespace otp::detail

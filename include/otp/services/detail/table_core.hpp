// The untyped part of a table: identity, owner, heir, access rights and the
// node's registry of tables (src/services/tables.cpp). table_impl<K, V, T>
// adds the objects.
//
// Invariants:
//  1. owner_ and heir_ name processes of node_ (slot << 32 | serial; 0 is
//     none); they change only under the registry's lock.
//  2. Once deleted_ is set it stays set, the objects are freed and the
//     table is out of the registry; handles keep only this shell alive.
#pragma once

#include <any>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "otp/runtime/pid.hpp"
#include "otp/services/table_options.hpp"

namespace otp::detail {

class node_impl;

class table_core {
 public:
  table_core(table_type type, const table_options& o);
  table_core(const table_core&) = delete;
  table_core& operator=(const table_core&) = delete;
  virtual ~table_core() = default;

  const table_type type;
  const table_access access;
  const std::string name;
  const bool read_concurrency;
  const bool write_concurrency;

  pid owner() const noexcept { return unpack(owner_.load(std::memory_order_acquire)); }
  pid heir() const noexcept { return unpack(heir_.load(std::memory_order_acquire)); }
  bool deleted() const noexcept { return deleted_.load(std::memory_order_acquire); }

  /// Throws table_error (deleted, access) unless the caller may read.
  void check_read(const char* op) const;
  /// Throws table_error (deleted, access) unless the caller may write.
  void check_write(const char* op) const;

  /// The node the table lives on.
  node_impl& node() const noexcept { return *node_; }

  /// Frees every object (the table is being deleted).
  virtual void drop_objects() noexcept = 0;
  /// Sends ets_transfer{this table, from, data} to `to`.
  virtual void send_transfer(pid to, pid from, std::any data) = 0;
  virtual std::size_t object_count() const = 0;
  virtual std::size_t memory_bytes() const = 0;

 private:
  friend struct table_registry;
  friend void register_table(const std::shared_ptr<table_core>&, const table_options&);
  friend void delete_table(table_core&);
  friend void give_away_table(table_core&, pid, std::any);
  friend void set_table_heir(table_core&, pid, std::any);
  bool is_owner(pid p) const noexcept { return !p.is_null() && pack(p) == owner_.load(); }
  std::uint64_t pack(pid p) const noexcept {
    return p.is_null() ? 0 : (std::uint64_t{p.slot()} << 32) | p.serial();
  }
  pid unpack(std::uint64_t v) const noexcept {
    return v == 0
               ? pid()
               : pid(node_id_, static_cast<std::uint32_t>(v >> 32), static_cast<std::uint32_t>(v));
  }

  node_impl* node_ = nullptr;
  std::uint32_t node_id_ = 0;
  std::atomic<std::uint64_t> owner_{0};
  std::atomic<std::uint64_t> heir_{0};
  std::any heir_data_;  // under the registry's lock
  std::atomic<bool> deleted_{false};
};

/// Registers `t`, owned by the calling process (ets:new's bookkeeping).
/// @throws table_error not_a_process, name_taken, bad_heir.
void register_table(const std::shared_ptr<table_core>& t, const table_options& o);
/// The live table named `name` on the caller's node, or nullptr.
/// @throws table_error not_a_process outside a process or mailbox thread.
std::shared_ptr<table_core> find_named_table(std::string_view name);
/// Deletes `t` (ets:delete/1). @throws table_error deleted, access.
void delete_table(table_core& t);
/// Makes `to` the owner and sends it ets_transfer (ets:give_away/3).
/// @throws table_error deleted, not_owner, bad_recipient.
void give_away_table(table_core& t, pid to, std::any data);
/// Sets or clears (null pid) the heir (ets:setopts/2 with heir).
/// @throws table_error deleted, not_owner, bad_heir.
void set_table_heir(table_core& t, pid heir, std::any data);
/// The table's info, or nullopt once it is deleted (ets:info/1 answers
/// undefined).
std::optional<table_info> table_info_of(const table_core& t);

}  // namespace otp::detail

// How a table is made (otp::table::create) and what table::info reports.
#pragma once

#include <any>
#include <cstddef>
#include <string>

#include "otp/runtime/pid.hpp"

namespace otp {

/// The kind of a table: one object per key (set, ordered_set) or many
/// (bag: no two equal objects; duplicate_bag: any).
/// @mirrors the ets:new/2 type option
enum class table_type { set, ordered_set, bag, duplicate_bag };

/// Who may use a table. public_: any process or thread reads and writes;
/// protected_: the owner writes, all read; private_: the owner only.
/// (Trailing underscores: the ETS names are C++ keywords.)
/// @mirrors the ets:new/2 access options public, protected, private
enum class table_access { public_, protected_, private_ };

/// "set", "ordered_set", "bag", "duplicate_bag".
const char* to_string(table_type t) noexcept;
/// "public", "protected", "private".
const char* to_string(table_access a) noexcept;

/// Options of table::create.
/// @mirrors ets:new/2's option list
struct table_options {
  table_access access = table_access::protected_;
  /// Non-empty: a named table (named_table), found with table::named from
  /// any process; creating a second table of that name fails.
  std::string name{};
  /// The process that inherits the table when its owner exits (null: none,
  /// the table is deleted with its owner). It must be a local process.
  pid heir{};
  /// Given to the heir in its ets_transfer message.
  std::any heir_data{};
  /// Readers share their stripe's lock (a reader-writer lock) instead of
  /// taking it alone: faster when many threads read at once, a little
  /// slower for one reader.
  bool read_concurrency = false;
  /// Writers to different keys rarely wait for each other. Set and bag
  /// kinds: 32 stripes, each under its own lock, instead of one. An
  /// ordered_set: a key range whose writers keep waiting is split into two
  /// B-trees under their own locks, up to 32 (ETS's contention-adapting
  /// tree; detail/ca_tree.hpp).
  bool write_concurrency = false;
};

/// What table::info returns.
/// @mirrors ets:info/1
struct table_info {
  std::string name;  // empty for an unnamed table
  table_type type = table_type::set;
  table_access access = table_access::protected_;
  pid owner;
  pid heir;                // null: none
  std::size_t size = 0;    // objects
  std::size_t memory = 0;  // bytes held by the table (ETS counts words)
  bool read_concurrency = false;
  bool write_concurrency = false;
};

}  // namespace otp

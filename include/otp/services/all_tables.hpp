// otp::all_tables: every live table of a node, described as table::info does.
#pragma once

#include <vector>

#include "otp/services/table_options.hpp"

namespace otp {

class node;

/// Describes every live table of `n` (created, not deleted, owner alive or
/// inherited), in creation order. A table deleted while the list is made may
/// be missing. Cost: one lock of the node's table registry while the list of
/// tables is copied, then one info per table (its size and memory).
/// @param n a node, running or stopped
/// @returns one table_info per table; empty when the node has none
/// @threadsafe Any thread.
/// @mirrors ets:all/0 followed by ets:info/1 on each table
std::vector<table_info> all_tables(const node& n);

}  // namespace otp

// The pages of a table select with a limit (ets:select/3 and select/1).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace otp {

/// Where a limited select goes on: pass it to table::select to get the
/// next page. It holds the last key visited, not a position, so it stays
/// valid however the table changes: a key present all along is returned by
/// exactly one page.
/// @mirrors the continuation of ets:select/3
template <class K, class V>
struct select_continuation {
  std::function<bool(const K&, const V&)> pred;
  std::size_t limit = 0;
  std::optional<K> after;  // the last key visited (none: from the start)
  std::optional<K> hi;     // select_range's end (exclusive)
};

/// One page of a limited select: at most `limit` objects (more when the
/// last key of a bag has several) and, unless the table's end was reached,
/// the continuation for the next page.
/// @mirrors {Matches, Continuation} | '$end_of_table'
template <class K, class V>
struct select_page {
  std::vector<std::pair<K, V>> objects;
  std::optional<select_continuation<K, V>> rest;
};

}  // namespace otp

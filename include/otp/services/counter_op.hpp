// What update_counter does to a counter (table.hpp).
#pragma once

#include <concepts>
#include <optional>

#include "otp/services/table_error.hpp"

namespace otp {

/// The change update_counter makes: add `incr`; then, with a threshold, a
/// result past it (above for incr >= 0, below for incr < 0) becomes
/// `set_value`.
/// @mirrors ets:update_counter's {Pos, Incr} and {Pos, Incr, Threshold, SetValue}
struct counter_op {
  long long incr = 1;
  std::optional<long long> threshold{};
  long long set_value = 0;
};

/// `c` changed by `op`.
/// @throws table_error overflow when c + incr leaves C's range.
template <std::integral C>
C apply_counter_op(C c, const counter_op& op) {
  C next{};
  if (__builtin_add_overflow(c, op.incr, &next))
    throw table_error(table_error::kind::overflow, "table::update_counter: the counter overflows");
  if (op.threshold &&
      ((op.incr >= 0 && next > *op.threshold) || (op.incr < 0 && next < *op.threshold)))
    next = static_cast<C>(op.set_value);
  return next;
}

}  // namespace otp

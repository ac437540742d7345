// The stack captured at the most recent throw on this thread.
#pragma once

#include <cstddef>

namespace otp::detail {

inline constexpr std::size_t kMaxThrowFrames = 48;

struct throw_trace {
  void* frames[kMaxThrowFrames];
  std::size_t depth = 0;
};

/// The calling thread's last captured throw (depth 0 when none was captured).
const throw_trace& last_throw_trace() noexcept;

}  // namespace otp::detail

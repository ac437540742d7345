// The stack captured at the most recent throw on this thread.
#pragma once

#include <cstddef>
#include <exception>

namespace otp::detail {

inline constexpr std::size_t kMaxThrowFrames = 48;

struct throw_trace {
  const void* object = nullptr;  // the thrown object the frames belong to
  void* frames[kMaxThrowFrames];
  std::size_t depth = 0;
};

/// The calling thread's last captured throw (depth 0 when none was captured).
const throw_trace& last_throw_trace() noexcept;

/// The address of the object `e` holds (libstdc++ and libc++ keep exactly
/// that pointer in an exception_ptr).
inline const void* thrown_object(const std::exception_ptr& e) noexcept {
  static_assert(sizeof(std::exception_ptr) == sizeof(void*));
  const void* p;
  __builtin_memcpy(&p, &e, sizeof p);
  return p;
}

}  // namespace otp::detail

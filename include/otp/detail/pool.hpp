// Per-thread block pools for coroutine frames, messages and signals.
//
// Blocks up to kMaxPooled bytes come from per-thread free lists (size classes
// of 32 bytes) refilled in batches from a process-wide depot, so the hot paths
// reuse warm memory instead of touching fresh pages. Larger blocks use
// ::operator new. A block may be freed on any thread.
#pragma once

#include <cstddef>

namespace otp::detail {

inline constexpr std::size_t kPoolGranule = 32;
inline constexpr std::size_t kMaxPooled = 1024;

/// Allocates `size` bytes (aligned to 16). Throws std::bad_alloc.
void* pool_alloc(std::size_t size);
/// Returns a block from pool_alloc(size); `size` must be the same value.
void pool_free(void* p, std::size_t size) noexcept;

/// Bytes currently handed out by the pools (for leak checks and process_info).
std::size_t pool_bytes_in_use() noexcept;

}  // namespace otp::detail

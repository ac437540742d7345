// Per-thread block allocators for coroutine frames, messages and signals.
//
// Blocks up to kMaxBlock bytes come from per-thread free lists (size classes
// of 32 bytes) refilled in batches from a process-wide depot, so the hot paths
// reuse warm memory instead of touching fresh pages. Larger blocks use
// ::operator new. A block may be freed on any thread, and a thread may
// allocate and free while its thread_local destructors run (after its own
// cache is gone: such blocks go to and from the depot directly).
//
// AddressSanitizer builds poison every free block and hold freed blocks in a
// quarantine before reuse; builds with OTP_BLOCK_CHECKS (every sanitizer
// build) check each free and abort with a message on a double free, a
// foreign block or a size of another class. See src/runtime/block_alloc.cpp.
#pragma once

#include <cstddef>

namespace otp::detail {

inline constexpr std::size_t kBlockGranule = 32;
inline constexpr std::size_t kMaxBlock = 1024;

/// Allocates `size` bytes (aligned to 16). Throws std::bad_alloc.
void* block_alloc(std::size_t size);
/// Returns a block from block_alloc(size); `size` must be the same value.
void block_free(void* p, std::size_t size) noexcept;

/// True when this build checks every free (CMake option OTP_BLOCK_CHECKS).
bool block_checks_enabled() noexcept;

/// Bytes currently handed out by the block allocator (for leak checks and process_info).
std::size_t block_bytes_in_use() noexcept;

/// Free blocks in the calling thread's cache, all classes (for tests and diagnostics).
std::size_t cached_blocks() noexcept;

/// Bytes of slabs the block allocator hold from the system (handed out, cached or free).
std::size_t slab_bytes() noexcept;

/// Gives back to the system every slab whose blocks all lie free in the
/// depot. The calling thread's cache goes to the depot first; every other
/// thread gives its cache at its next allocation or free, so slabs their
/// cached blocks pin go at a later call. Walks every free block in the
/// depot under its mutex: for idle moments, not hot paths.
/// @returns the bytes given back.
std::size_t release_free_slabs();

}  // namespace otp::detail

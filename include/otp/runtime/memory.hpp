// The runtime's own memory: how much it holds, and giving back what it does
// not use. Mirrors a part of erlang:memory/0; the BEAM's allocators give empty
// carriers back by themselves, here a service chooses the moment.
#pragma once

#include <cstddef>

namespace otp {

/// The runtime's block memory, in bytes (every node of the program together).
struct memory_info {
  /// Blocks handed out: coroutine frames, messages, signals.
  std::size_t blocks_in_use = 0;
  /// Slabs taken from the system for those blocks: in use, cached by a
  /// thread, or free.
  std::size_t blocks_held = 0;
};

/// What the block allocator hold now. Mirrors erlang:memory/0 (the part in blocks). Thread-safe.
memory_info memory() noexcept;

/// Gives back to the system the memory the runtime holds and does not use:
/// every slab none of whose blocks is in use or cached by a thread,
/// then the C library's free heap (glibc's malloc_trim). Each thread keeps a
/// cache of free blocks, and one cached block keeps its whole slab: the
/// call takes the calling thread's cache, and asks every other thread to
/// give its cache at its next allocation or free, so a second call a little
/// later gives back what those caches held (a thread that stays idle keeps
/// its cache). It walks the block allocator' free lists under their lock: call it at
/// a quiet moment, not per request. Thread-safe; never throws.
/// @returns the bytes of slabs given back (the C heap's share is not counted).
std::size_t release_free_memory() noexcept;

}  // namespace otp

#include "otp/runtime/memory.hpp"

#include <malloc.h>

#include "otp/runtime/detail/block_alloc.hpp"

namespace otp {

memory_info memory() noexcept { return {detail::block_bytes_in_use(), detail::slab_bytes()}; }

std::size_t release_free_memory() noexcept {
  std::size_t released = 0;
  try {
    released = detail::release_free_slabs();
  } catch (...) {
    // Out of memory for the walk's bookkeeping: nothing was changed.
  }
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
  return released;
}

}  // namespace otp

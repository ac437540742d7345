// Zero-filled memory for a hash table's slot arrays.
//
// A small block comes from calloc. A block of kHugeBlockBytes or more is
// mapped from the kernel, aligned to 2 MiB and marked for transparent huge
// pages (madvise MADV_HUGEPAGE), so growing a large table takes one page
// fault per 2 MiB instead of one per 4 KiB: page faults were half the time
// of filling a 1M-object table (docs/decisions/0006-tables.md).
#pragma once

#include <cstddef>

namespace otp::detail {

/// Blocks this large or larger are mapped with huge pages.
inline constexpr std::size_t kHugeBlockBytes = std::size_t{1} << 20;

/// `bytes` of zeroed memory, aligned for any object. Throws std::bad_alloc.
void* zeroed_block_alloc(std::size_t bytes);
/// Frees a block from zeroed_block_alloc(bytes), given the same `bytes`.
void zeroed_block_free(void* p, std::size_t bytes) noexcept;

}  // namespace otp::detail

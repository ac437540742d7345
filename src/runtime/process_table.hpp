// The process table: the control blocks of one node, in chunks that are
// allocated as the table grows and never freed while the node lives.
//
// Invariants:
//  1. Control blocks are type-stable (see detail/process.hpp, invariant 4):
//     at() of a slot that ever existed always returns the same block.
//  2. A slot is free, cached by one worker, or in use by one incarnation.
//  3. The table holds `capacity` slots (the process limit plus each
//     worker's cache), so cached slots never make a spawn fail.
// Callers: any thread (at, find, high_water); allocate and release from the
// spawning and the exiting thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

class worker;

class process_table {
 public:
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  /// Slots a worker keeps for itself; the table holds this many per worker
  /// beyond the process limit, so cached slots never make a spawn fail.
  static constexpr std::size_t kWorkerSlotCache = 1024;

  explicit process_table(std::uint32_t capacity);
  ~process_table();

  /// The block of `slot`, or nullptr if that slot never existed.
  process* at(std::uint32_t slot) const noexcept {
    std::uint32_t c = slot >> kChunkBits;
    if (c >= nchunks_) return nullptr;
    process* chunk = chunks_[c].load(std::memory_order_acquire);
    return chunk == nullptr ? nullptr : chunk + (slot & (kChunkSize - 1));
  }
  /// The live process `p` names, or nullptr.
  process* find(pid p) const noexcept {
    process* q = at(p.slot());
    if (q == nullptr || q->serial_word.load(std::memory_order_acquire) != p.serial())
      return nullptr;
    return q;
  }
  /// A free slot (from `w`'s cache when given). Throws otp::system_limit.
  std::uint32_t allocate(worker* w);
  void release(worker* w, std::uint32_t slot) noexcept;
  /// Bytes of the control blocks allocated so far (whole chunks, live or
  /// free) and of the chunk index. O(chunks).
  std::size_t bytes() const noexcept;
  /// Slots handed out so far (upper bound for scans).
  std::uint32_t high_water() const noexcept { return next_fresh_.load(std::memory_order_acquire); }

 private:
  const std::uint32_t capacity_;
  const std::uint32_t nchunks_;
  std::unique_ptr<std::atomic<process*>[]> chunks_;
  std::atomic<std::uint32_t> next_fresh_{0};
  std::mutex grow_mu_;
  std::mutex free_mu_;
  std::vector<std::uint32_t> free_;
  std::atomic<std::size_t> free_size_{0};  // free_.size(), readable without the lock
};

}  // namespace otp::detail

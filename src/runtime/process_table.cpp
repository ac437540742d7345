#include <algorithm>
#include <string>

#include "otp/runtime/errors.hpp"
#include "runtime/node_impl.hpp"
#include "runtime/os_memory.hpp"

namespace otp::detail {

process_table::process_table(std::uint32_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity),
      nchunks_((capacity_ + kChunkSize - 1) / kChunkSize),
      chunks_(new std::atomic<process*>[nchunks_]) {
  for (std::uint32_t i = 0; i < nchunks_; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

process_table::~process_table() {
  for (std::uint32_t i = 0; i < nchunks_; ++i) {
    process* c = chunks_[i].load(std::memory_order_relaxed);
    if (c == nullptr) continue;
    for (std::uint32_t k = 0; k < kChunkSize; ++k) c[k].~process();
    os_free(c, sizeof(process) * kChunkSize);
  }
}

std::size_t process_table::bytes() const noexcept {
  std::size_t chunks = 0;
  for (std::uint32_t i = 0; i < nchunks_; ++i)
    if (chunks_[i].load(std::memory_order_acquire) != nullptr) ++chunks;
  return chunks * kChunkSize * sizeof(process) + nchunks_ * sizeof(std::atomic<process*>);
}

std::uint32_t process_table::allocate(worker* w) {
  if (w != nullptr && !w->free_slots.empty()) {
    std::uint32_t s = w->free_slots.back();
    w->free_slots.pop_back();
    return s;
  }
  if (free_size_.load(std::memory_order_acquire) != 0) {
    std::lock_guard lk(free_mu_);
    if (!free_.empty()) {
      std::uint32_t s = free_.back();
      free_.pop_back();
      if (w != nullptr) {  // take a batch so the next spawns skip the lock
        const std::size_t take = std::min<std::size_t>(free_.size(), kWorkerSlotCache / 4);
        w->free_slots.insert(w->free_slots.end(), free_.end() - static_cast<std::ptrdiff_t>(take),
                             free_.end());
        free_.resize(free_.size() - take);
      }
      free_size_.store(free_.size(), std::memory_order_release);
      return s;
    }
  }
  std::uint32_t s = next_fresh_.load(std::memory_order_relaxed);
  do {
    if (s >= capacity_)
      throw system_limit(
          "spawn: the process table is full (max_processes = " + std::to_string(capacity_) + ")");
  } while (!next_fresh_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel));
  std::uint32_t c = s >> kChunkBits;
  if (chunks_[c].load(std::memory_order_acquire) == nullptr) {
    std::lock_guard lk(grow_mu_);
    if (chunks_[c].load(std::memory_order_relaxed) == nullptr) {
      auto* mem = static_cast<process*>(os_alloc_populated(sizeof(process) * kChunkSize));
      for (std::uint32_t k = 0; k < kChunkSize; ++k) ::new (mem + k) process();
      chunks_[c].store(mem, std::memory_order_release);
    }
  }
  return s;
}

void process_table::release(worker* w, std::uint32_t slot) noexcept {
  if (w != nullptr && w->free_slots.size() < kWorkerSlotCache) {
    w->free_slots.push_back(slot);
    return;
  }
  std::lock_guard lk(free_mu_);
  free_.push_back(slot);
  if (w != nullptr) {  // hand half the cache back so other threads can use it
    std::size_t half = w->free_slots.size() / 2;
    free_.insert(free_.end(), w->free_slots.end() - static_cast<std::ptrdiff_t>(half),
                 w->free_slots.end());
    w->free_slots.resize(w->free_slots.size() - half);
  }
  free_size_.store(free_.size(), std::memory_order_release);
}

}  // namespace otp::detail

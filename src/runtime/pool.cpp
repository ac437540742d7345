// Per-thread block pools with a process-wide depot.
//
// Invariants:
//  1. A thread's cache is touched by that thread only. Blocks move between
//     threads only through the depot, in batches, under its mutex.
//  2. Slabs are never returned to the system; a freed block is reused by the
//     next allocation of its size class on some thread.
#include "otp/detail/pool.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "runtime/os_memory.hpp"

namespace otp::detail {

namespace {

constexpr std::size_t kClasses = kMaxPooled / kPoolGranule;
constexpr std::size_t kBatch = 128;
constexpr std::size_t kSlabBytes = 256 * 1024;

struct free_block {
  free_block* next;
};

struct batch {
  free_block* head;
  std::size_t count;
};

struct depot {
  std::mutex mu;
  std::vector<batch> batches[kClasses];
  std::vector<void*> slabs;
};

depot& the_depot() {
  static depot* d = new depot();  // never destroyed: threads may free during exit
  return *d;
}

struct thread_cache;

// Bytes in use: each thread counts its own (single writer, no contended
// read-modify-write on the hot path); the sum is read rarely.
struct usage {
  std::mutex mu;
  std::vector<thread_cache*> threads;
  std::int64_t retired = 0;  // net bytes of threads that have exited
};

usage& the_usage() {
  static usage* u = new usage();
  return *u;
}

struct thread_cache {
  free_block* head[kClasses] = {};
  std::size_t count[kClasses] = {};
  std::atomic<std::int64_t> used{0};

  thread_cache() {
    usage& u = the_usage();
    std::lock_guard lk(u.mu);
    u.threads.push_back(this);
  }

  ~thread_cache() {
    {
      usage& u = the_usage();
      std::lock_guard lk(u.mu);
      u.retired += used.load(std::memory_order_relaxed);
      std::erase(u.threads, this);
    }
    depot& d = the_depot();
    std::lock_guard lk(d.mu);
    for (std::size_t c = 0; c < kClasses; ++c)
      if (head[c] != nullptr) d.batches[c].push_back({head[c], count[c]});
  }

  void account(std::int64_t delta) noexcept {
    used.store(used.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }

  void refill(std::size_t c) {
    depot& d = the_depot();
    std::lock_guard lk(d.mu);
    if (!d.batches[c].empty()) {
      batch b = d.batches[c].back();
      d.batches[c].pop_back();
      head[c] = b.head;
      count[c] = b.count;
      return;
    }
    const std::size_t size = (c + 1) * kPoolGranule;
    std::size_t n = kSlabBytes / size;
    if (n == 0) n = 1;
    char* slab = static_cast<char*>(os_alloc_populated(kSlabBytes));
    d.slabs.push_back(slab);
    for (std::size_t i = 0; i < n; ++i) {
      auto* b = reinterpret_cast<free_block*>(slab + i * size);
      b->next = head[c];
      head[c] = b;
    }
    count[c] = n;
  }

  void spill(std::size_t c) {
    free_block* h = head[c];
    free_block* t = h;
    for (std::size_t i = 1; i < kBatch; ++i) t = t->next;
    head[c] = t->next;
    count[c] -= kBatch;
    t->next = nullptr;
    depot& d = the_depot();
    std::lock_guard lk(d.mu);
    d.batches[c].push_back({h, kBatch});
  }
};

thread_cache& cache() {
  thread_local thread_cache c;
  return c;
}

}  // namespace

// Sanitizer builds bypass the pools so that AddressSanitizer sees every
// use-after-free and leak.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kBypass = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kBypass = true;
#else
constexpr bool kBypass = false;
#endif
#else
constexpr bool kBypass = false;
#endif

void* pool_alloc(std::size_t size) {
  thread_cache& tc = cache();
  if (kBypass || size > kMaxPooled) {
    void* p = ::operator new(size);
    tc.account(static_cast<std::int64_t>(size));
    return p;
  }
  const std::size_t c = (size + kPoolGranule - 1) / kPoolGranule - 1;
  if (tc.head[c] == nullptr) tc.refill(c);
  free_block* b = tc.head[c];
  tc.head[c] = b->next;
  --tc.count[c];
  tc.account(static_cast<std::int64_t>((c + 1) * kPoolGranule));
  return b;
}

void pool_free(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
  thread_cache& tc = cache();
  if (kBypass || size > kMaxPooled) {
    tc.account(-static_cast<std::int64_t>(size));
    ::operator delete(p);
    return;
  }
  const std::size_t c = (size + kPoolGranule - 1) / kPoolGranule - 1;
  auto* b = static_cast<free_block*>(p);
  b->next = tc.head[c];
  tc.head[c] = b;
  tc.account(-static_cast<std::int64_t>((c + 1) * kPoolGranule));
  if (++tc.count[c] >= 2 * kBatch) tc.spill(c);
}

std::size_t pool_bytes_in_use() noexcept {
  usage& u = the_usage();
  std::lock_guard lk(u.mu);
  std::int64_t sum = u.retired;
  for (thread_cache* t : u.threads) sum += t->used.load(std::memory_order_relaxed);
  return sum < 0 ? 0 : static_cast<std::size_t>(sum);
}

}  // namespace otp::detail

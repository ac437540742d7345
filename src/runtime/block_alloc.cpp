// Per-thread block allocators with a process-wide depot.
//
// Invariants:
//  1. A thread's cache is touched by that thread only. Blocks move between
//     threads only through the depot, in batches, under its mutex.
//  2. A freed block is reused by the next allocation of its size class on
//     some thread. A slab goes back to the system only through
//     release_free_slabs(), and only when every one of its blocks lies
//     in the depot (none handed out, none in a thread's cache or quarantine).
//  3. A free block's first word is the free-list link; nothing else of it is
//     read or written until it is handed out again.
//
// Sanitizer builds keep the allocator (so the tests exercise the code that ships)
// and make it visible:
//  - AddressSanitizer: every free block is poisoned, the link word included
//    (it is unpoisoned only for the instant the allocator reads or writes it); a
//    handed-out block is unpoisoned for the bytes asked for only, so an
//    overflow into the rest of its size class is reported; a freed block waits
//    in a per-thread quarantine before it can be reused, so a use after free
//    is caught while the block is still unused.
//  - OTP_BLOCK_CHECKS (on in every sanitizer build, see CMakeLists.txt): each
//    slab has a bitmap of the blocks handed out; block_free of a block that is
//    not out (double free), of an address no slab holds (foreign block) or
//    with a size of another class aborts with a message naming the block.
#include "otp/runtime/detail/block_alloc.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <vector>

#include "otp/runtime/detail/runtime.hpp"
#include "runtime/os_memory.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define OTP_BLOCK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTP_BLOCK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OTP_BLOCK_SANITIZER_STACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OTP_BLOCK_SANITIZER_STACK 1
#endif
#endif

#ifdef OTP_BLOCK_ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef OTP_BLOCK_SANITIZER_STACK
#include <sanitizer/common_interface_defs.h>
#endif

namespace otp::detail {

namespace {

constexpr std::size_t kClasses = kMaxBlock / kBlockGranule;
constexpr std::size_t kBatch = 128;
constexpr std::size_t kSlabBytes = 256 * 1024;

struct free_block {
  free_block* next;
};

std::size_t class_of(std::size_t size) noexcept {
  return (size + kBlockGranule - 1) / kBlockGranule - 1;
}
std::size_t class_bytes(std::size_t c) noexcept { return (c + 1) * kBlockGranule; }

// --- AddressSanitizer poisoning -------------------------------------------

void poison(void* p, std::size_t n) noexcept {
#ifdef OTP_BLOCK_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

void unpoison(void* p, std::size_t n) noexcept {
#ifdef OTP_BLOCK_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

/// The link of a free (poisoned) block.
free_block* next_of(free_block* b) noexcept {
  unpoison(b, sizeof(free_block));
  free_block* n = b->next;
  poison(b, sizeof(free_block));
  return n;
}

void set_next(free_block* b, free_block* n) noexcept {
  unpoison(b, sizeof(free_block));
  b->next = n;
  poison(b, sizeof(free_block));
}

// --- Checked frees (OTP_BLOCK_CHECKS) --------------------------------------

[[noreturn]] void misuse(const char* what, const void* p, std::size_t size,
                         std::size_t block) noexcept {
  std::fprintf(
      stderr,
      "otp: block allocator misuse: %s: block %p, size %zu (its slab's blocks hold %zu bytes)\n",
      what, p, size, block);
#ifdef OTP_BLOCK_SANITIZER_STACK
  __sanitizer_print_stack_trace();
#endif
  std::abort();
}

#ifdef OTP_BLOCK_CHECKS
constexpr bool kChecks = true;
#else
constexpr bool kChecks = false;
#endif

/// One slab's record: which of its blocks are handed out.
struct slab_record {
  const char* base;
  std::size_t block;  // bytes per block (the slab's size class)
  std::unique_ptr<std::atomic<std::uint64_t>[]> out;

  slab_record(const char* b, std::size_t blk)
      : base(b),
        block(blk),
        out(new std::atomic<std::uint64_t>[kSlabBytes / kBlockGranule / 64]()) {}
};

/// Every slab, ordered by address. Written when a slab is made, read on every
/// checked allocation and free.
struct slab_index {
  std::shared_mutex mu;
  std::vector<std::unique_ptr<slab_record>> slabs;

  void add(const char* base, std::size_t block) {
    std::unique_lock lk(mu);
    auto rec = std::make_unique<slab_record>(base, block);
    auto at = std::upper_bound(slabs.begin(), slabs.end(), base,
                               [](const char* b, const auto& s) { return b < s->base; });
    slabs.insert(at, std::move(rec));
  }

  void remove(const char* base) {
    std::unique_lock lk(mu);
    std::erase_if(slabs, [base](const auto& s) { return s->base == base; });
  }

  /// The slab holding `p`, or nullptr.
  slab_record* find(const void* p) {
    const char* c = static_cast<const char*>(p);
    std::shared_lock lk(mu);
    auto at = std::upper_bound(slabs.begin(), slabs.end(), c,
                               [](const char* b, const auto& s) { return b < s->base; });
    if (at == slabs.begin()) return nullptr;
    slab_record* s = std::prev(at)->get();
    return c < s->base + kSlabBytes ? s : nullptr;
  }
};

slab_index& the_index() {
  static slab_index* x = new slab_index();  // never destroyed: threads may free during exit
  return *x;
}

[[maybe_unused]] void check_out(void* p, std::size_t size) noexcept {
  slab_record* s = the_index().find(p);
  if (s == nullptr) misuse("allocation outside every slab (allocator corrupted)", p, size, 0);
  const std::size_t i = static_cast<std::size_t>(static_cast<const char*>(p) - s->base) / s->block;
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  if (s->out[i / 64].fetch_or(bit, std::memory_order_relaxed) & bit)
    misuse("block handed out twice (free list corrupted)", p, size, s->block);
}

[[maybe_unused]] void check_in(void* p, std::size_t size) noexcept {
  slab_record* s = the_index().find(p);
  if (s == nullptr)
    misuse("free of a block the allocator never handed out (foreign block)", p, size, 0);
  const std::size_t off = static_cast<std::size_t>(static_cast<const char*>(p) - s->base);
  if (s->block != class_bytes(class_of(size)))
    misuse("free with the size of another class (size mismatch)", p, size, s->block);
  if (off % s->block != 0)
    misuse("free of an address inside a block (foreign block)", p, size, s->block);
  const std::size_t i = off / s->block;
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  if ((s->out[i / 64].fetch_and(~bit, std::memory_order_relaxed) & bit) == 0)
    misuse("double free", p, size, s->block);
}

// --- Depot and thread caches ----------------------------------------------

struct batch {
  free_block* head;
  std::size_t count;
};

struct slab {
  char* base;
  std::size_t c;  // its size class
};

struct depot {
  std::mutex mu;
  std::vector<batch> batches[kClasses];
  std::vector<slab> slabs;
};

depot& the_depot() {
  static depot* d = new depot();  // never destroyed: threads may free during exit
  return *d;
}

/// A fresh slab of class `c`, cut into one batch of free (poisoned) blocks.
/// Called with the depot's mutex held.
batch carve_slab(depot& d, std::size_t c) {
  const std::size_t size = class_bytes(c);
  const std::size_t n = std::max<std::size_t>(kSlabBytes / size, 1);
  char* slab = static_cast<char*>(os_alloc_populated(kSlabBytes));
  d.slabs.push_back({slab, c});
  if constexpr (kChecks) the_index().add(slab, size);
  poison(slab, kSlabBytes);
  batch out{nullptr, n};
  for (std::size_t i = n; i-- > 0;) {
    auto* b = reinterpret_cast<free_block*>(slab + i * size);
    set_next(b, out.head);
    out.head = b;
  }
  return out;
}

/// A batch of class `c` from the depot, or a fresh slab's.
batch take_batch(std::size_t c) {
  depot& d = the_depot();
  std::lock_guard lk(d.mu);
  if (d.batches[c].empty()) return carve_slab(d, c);
  const batch b = d.batches[c].back();
  d.batches[c].pop_back();
  return b;
}

struct thread_cache;

// Bumped by release_free_slabs: every thread gives its whole cache to the
// depot at its next allocation or free, so the slabs its cached blocks pin
// can go at a later release. Read on every allocator operation (a read-mostly
// line), written only by a release.
std::atomic<unsigned> g_flush_epoch{0};

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

#ifdef OTP_BLOCK_ASAN
/// Freed blocks waiting (poisoned) before they may be reused: a FIFO ring.
struct quarantine {
  static constexpr std::size_t kSlots = 8192;
  struct entry {
    free_block* b;
    std::size_t c;
  };
  std::unique_ptr<entry[]> ring{new entry[kSlots]};
  std::size_t first = 0;
  std::size_t size = 0;
};
#endif

struct thread_cache {
  free_block* head[kClasses] = {};
  std::size_t count[kClasses] = {};
  std::atomic<std::int64_t> used{0};
  unsigned epoch = g_flush_epoch.load(std::memory_order_relaxed);
#ifdef OTP_BLOCK_ASAN
  quarantine held;
#endif

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
#ifdef OTP_BLOCK_ASAN
    while (held.size != 0) release_oldest();
#endif
    give_all();
  }

  /// Gives every free list to the depot (not the ASan quarantine: its blocks
  /// must wait their turn).
  void give_all() noexcept {
    depot& d = the_depot();
    std::lock_guard lk(d.mu);
    for (std::size_t c = 0; c < kClasses; ++c) {
      if (head[c] == nullptr) continue;
      try {
        d.batches[c].push_back({head[c], count[c]});
      } catch (...) {
        continue;  // no memory for the batch record: the list stays here
      }
      head[c] = nullptr;
      count[c] = 0;
    }
  }

  /// Gives the cache to the depot if a release asked for it since the last time.
  void follow_epoch() noexcept {
    const unsigned e = g_flush_epoch.load(std::memory_order_relaxed);
    if (e == epoch) [[likely]]
      return;
    epoch = e;
    give_all();
  }

  void account(std::int64_t delta) noexcept {
    used.store(used.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }

  /// Puts `b` (poisoned) on class `c`'s free list.
  void push_free(free_block* b, std::size_t c) noexcept {
    set_next(b, head[c]);
    head[c] = b;
    if (++count[c] >= 2 * kBatch) spill(c);
  }

  /// Takes a freed block (already poisoned) back: at once, or after it has
  /// waited its turn in the quarantine.
  void take_back(free_block* b, std::size_t c) noexcept {
#ifdef OTP_BLOCK_ASAN
    if (held.size == quarantine::kSlots) release_oldest();
    held.ring[(held.first + held.size) % quarantine::kSlots] = {b, c};
    ++held.size;
#else
    push_free(b, c);
#endif
  }

#ifdef OTP_BLOCK_ASAN
  void release_oldest() noexcept {
    const quarantine::entry e = held.ring[held.first];
    held.first = (held.first + 1) % quarantine::kSlots;
    --held.size;
    push_free(e.b, e.c);
  }
#endif

  void refill(std::size_t c) {
    const batch b = take_batch(c);
    head[c] = b.head;
    count[c] = b.count;
  }

  void spill(std::size_t c) noexcept {
    free_block* h = head[c];
    free_block* t = h;
    for (std::size_t i = 1; i < kBatch; ++i) t = next_of(t);
    head[c] = next_of(t);
    count[c] -= kBatch;
    set_next(t, nullptr);
    depot& d = the_depot();
    std::lock_guard lk(d.mu);
    d.batches[c].push_back({h, kBatch});
  }
};

// The calling thread's cache. Two trivially destructible thread_locals
// outlive it: a thread's later thread_local destructors (a mailbox kept in a
// thread_local, say, whose exit sends signals) may still allocate and free
// after the cache has been flushed to the depot, and must not touch it.
thread_local thread_cache* t_cache = nullptr;
thread_local bool t_cache_gone = false;

struct cache_owner {
  thread_cache c;
  ~cache_owner() {
    t_cache = nullptr;
    t_cache_gone = true;
  }  // then c's destructor gives its blocks to the depot
};

/// The calling thread's cache, or nullptr once it is gone.
thread_cache* cache() {
  if (t_cache != nullptr) return t_cache;
  if (t_cache_gone) return nullptr;
  thread_local cache_owner owner;
  t_cache = &owner.c;
  return t_cache;
}

/// Adds `delta` bytes to the count of a thread without a cache.
void account_orphan(std::int64_t delta) noexcept {
  usage& u = the_usage();
  std::lock_guard lk(u.mu);
  u.retired += delta;
}

/// One block of class `c` for a thread without a cache, from the depot.
free_block* orphan_alloc(std::size_t c) {
  depot& d = the_depot();
  std::lock_guard lk(d.mu);
  if (d.batches[c].empty()) d.batches[c].push_back(carve_slab(d, c));
  batch& b = d.batches[c].back();
  free_block* out = b.head;
  b.head = next_of(out);
  if (--b.count == 0) d.batches[c].pop_back();
  return out;
}

/// Gives block `p` of class `c` (poisoned) from a thread without a cache to the depot.
void orphan_free(free_block* p, std::size_t c) noexcept {
  depot& d = the_depot();
  std::lock_guard lk(d.mu);
  std::vector<batch>& v = d.batches[c];
  if (!v.empty() && v.back().count < kBatch) {
    set_next(p, v.back().head);
    v.back().head = p;
    ++v.back().count;
    return;
  }
  set_next(p, nullptr);
  try {
    v.push_back({p, 1});
  } catch (...) {
    internal_error("out of memory while freeing a block");
  }
}

}  // namespace

void* block_alloc(std::size_t size) {
  thread_cache* tc = cache();
  if (size > kMaxBlock) {
    void* p = ::operator new(size);
    if (tc != nullptr)
      tc->account(static_cast<std::int64_t>(size));
    else
      account_orphan(static_cast<std::int64_t>(size));
    return p;
  }
  const std::size_t c = class_of(size == 0 ? 1 : size);
  free_block* b;
  if (tc != nullptr) [[likely]] {
    tc->follow_epoch();
    if (tc->head[c] == nullptr) tc->refill(c);
    b = tc->head[c];
    tc->head[c] = next_of(b);
    --tc->count[c];
    tc->account(static_cast<std::int64_t>(class_bytes(c)));
  } else {
    b = orphan_alloc(c);
    account_orphan(static_cast<std::int64_t>(class_bytes(c)));
  }
  if constexpr (kChecks) check_out(b, size);
  unpoison(b, size);
  return b;
}

void block_free(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
  thread_cache* tc = cache();
  if (size > kMaxBlock) {
    if (tc != nullptr)
      tc->account(-static_cast<std::int64_t>(size));
    else
      account_orphan(-static_cast<std::int64_t>(size));
    ::operator delete(p);
    return;
  }
  const std::size_t c = class_of(size == 0 ? 1 : size);
  if constexpr (kChecks) check_in(p, size);
  poison(p, class_bytes(c));
  if (tc != nullptr) [[likely]] {
    tc->follow_epoch();
    tc->account(-static_cast<std::int64_t>(class_bytes(c)));
    tc->take_back(static_cast<free_block*>(p), c);
  } else {
    account_orphan(-static_cast<std::int64_t>(class_bytes(c)));
    orphan_free(static_cast<free_block*>(p), c);
  }
}

std::size_t release_free_slabs() {
  // Every thread's cache goes to the depot at its next allocator operation; this
  // thread's goes now.
  const unsigned e = g_flush_epoch.fetch_add(1, std::memory_order_relaxed) + 1;
  if (thread_cache* tc = cache(); tc != nullptr) {
    tc->epoch = e;
    tc->give_all();
  }
  depot& d = the_depot();
  std::vector<slab> gone;
  {
    std::lock_guard lk(d.mu);
    std::sort(d.slabs.begin(), d.slabs.end(),
              [](const slab& a, const slab& b) { return a.base < b.base; });
    // How many of each slab's blocks lie in the depot.
    std::vector<std::size_t> free_in(d.slabs.size(), 0);
    const auto slab_of = [&d](const free_block* b) {
      const char* p = reinterpret_cast<const char*>(b);
      const auto at = std::upper_bound(d.slabs.begin(), d.slabs.end(), p,
                                       [](const char* x, const slab& s) { return x < s.base; });
      return static_cast<std::size_t>(std::prev(at) - d.slabs.begin());
    };
    for (std::size_t c = 0; c < kClasses; ++c)
      for (const batch& b : d.batches[c])
        for (free_block* f = b.head; f != nullptr; f = next_of(f)) ++free_in[slab_of(f)];
    std::vector<bool> release(d.slabs.size(), false);
    bool any = false;
    for (std::size_t i = 0; i < d.slabs.size(); ++i) {
      const std::size_t per_slab = std::max<std::size_t>(kSlabBytes / class_bytes(d.slabs[i].c), 1);
      release[i] = free_in[i] == per_slab;
      any = any || release[i];
    }
    if (!any) return 0;
    // Everything allocated before the lists change, so a bad_alloc leaves them whole.
    std::vector<slab> stay;
    stay.reserve(d.slabs.size());
    gone.reserve(d.slabs.size());
    std::vector<std::vector<batch>> rebuilt(kClasses);
    for (std::size_t c = 0; c < kClasses; ++c) {
      std::size_t blocks = 0;
      for (const batch& b : d.batches[c]) blocks += b.count;
      rebuilt[c].reserve(blocks / kBatch + 1);
    }
    // Every class that loses a slab gets its batches again from the blocks that stay.
    std::vector<bool> touched(kClasses, false);
    for (std::size_t i = 0; i < d.slabs.size(); ++i)
      if (release[i]) touched[d.slabs[i].c] = true;
    for (std::size_t c = 0; c < kClasses; ++c) {
      if (!touched[c]) continue;
      std::vector<batch>& kept = rebuilt[c];
      batch cur{nullptr, 0};
      for (const batch& b : d.batches[c]) {
        for (free_block* f = b.head; f != nullptr;) {
          free_block* next = next_of(f);
          if (!release[slab_of(f)]) {
            set_next(f, cur.head);
            cur.head = f;
            if (++cur.count == kBatch) {
              kept.push_back(cur);
              cur = {nullptr, 0};
            }
          }
          f = next;
        }
      }
      if (cur.count != 0) kept.push_back(cur);
      d.batches[c] = std::move(kept);
    }
    for (std::size_t i = 0; i < d.slabs.size(); ++i)
      (release[i] ? gone : stay).push_back(d.slabs[i]);
    d.slabs = std::move(stay);
  }
  // No block of these slabs is reachable from any list now.
  for (const slab& s : gone) {
    if constexpr (kChecks) the_index().remove(s.base);
    unpoison(s.base, kSlabBytes);
    os_free(s.base, kSlabBytes);
  }
  return gone.size() * kSlabBytes;
}

std::size_t cached_blocks() noexcept {
  thread_cache* tc = t_cache;
  if (tc == nullptr) return 0;
  std::size_t n = 0;
  for (std::size_t c = 0; c < kClasses; ++c) n += tc->count[c];
  return n;
}

std::size_t slab_bytes() noexcept {
  depot& d = the_depot();
  std::lock_guard lk(d.mu);
  return d.slabs.size() * kSlabBytes;
}

bool block_checks_enabled() noexcept { return kChecks; }

std::size_t block_bytes_in_use() noexcept {
  usage& u = the_usage();
  std::lock_guard lk(u.mu);
  std::int64_t sum = u.retired;
  for (thread_cache* t : u.threads) sum += t->used.load(std::memory_order_relaxed);
  return sum < 0 ? 0 : static_cast<std::size_t>(sum);
}

}  // namespace otp::detail

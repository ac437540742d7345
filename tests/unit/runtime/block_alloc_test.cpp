// The block allocator: blocks handed out once, threads whose cache is gone, and
// the checks that make misuse visible (checked frees, AddressSanitizer).
#include "otp/runtime/detail/block_alloc.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "otp/otp.hpp"
#include "support/bodies.hpp"

namespace {

using otp::detail::block_alloc;
using otp::detail::block_free;

constexpr std::size_t kSize = 1000;  // the largest size class: few other users

// Blocks allocated by a thread_local destructor that runs after the allocator's
// own cache for that thread has been destroyed.
std::vector<void*>* g_late_blocks = nullptr;

struct allocates_when_destroyed {
  ~allocates_when_destroyed() {
    for (int i = 0; i < 200; ++i) g_late_blocks->push_back(block_alloc(kSize));
    for (int i = 0; i < 50; ++i) {  // and frees some, also without a cache
      block_free(g_late_blocks->back(), kSize);
      g_late_blocks->pop_back();
    }
  }
};

// Rule: a block is handed out to one owner at a time, even when a thread
// allocates from a thread_local destructor that runs after its cache is gone
// (the order service's HTTP threads did, through a thread_local mailbox, and
// got blocks the cache had already given back: two owners, a corrupt free list).
TEST(BlockAlloc, AThreadAllocatingAfterItsCacheIsGoneGetsBlocksNoOneElseHolds) {
  const std::size_t before = otp::detail::block_bytes_in_use();
  std::vector<void*> late;
  g_late_blocks = &late;
  std::thread t([] {
    thread_local allocates_when_destroyed first;  // constructed before the cache: destroyed after
    (void)&first;
    std::vector<void*> warm;
    for (int i = 0; i < 300; ++i) warm.push_back(block_alloc(kSize));
    for (void* p : warm) block_free(p, kSize);  // the cache holds these when the thread ends
  });
  t.join();
  ASSERT_EQ(late.size(), 150u);

  std::vector<void*> mine;
  for (int i = 0; i < 20'000; ++i) mine.push_back(block_alloc(kSize));
  const std::set<void*> held(late.begin(), late.end());
  EXPECT_EQ(held.size(), late.size()) << "a block was handed out twice to the late thread";
  for (void* p : mine) EXPECT_EQ(held.count(p), 0u) << "block " << p << " has two owners";
  for (void* p : mine) block_free(p, kSize);
  for (void* p : late) block_free(p, kSize);
  EXPECT_EQ(otp::detail::block_bytes_in_use(), before);
}

// The same through the public API: a thread keeps its mailbox in a
// thread_local (as an HTTP handler thread does); when the thread ends, the
// mailbox's exit sends its link exit and frees its state after the allocator's
// cache for that thread is gone.
TEST(BlockAlloc, AMailboxInAThreadLocalEndsCleanlyWithItsThread) {
  otp::node n({.schedulers = 2});
  otp::mailbox me(n);
  otp::trap_exit(true);
  const std::size_t before = otp::detail::block_bytes_in_use();
  otp::pid gone;
  std::thread t([&] {
    thread_local std::unique_ptr<otp::mailbox> mb;
    mb = std::make_unique<otp::mailbox>(n);
    gone = mb->self();
    otp::link(me.self());
  });
  t.join();
  const auto exit = me.receive<otp::exit_msg>();
  EXPECT_EQ(exit.from, gone);
  std::vector<void*> mine;
  for (int i = 0; i < 20'000; ++i) mine.push_back(block_alloc(sizeof(otp::exit_msg) + 64));
  for (void* p : mine) block_free(p, sizeof(otp::exit_msg) + 64);
  EXPECT_LE(otp::detail::block_bytes_in_use(), before + 4096);
}

// Rule: with checked frees on, a double free, a block the allocator never handed
// out, and a free with another size class's size each stop the program with a
// message naming the misuse (instead of corrupting the free list).
TEST(BlockAllocDeathTest, CheckedFreesReportMisuse) {
  if (!otp::detail::block_checks_enabled()) GTEST_SKIP() << "built without OTP_BLOCK_CHECKS";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        void* p = block_alloc(64);
        block_free(p, 64);
        block_free(p, 64);
      },
      "block allocator misuse: double free");
  EXPECT_DEATH(
      {
        static char not_a_block[64];
        block_free(not_a_block, 64);
      },
      "block allocator misuse: free of a block the allocator never handed out");
  EXPECT_DEATH(
      {
        void* p = block_alloc(64);
        block_free(p, 200);
      },
      "block allocator misuse: free with the size of another class");
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(block_alloc(64));
        block_free(p + 16, 64);
      },
      "block allocator misuse: free of an address inside a block");
}

#if defined(__SANITIZE_ADDRESS__)
#define OTP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTP_TEST_ASAN 1
#endif
#endif

// Rule: AddressSanitizer sees through the allocator: a write to a freed block, or
// past the bytes asked for, is reported.
TEST(BlockAllocDeathTest, AddressSanitizerReportsUseAfterFreeAndOverflowOfBlocks) {
#ifndef OTP_TEST_ASAN
  GTEST_SKIP() << "not an AddressSanitizer build";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(block_alloc(64));
        block_free(p, 64);
        std::memset(p + 8, 1, 8);
      },
      "use-after-poison");
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(block_alloc(40));  // its class holds 64 bytes
        std::memset(p + 40, 1, 8);
      },
      "use-after-poison");
#endif
}

// Rule: once every block of a slab is free in the depot, release_free_memory
// gives the slab back to the system; a slab with one block still in use
// stays, that block stays valid, and the allocator goes on handing out blocks.
TEST(BlockAlloc, FreeSlabsGoBackToTheSystemAndUsedOnesStay) {
  // 1,000-byte blocks (class 1,024: 256 to a 256 KiB slab) on a thread of
  // their own, whose cache goes to the depot when it ends. What earlier
  // tests of this process left is given back first; blocks they left in
  // slabs still partly used may be handed out here too, and stay.
  constexpr std::size_t kSize = 1000;
  constexpr std::size_t kSlab = 256 * 1024;
  constexpr std::size_t kBlocks = 256 * 16;
  (void)otp::release_free_memory();
  const std::size_t held_before = otp::memory().blocks_held;
  std::size_t held_full = 0;
  void* kept = nullptr;
  std::thread([&] {
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < kBlocks; ++i) blocks.push_back(otp::detail::block_alloc(kSize));
    held_full = otp::memory().blocks_held;
    kept = blocks.back();
    std::memset(kept, 0x5a, kSize);
    blocks.pop_back();
    for (void* p : blocks) otp::detail::block_free(p, kSize);
  }).join();
  ASSERT_GE(held_full, held_before + 8 * kSlab) << "the blocks came from fresh slabs";
  const std::size_t released = otp::release_free_memory();
  // Every fresh slab but the one holding `kept` is wholly free.
  EXPECT_GE(released + kSlab, held_full - held_before);
  EXPECT_LE(otp::memory().blocks_held, held_before + kSlab);
  for (std::size_t i = 0; i < kSize; ++i)
    ASSERT_EQ(static_cast<unsigned char*>(kept)[i], 0x5a) << "the block in use was released";
  // The allocator still works: new blocks (from a fresh slab), then everything back.
  std::vector<void*> again;
  for (std::size_t i = 0; i < 512; ++i) again.push_back(otp::detail::block_alloc(kSize));
  for (void* p : again) {
    std::memset(p, 1, kSize);
    otp::detail::block_free(p, kSize);
  }
  otp::detail::block_free(kept, kSize);
}

// Rule: a release asks every thread for its cache: a thread gives it at its
// next allocation or free, and the slabs its cached blocks pinned go at the
// next release.
TEST(BlockAlloc, AThreadGivesItsCacheAtItsNextOperationAfterARelease) {
#ifdef OTP_TEST_ASAN
  GTEST_SKIP() << "AddressSanitizer builds keep freed blocks in a quarantine, not the cache";
#endif
  constexpr std::size_t kSize = 1000;
  constexpr std::size_t kSlab = 256 * 1024;
  (void)otp::release_free_memory();
  const std::size_t held_before = otp::memory().blocks_held;
  std::mutex mu;
  std::condition_variable cv;
  int step = 0;  // 1: blocks freed, some cached; 2: released once; 3: one more free done
  std::size_t cached_before = 0;
  std::size_t cached_after = 0;
  std::thread t([&] {
    void* spare = otp::detail::block_alloc(kSize);
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < 256 * 8; ++i) blocks.push_back(otp::detail::block_alloc(kSize));
    // The last blocks freed (128 to 255 of them) stay in this thread's
    // cache: they pin the last slab.
    for (void* p : blocks) otp::detail::block_free(p, kSize);
    cached_before = otp::detail::cached_blocks();
    std::unique_lock l(mu);
    step = 1;
    cv.notify_all();
    cv.wait(l, [&] { return step == 2; });
    otp::detail::block_free(spare, kSize);  // its next operation: a free
    cached_after = otp::detail::cached_blocks();
    step = 3;
    cv.notify_all();
    cv.wait(l, [&] { return step == 4; });
  });
  std::unique_lock l(mu);
  cv.wait(l, [&] { return step == 1; });
  const std::size_t first = otp::release_free_memory();
  EXPECT_GE(first, 6 * kSlab);
  const std::size_t held_pinned = otp::memory().blocks_held;
  EXPECT_GE(held_pinned, held_before + kSlab) << "no slab pinned by the thread's cache";
  step = 2;
  cv.notify_all();
  cv.wait(l, [&] { return step == 3; });
  EXPECT_GE(cached_before, 128u);
  EXPECT_EQ(cached_after, 1u) << "the cache was not given to the depot";
  const std::size_t second = otp::release_free_memory();
  EXPECT_GE(second, kSlab);
  EXPECT_LT(otp::memory().blocks_held, held_pinned);
  step = 4;
  cv.notify_all();
  l.unlock();
  t.join();
}

// Rule: a burst of processes that has ended leaves its memory to be given
// back: after release_free_memory the block allocator hold no more than a small part
// of what the burst needed.
TEST(BlockAlloc, ANodeGivesBackTheMemoryOfABurstOfProcesses) {
  std::size_t peak = 0;
  std::thread([&] {
    otp::node n({.manual = true});
    std::vector<otp::pid> pids;
    for (int i = 0; i < 20'000; ++i) pids.push_back(n.spawn(otp_test::wait_for_stop));
    n.run_until_idle();
    peak = otp::memory().blocks_held;
    for (otp::pid p : pids) n.send(p, otp_test::stop{});
    n.run_until_idle();
  }).join();
  const std::size_t released = otp::release_free_memory();
  EXPECT_GT(released, 0u);
  EXPECT_LT(otp::memory().blocks_held, peak / 2) << "peak " << peak << ", released " << released;
}

}  // namespace

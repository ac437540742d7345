// Where thread mailboxes block: one waiter per process slot ever used by a
// mailbox, kept for the node's life.
//
// Invariants:
//  1. A waiter is never freed while the node lives, so a late notify through
//     a reused slot is only a spurious wake-up.
//  2. The list is guarded by `mu_`.
// Callers: any thread that creates an otp::mailbox.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace otp::detail {

/// A blocked thread mailbox's wake-up point. Type-stable (pooled by the node).
struct thread_waiter {
  std::mutex mu;
  std::condition_variable cv;
};

class thread_waiters {
 public:
  /// A new waiter, owned by the node. @throws std::bad_alloc
  thread_waiter* make() {
    std::lock_guard lk(mu_);
    waiters_.push_back(std::make_unique<thread_waiter>());
    return waiters_.back().get();
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<thread_waiter>> waiters_;
};

}  // namespace otp::detail

// The node's global run queue: processes made runnable where no worker of
// the node runs (a thread mailbox's send, a blocking job, a timer adopted
// late), and the overflow of the workers' local queues. FIFO.
//
// Invariants:
//  1. `queue_` is guarded by `mu_`; `len_` is its size, published after
//     every change, so workers can skip the lock when it reads 0.
// Callers: any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>

namespace otp::detail {

struct process;

class global_queue {
 public:
  void push(process* p) {
    std::lock_guard lk(mu_);
    queue_.push_back(p);
    len_.store(queue_.size(), std::memory_order_release);
  }
  /// The oldest process, or nullptr.
  process* pop() noexcept {
    if (len_.load(std::memory_order_acquire) == 0) return nullptr;
    std::lock_guard lk(mu_);
    if (queue_.empty()) return nullptr;
    process* p = queue_.front();
    queue_.pop_front();
    len_.store(queue_.size(), std::memory_order_release);
    return p;
  }
  /// Processes queued (a moment old: no lock).
  std::size_t size() const noexcept { return len_.load(std::memory_order_acquire); }
  /// Whether something may be queued (a hint: no lock).
  bool maybe_nonempty() const noexcept { return len_.load(std::memory_order_acquire) != 0; }

 private:
  std::mutex mu_;
  std::deque<process*> queue_;
  std::atomic<std::size_t> len_{0};
};

}  // namespace otp::detail

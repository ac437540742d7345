// How workers out of work look for it, park, and are woken.
//
// Invariants (the parking protocol):
//  1. A worker out of work first spins, counted in `searching_`; to park it
//     joins `sleepers_`, leaves `searching_`, looks for work once more (all
//     seq_cst: prepare_park), then sleeps unless a wake-up permit is
//     pending (park).
//  2. Pushers publish their work, fence, and wake a sleeper only when there
//     is one and nobody is searching (notify_one): a searcher will find the
//     work. By the fences, a searcher that leaves after the pusher looked
//     sees the push in its last look; the last searcher that leaves because
//     it found work wakes a sleeper for what may be left (end_search). So no
//     push is missed, and a burst of pushes wakes one thread, not one each.
//  3. `wakeups_` (permits) never exceeds `sleepers_` when granted, and is
//     guarded by `mu_`.
//  4. After halt() every parked or parking worker returns from park() and
//     sees halted().
// Callers: the node's workers (search, park), any thread (notify_one,
// wake_one), node::stop (halt).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace otp::detail {

class idle_workers {
 public:
  /// Called after publishing work: wakes a sleeper when one is needed.
  void notify_one() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
    if (searching_.load(std::memory_order_seq_cst) != 0) return;
    {
      std::lock_guard lk(mu_);
      if (wakeups_ >= sleepers_.load(std::memory_order_relaxed)) return;  // enough on their way
      ++wakeups_;
    }
    cv_.notify_one();
  }
  /// Wakes one sleeper, searching or not (a timer armed where no worker
  /// runs: a parked worker must adopt it to sleep with the right deadline).
  void wake_one() noexcept {
    {
      std::lock_guard lk(mu_);
      if (wakeups_ < sleepers_.load(std::memory_order_relaxed)) ++wakeups_;
    }
    cv_.notify_one();
  }

  void begin_search() noexcept { searching_.fetch_add(1, std::memory_order_seq_cst); }
  /// Ends a search that found work; true for the last searcher, which must
  /// then notify_one() for work pushed while it searched.
  bool end_search() noexcept { return searching_.fetch_sub(1, std::memory_order_seq_cst) == 1; }
  /// A searcher that found nothing becomes a sleeper; it must look for
  /// work once more before park().
  void prepare_park() noexcept {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    searching_.fetch_sub(1, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  /// Sleeps until a permit, `deadline` (none: no limit) or halt, and takes
  /// a permit if there is one.
  void park(std::optional<std::chrono::steady_clock::time_point> deadline) {
    std::unique_lock lk(mu_);
    if (wakeups_ == 0 && !halted()) {
      if (deadline)
        cv_.wait_until(lk, *deadline);
      else
        cv_.wait(lk);
    }
    if (wakeups_ > 0) --wakeups_;
  }
  /// A sleeper (after prepare_park, parked or not) is back at work.
  void unpark() noexcept { sleepers_.fetch_sub(1, std::memory_order_seq_cst); }

  bool halted() const noexcept { return halt_.load(std::memory_order_acquire); }
  /// Makes every worker leave its loop: `workers` permits, and all woken.
  void halt(int workers) noexcept {
    halt_.store(true, std::memory_order_release);
    {
      std::lock_guard lk(mu_);
      wakeups_ += workers;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> sleepers_{0};   // workers parked or about to park
  std::atomic<int> searching_{0};  // workers spinning for work: they will find a push
  int wakeups_ = 0;                // permits, guarded by mu_
  std::atomic<bool> halt_{false};  // workers leave their loops
};

}  // namespace otp::detail

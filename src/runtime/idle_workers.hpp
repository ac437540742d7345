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
//  5. With an io_source installed, one parking worker at a time (the holder
//     of `io_token_`) waits on the source's descriptor and a wake-up
//     eventfd instead of the condition variable, and drains the source when
//     it polls readable. Permits go to condition-variable sleepers first,
//     to the io waiter when there is none (`io_parked_`, guarded by mu_).
//     Whoever holds the token is the only thread inside the source's
//     drain(); taking and giving it back (acq_rel) orders their accesses.
// Callers: the node's workers (search, park), any thread (notify_one,
// wake_one), node::stop (halt).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "otp/runtime/detail/io_source.hpp"

namespace otp::detail {

class idle_workers {
 public:
  /// Called after publishing work: wakes a sleeper when one is needed.
  void notify_one() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
    if (searching_.load(std::memory_order_seq_cst) != 0) return;
    bool poke = false;
    {
      std::lock_guard lk(mu_);
      if (wakeups_ >= sleepers_.load(std::memory_order_relaxed)) return;  // enough on their way
      ++wakeups_;
      poke = cv_waiters_ == 0 && io_parked_;
    }
    wake(poke);
  }
  /// Wakes one sleeper, searching or not (a timer armed where no worker
  /// runs: a parked worker must adopt it to sleep with the right deadline).
  void wake_one() noexcept {
    bool poke = false;
    {
      std::lock_guard lk(mu_);
      if (wakeups_ < sleepers_.load(std::memory_order_relaxed)) ++wakeups_;
      poke = cv_waiters_ == 0 && io_parked_;
    }
    wake(poke);
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
  /// The holder of the io token waits on the io source instead, and drains
  /// it when it polls readable (invariant 5).
  void park(std::optional<std::chrono::steady_clock::time_point> deadline) {
    for (;;) {
      if (io_source* src = take_io()) {
        park_on_io(*src, deadline);
        give_io();
        return;
      }
      std::unique_lock lk(mu_);
      if (wakeups_ == 0 && !halted()) {
        cv_waiters_.fetch_add(1, std::memory_order_seq_cst);
        // The token may have come free since take_io: then go and wait on
        // the source (a holder that lets go after this sees cv_waiters_
        // and notifies).
        if (io_.load(std::memory_order_seq_cst) != nullptr &&
            !io_token_.load(std::memory_order_seq_cst)) {
          cv_waiters_.fetch_sub(1, std::memory_order_seq_cst);
          continue;
        }
        if (deadline)
          cv_.wait_until(lk, *deadline);
        else
          cv_.wait(lk);
        cv_waiters_.fetch_sub(1, std::memory_order_seq_cst);
      }
      if (wakeups_ > 0) --wakeups_;
      return;
    }
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
    poke_io();
  }

  // --- the io source (io_source.hpp; idle_workers.cpp) ---
  /// False when a source is installed already.
  bool install_io(io_source* s) noexcept;
  /// Wakes its waiter and waits until no thread holds the token.
  void remove_io() noexcept;
  /// Drains the source now unless a thread holds the token: what a busy
  /// worker does now and then, and try_drain_io.
  bool drain_io_now() noexcept;
  /// A source is installed.
  bool has_io() const noexcept { return io_.load(std::memory_order_relaxed) != nullptr; }
  ~idle_workers();

 private:
  /// Notifies a condition-variable sleeper, or pokes the io waiter.
  void wake(bool poke) noexcept {
    if (poke)
      poke_io();
    else
      cv_.notify_one();
  }
  /// The installed source with the token taken, or null (none, or held).
  io_source* take_io() noexcept;
  /// Gives the token back; a condition-variable sleeper is woken (no permit)
  /// to come and wait on the source, which nobody would watch otherwise.
  void give_io() noexcept;
  /// Waits on `src` and the wake-up eventfd until either is readable, a
  /// permit, `deadline` or halt; drains `src` when it is readable.
  void park_on_io(io_source& src, std::optional<std::chrono::steady_clock::time_point> deadline);
  /// Makes the io waiter's poll return (the eventfd; nothing before install).
  void poke_io() noexcept;

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> cv_waiters_{0};  // changed under mu_: workers waiting on cv_
  bool io_parked_ = false;          // mu_: the token holder waits on the source
  std::atomic<io_source*> io_{nullptr};
  std::atomic<bool> io_token_{false};  // held: a thread waits on or drains io_
  std::atomic<int> io_wake_fd_{-1};    // the io waiter's eventfd, from the first install
  std::atomic<int> sleepers_{0};       // workers parked or about to park
  std::atomic<int> searching_{0};      // workers spinning for work: they will find a push
  int wakeups_ = 0;                    // permits, guarded by mu_
  std::atomic<bool> halt_{false};      // workers leave their loops
};

}  // namespace otp::detail

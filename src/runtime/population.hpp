// The node's population: how many processes are alive, whether new ones are
// admitted, and the rendezvous where node::stop waits for them to go.
//
// Invariants:
//  1. `live_` counts every admitted process (coroutine or thread mailbox)
//     that has not departed; `external_` the thread mailboxes among them. An
//     admission is undone (cancel) when the process could not be made, so the
//     counts never include a process that does not exist.
//  2. After begin_stop() nothing is admitted: a process that passed admit()
//     before it may still be born, and is counted.
//  3. `admitted_` counts admissions since the node started, less the
//     cancelled ones: the processes ever born. It sits on `live_`'s cache
//     line, which admit() already owns, so counting costs one more add there.
//  4. A departure notifies the stop waiter under `mu_` when it is the last
//     one or the node is stopping, and the waiter checks the count under the
//     same mutex, so wait_coroutines_gone never sleeps through the last one.
// Any thread may call every member; begin_stop and wait_coroutines_gone are
// node::stop's.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace otp::detail {

class population {
 public:
  enum class admission : std::uint8_t { admitted, stopped, full };

  /// Counts a new process (a thread mailbox when `external`) unless the node
  /// is stopping or `max` processes are alive.
  admission admit(bool external, std::size_t max) noexcept {
    if (!accepting_.load(std::memory_order_acquire)) return admission::stopped;
    if (live_.fetch_add(1, std::memory_order_relaxed) >= max) {
      live_.fetch_sub(1, std::memory_order_relaxed);
      return admission::full;
    }
    if (external) external_.fetch_add(1, std::memory_order_relaxed);
    admitted_.fetch_add(1, std::memory_order_relaxed);
    return admission::admitted;
  }
  /// Undoes an admission whose process was never made.
  void cancel(bool external) noexcept {
    if (external) external_.fetch_sub(1, std::memory_order_relaxed);
    admitted_.fetch_sub(1, std::memory_order_relaxed);
    live_.fetch_sub(1, std::memory_order_relaxed);
  }
  /// An admitted process has ended (before anyone is told of its end, so
  /// they see the count without it).
  void depart(bool external) noexcept {
    if (external) external_.fetch_sub(1, std::memory_order_relaxed);
    if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1 ||
        !accepting_.load(std::memory_order_acquire)) {
      std::lock_guard lk(mu_);
      cv_.notify_all();
    }
  }

  /// Processes alive, thread mailboxes included. @mirrors erlang:system_info(process_count)
  std::size_t count() const noexcept { return live_.load(std::memory_order_acquire); }
  /// Processes born since the node started (thread mailboxes included).
  std::uint64_t born() const noexcept { return admitted_.load(std::memory_order_relaxed); }
  /// Processes alive that are coroutines (what node::stop waits for).
  std::size_t coroutines() const noexcept {
    return live_.load(std::memory_order_acquire) - external_.load(std::memory_order_acquire);
  }

  /// Stops admitting. @returns true for the first call only (node::stop runs once).
  bool begin_stop() noexcept {
    {
      std::lock_guard lk(mu_);
      if (stopped_) return false;
      stopped_ = true;
    }
    accepting_.store(false, std::memory_order_release);
    return true;
  }
  /// Waits up to `grace` for every coroutine process to depart.
  bool wait_coroutines_gone(std::chrono::milliseconds grace) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, grace, [&] { return coroutines() == 0; });
  }

 private:
  alignas(64) std::atomic<std::size_t> live_{0};
  std::atomic<std::uint64_t> admitted_{0};
  std::atomic<std::size_t> external_{0};
  std::atomic<bool> accepting_{true};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace otp::detail

// The blocking pool: threads that run otp::blocking jobs away from the
// schedulers, so that a process waiting for one holds no scheduler.
//
// Invariants:
//  1. `jobs_`, `threads_`, `idle_` and `halt_` are guarded by `mu_`.
//  2. A thread is started only when a job is queued and none is idle, up to
//     `max_threads` (at least one); threads live until stop().
//  3. A job's process is parked (status waiting) while its job runs; the
//     pool hands it back to the scheduler (`on_done`) after the job returns.
//  4. stop() lets the threads finish every queued job, then joins them: a
//     job that never returns keeps stop() waiting.
// Callers: post() from a scheduler running the job's process; stop() from
// node::stop only, after the schedulers have stopped.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace otp::detail {

struct process;

class blocking_pool {
 public:
  struct job {
    void (*run)(void*);
    void* arg;
    process* p;
  };

  /// `on_done(p)` makes a job's process runnable again (any thread).
  blocking_pool(unsigned max_threads, std::function<void(process&)> on_done)
      : max_threads_(max_threads == 0 ? 1 : max_threads), on_done_(std::move(on_done)) {}
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;
  ~blocking_pool() { stop(); }

  /// Queues `j`, starting a thread when none is idle.
  /// @throws std::bad_alloc or std::system_error (nothing queued).
  void post(job j);
  /// Stops and joins every thread (see invariant 4). Idempotent.
  void stop() noexcept;

 private:
  void loop();

  const unsigned max_threads_;
  const std::function<void(process&)> on_done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  std::vector<std::thread> threads_;
  unsigned idle_ = 0;
  bool halt_ = false;
};

}  // namespace otp::detail

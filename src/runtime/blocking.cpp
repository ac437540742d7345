// otp::blocking's runtime side, and the blocking pool (blocking_pool.hpp).
#include "otp/runtime/blocking.hpp"

#include <algorithm>

#include "runtime/blocking_pool.hpp"
#include "runtime/node_impl.hpp"

namespace otp::detail {

std::coroutine_handle<> blocking_suspend(process& p, std::coroutine_handle<> h, void (*run)(void*),
                                         void* arg) noexcept {
  node_impl& n = *p.node;
  if (n.clock.manual() ||
      p.external.load(
          std::memory_order_relaxed)) {  // deterministic (or no scheduler to free): run inline
    run(arg);
    return h;
  }
  p.resume_point = h;
  p.status.store(run_state::waiting, std::memory_order_relaxed);
  try {
    n.blocking.post({run, arg, &p});
  } catch (...) {
    internal_error("out of memory (or threads) queueing an otp::blocking job");
  }
  return n.sched.next_handle();
}

void blocking_pool::post(job j) {
  std::lock_guard lk(mu_);
  jobs_.push_back(j);
  if (idle_ == 0 && threads_.size() < max_threads_) {
    try {
      threads_.emplace_back([this] { loop(); });
    } catch (...) {
      jobs_.pop_back();
      throw;
    }
  } else {
    cv_.notify_one();
  }
}

void blocking_pool::loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    ++idle_;
    cv_.wait(lk, [&] { return halt_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // halted, and every queued job has run
    job j = jobs_.front();
    jobs_.pop_front();
    lk.unlock();
    j.run(j.arg);
    on_done_(*j.p);
    lk.lock();
  }
}

void blocking_pool::stop() noexcept {
  {
    std::lock_guard lk(mu_);
    halt_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace otp::detail

// otp::blocking: run blocking work off the scheduler threads.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "otp/runtime/detail/runtime.hpp"

namespace otp {

namespace detail {
/// Suspends `p` and runs `run(arg)` on the node's blocking pool; the process
/// is scheduled again when it returns.
std::coroutine_handle<> blocking_suspend(process& p, std::coroutine_handle<> h, void (*run)(void*),
                                         void* arg) noexcept;

template <class F>
class [[nodiscard]] blocking_op {
 public:
  using result_type = std::invoke_result_t<F&>;
  explicit blocking_op(F fn) : fn_(std::move(fn)) {}

  bool await_ready() {
    p_ = &require_process("blocking");
    if (!p_->external.load(std::memory_order_relaxed)) return false;
    run(this);  // a thread mailbox's own thread may block: run the work here
    return true;
  }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    return blocking_suspend(*p_, h, &run, this);
  }
  result_type await_resume() {
    if (exc_) std::rethrow_exception(exc_);
    if constexpr (!std::is_void_v<result_type>) return std::move(*result_);
  }

 private:
  static void run(void* self) noexcept {
    auto* op = static_cast<blocking_op*>(self);
    try {
      if constexpr (std::is_void_v<result_type>)
        op->fn_();
      else
        op->result_.emplace(op->fn_());
    } catch (...) {
      op->exc_ = std::current_exception();
    }
  }

  struct empty {};
  F fn_;
  process* p_ = nullptr;
  std::conditional_t<std::is_void_v<result_type>, empty, std::optional<result_type>> result_;
  std::exception_ptr exc_;
};
}  // namespace detail

/// Runs `fn()` on the node's blocking pool and resumes the caller with its
/// result; an exception from `fn` is rethrown at the co_await. The scheduler
/// thread runs other processes meanwhile. Signals sent to the caller take
/// effect after `fn` returns. In a manual node `fn` runs inline.
/// @throws otp::badarg when awaited outside a process.
/// @threadsafe `fn` runs on another thread: it must not touch the process's
///   state concurrently with anything else.
template <class F>
detail::blocking_op<F> blocking(F fn) {
  return detail::blocking_op<F>(std::move(fn));
}

}  // namespace otp

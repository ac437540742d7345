// task<T>: the coroutine type of process bodies and of code that waits inside a process.
//
// A process body is a coroutine returning otp::proc (= task<void>). Helper
// coroutines that receive or wait return task<T> and are awaited with
// `co_await`; awaiting transfers control straight into the child (symmetric
// transfer) and an exception in the child is rethrown at the co_await.
// Frames come from the block allocator (per-thread free lists).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "otp/runtime/detail/block_alloc.hpp"

namespace otp {

namespace detail {

/// T as a value that can be stored and sent: T itself, or std::monostate
/// for void (a call or task that answers nothing still answers).
template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
struct process;
/// Called by the top-level frame of a process when its body returns or throws;
/// runs the exit procedure and returns the coroutine to run next.
std::coroutine_handle<> on_body_done(process* p) noexcept;
/// Records the exception escaping a process body as its exit reason.
void on_body_exception(process* p) noexcept;
/// Throws otp::badarg unless the calling thread owns an otp::mailbox.
void require_mailbox_thread(const char* what);
[[noreturn]] void task_suspended_on_thread();

struct promise_base {
  std::coroutine_handle<> continuation;
  process* top_of = nullptr;  // set when this frame is a process body
  std::exception_ptr exception;

  static void* operator new(std::size_t n) { return block_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { block_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      promise_base& pb = h.promise();
      if (pb.top_of != nullptr) return on_body_done(pb.top_of);
      return pb.continuation;
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept {
    if (top_of != nullptr)
      on_body_exception(top_of);
    else
      exception = std::current_exception();
  }
};
}  // namespace detail

template <class T>
class task;

namespace detail {

template <class T>
struct task_promise : promise_base {
  std::optional<T> value;
  task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct task_promise<void> : promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

/// A lazily started coroutine producing T; awaitable once. Owns its frame.
template <class T = void>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  explicit task(handle_type h) noexcept : h_(h) {}
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().continuation = caller;
    return h_;
  }
  T await_resume() { return h_.promise().take(); }

  /// Runs the task to completion on the calling thread and returns its result
  /// (or rethrows its exception). For threads that own an otp::mailbox
  /// (main, a foreign thread): every wait inside the task (receive, call,
  /// start_link, blocking) then blocks this thread. Inside a process,
  /// `co_await` the task instead.
  /// @throws otp::badarg when the thread has no mailbox (also inside a
  ///   process); whatever the task throws; otp::exit_error when an exit
  ///   signal ends the mailbox's process while the task waits.
  T get() && {
    detail::require_mailbox_thread("task::get");
    h_.promise().continuation = std::noop_coroutine();
    h_.resume();
    if (!h_.done()) detail::task_suspended_on_thread();
    return h_.promise().take();
  }

  /// Gives up ownership of the frame (the runtime takes process bodies).
  handle_type release() noexcept { return std::exchange(h_, {}); }

 private:
  handle_type h_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

/// True for an otp::task<U>.
template <class T>
inline constexpr bool is_task_v = false;
template <class U>
inline constexpr bool is_task_v<task<U>> = true;

/// Something to co_await with member await_ready / await_resume: an
/// otp::task, an otp::call, a receive.
template <class T>
concept member_awaitable = requires(T& t) {
  t.await_ready();
  t.await_resume();
};

/// What a function returning T gives once awaited: what awaiting T gives
/// when T is awaitable (U for a task<U>), else T; without cv and reference.
template <class T>
struct awaited_value {
  using type = std::remove_cvref_t<T>;
};
template <member_awaitable T>
struct awaited_value<T> {
  using type = std::remove_cvref_t<decltype(std::declval<T&>().await_resume())>;
};
template <class T>
using awaited_value_t = typename awaited_value<T>::type;
}  // namespace detail

/// The return type of a process body: `otp::proc worker(int n) { ... co_return; }`.
using proc = task<void>;

}  // namespace otp

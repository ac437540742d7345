// Hibernation: a process gives up its call stack while it waits for a
// message, and starts again in a function of its choice when one comes.
//
// | function                 | mirrors                 |
// |--------------------------|-------------------------|
// | co_await hibernate(f, a) | erlang:hibernate/3      |
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>

#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"

namespace otp {

namespace detail {

/// The body a hibernated process starts with when a message arrives: the
/// callable and its arguments, kept until then (the frame is made at wake).
struct hibernation {
  hibernation() = default;
  hibernation(const hibernation&) = delete;
  hibernation& operator=(const hibernation&) = delete;
  virtual ~hibernation() = default;
  static void* operator new(std::size_t n) { return block_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { block_free(p, n); }
  /// Makes the new body's (unstarted) frame. Called once.
  virtual task<void> wake() = 0;
};

template <class F, class... A>
struct hibernation_of final : hibernation {
  template <class G, class... B>
  explicit hibernation_of(G&& g, B&&... b) : f(std::forward<G>(g)), args(std::forward<B>(b)...) {}
  task<void> wake() override {
    return std::apply([this](A&... a) { return make_body(std::move(f), std::move(a)...); }, args);
  }
  F f;
  std::tuple<A...> args;
};

/// The calling process, checked for hibernate (`what` names the caller in
/// the error).
/// @throws otp::badarg outside a coroutine process (a thread's mailbox has
///   no call stack to replace).
process& hibernating_process(const char* what);
/// Ends the current body of `p` (every frame of its call stack is destroyed,
/// which runs their destructors) and parks `p` until a message is in its
/// queue; `next` (owned) then makes the new body. A queue that already holds
/// a message wakes it at once. Signals (links, monitors, process_info,
/// exit signals) are handled without waking it.
/// @returns the coroutine to run next on this scheduler.
std::coroutine_handle<> hibernate_now(process& p, hibernation* next) noexcept;
/// As hibernate_now, without the wait: the new body starts at once (a tail
/// call of the whole process).
std::coroutine_handle<> continue_now(process& p, hibernation* next) noexcept;

/// The awaiter of hibernate and continue_as.
struct [[nodiscard]] body_switch {
  process* p;
  hibernation* next;  // owned until handed to the runtime
  bool wait;          // hibernate (true) or continue_as (false)
  body_switch(process& proc, hibernation* n, bool w) noexcept : p(&proc), next(n), wait(w) {}
  body_switch(const body_switch&) = delete;
  body_switch& operator=(const body_switch&) = delete;
  ~body_switch() { delete next; }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
    // This awaiter lives in a frame the call destroys: nothing of it may
    // be touched once the call has begun.
    process& proc = *p;
    hibernation* n = std::exchange(next, nullptr);
    return wait ? hibernate_now(proc, n) : continue_now(proc, n);
  }
  [[noreturn]] void await_resume() const noexcept {
    internal_error("a body that hibernated or continued was resumed");
  }
};

template <class F, class... A>
body_switch switch_body(const char* what, bool wait, F&& f, A&&... args) {
  process& p = hibernating_process(what);
  using H = hibernation_of<std::decay_t<F>, std::decay_t<A>...>;
  return body_switch(p, new H(std::forward<F>(f), std::forward<A>(args)...), wait);
}

/// Replaces the calling process's body by `f(args...)` at once: the call
/// stack is destroyed as by hibernate, and the new body starts without
/// waiting for a message (a tail call). `co_await` never returns.
/// @throws otp::badarg as hibernate does.
template <class F, class... A>
requires process_body<F, A...> body_switch continue_as(F&& f, A&&... args) {
  return switch_body("continue_as", false, std::forward<F>(f), std::forward<A>(args)...);
}

}  // namespace detail

/// Puts the calling process into hibernation: its call stack (every
/// coroutine frame of the process, from the body down to the caller) is
/// destroyed, running the destructors of what they hold, and the process
/// waits for a message using only its control block and `f` with `args`
/// (moved into a small heap object). When a message arrives (or at once, if
/// one is queued already) the process starts again as the body
/// `f(args...)`, which must return otp::proc; the process ends when that
/// body returns. `co_await` never returns to the caller. Links, monitors,
/// the registered name, trap_exit and queued messages are kept; exit
/// signals and other signals are handled while hibernating without waking
/// it (an exit signal ends it, destroying `f` and `args`).
/// @throws otp::badarg outside a coroutine process (a thread's mailbox
///   cannot hibernate); std::bad_alloc (the caller goes on).
/// @mirrors erlang:hibernate/3
template <class F, class... A>
requires detail::process_body<F, A...> detail::body_switch hibernate(F&& f, A&&... args) {
  return detail::switch_body("hibernate", true, std::forward<F>(f), std::forward<A>(args)...);
}

}  // namespace otp

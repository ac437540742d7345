// Hibernation: a process gives up its call stack while it waits for a
// message, and starts again in a function of its choice when one comes.
//
// | function                 | mirrors                 |
// |--------------------------|-------------------------|
// | co_await hibernate(f, a) | erlang:hibernate/3      |
#pragma once

#include <coroutine>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>

#include "otp/detail/runtime.hpp"
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

/// The calling process, checked for hibernate: a coroutine process, with
/// its extras allocated (the pending body is kept there).
/// @throws otp::badarg outside a coroutine process (a thread's mailbox
///   cannot hibernate).
process& hibernating_process();
/// Ends the current body of `p` (every frame of its call stack is destroyed,
/// which runs their destructors) and parks `p` until a message is in its
/// queue; `next` (owned) then makes the new body. A queue that already holds
/// a message wakes it at once. Signals (links, monitors, process_info,
/// exit signals) are handled without waking it.
/// @returns the coroutine to run next on this scheduler.
std::coroutine_handle<> hibernate_now(process& p, hibernation* next) noexcept;

struct [[nodiscard]] hibernate_awaiter {
  process* p;
  hibernation* next;  // owned until handed to the runtime
  hibernate_awaiter(process& proc, hibernation* n) noexcept : p(&proc), next(n) {}
  hibernate_awaiter(const hibernate_awaiter&) = delete;
  hibernate_awaiter& operator=(const hibernate_awaiter&) = delete;
  ~hibernate_awaiter() { delete next; }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
    // This awaiter lives in a frame hibernate_now destroys: nothing of it
    // may be touched once the call has begun.
    return hibernate_now(*p, std::exchange(next, nullptr));
  }
  [[noreturn]] void await_resume() const noexcept { std::terminate(); }  // never resumed
};

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
requires detail::process_body<F, A...> detail::hibernate_awaiter hibernate(F&& f, A&&... args) {
  detail::process& p = detail::hibernating_process();
  using H = detail::hibernation_of<std::decay_t<F>, std::decay_t<A>...>;
  return detail::hibernate_awaiter(p, new H(std::forward<F>(f), std::forward<A>(args)...));
}

}  // namespace otp

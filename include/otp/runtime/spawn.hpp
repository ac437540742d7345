// Turning a callable into a process body, and the spawn options.
#pragma once

#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"

namespace otp {

/// Options for spawn_opt. @mirrors erlang:spawn_opt/2
struct spawn_options {
  bool link = false;       ///< link the caller and the child atomically (spawn_link)
  bool monitor = false;    ///< the caller monitors the child (spawn_monitor)
  bool trap_exit = false;  ///< the child starts trapping exits
  /// Kill the child with reason `mailbox_overflow` when more than this many
  /// messages are queued in it (0: unlimited). Signals never count and are
  /// never dropped. @mirrors the max_heap_size option, for mailboxes
  std::size_t max_mailbox = 0;
  /// With `monitor`: the ref the monitor gets, e.g. one the caller made
  /// with alias() so that one ref is both the monitor and a reply alias,
  /// as spawn_opt's `{monitor, [{alias, explicit_unalias}]}` does. It must
  /// be fresh (from make_ref or alias) and unused by other monitors. Null
  /// (the default): a new ref.
  ref monitor_ref{};
};

/// What spawn_opt returns: the child and, with `monitor`, the monitor ref.
struct spawned {
  pid child;
  ref monitor;
};

namespace detail {

/// A callable make_body calls without an object of its own (a function
/// pointer, or a stateless lambda): it gets its arguments as rvalues, moved
/// from the spawner, so they may be move-only.
template <class F>
concept stateless_callable = std::is_pointer_v<std::decay_t<F>> ||
    (std::is_empty_v<std::decay_t<F>>&& std::is_default_constructible_v<std::decay_t<F>>);

/// `f(args...)` is a process body (returns otp::proc). A callable with state
/// is kept alive in a wrapper frame and called with its stored arguments
/// (lvalues); a stateless one gets them moved.
template <class F, class... A>
concept process_body = std::is_same_v < std::invoke_result_t < std::decay_t<F>
&, std::decay_t<A>&... >,
    task < void >> ||
        (stateless_callable<F> &&
         std::is_same_v<std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>, task<void>>);

template <class F, class... A>
task<void> owning_body(F f, A... a) {
  co_await std::invoke(f, a...);
}

/// Makes the (unstarted) body frame. Arguments are copied or moved into the
/// frame; a stateful callable is kept alive in a small wrapper frame.
template <class F, class... A>
task<void> make_body(F&& f, A&&... a) {
  using Fn = std::decay_t<F>;
  if constexpr (std::is_empty_v<Fn> && std::is_default_constructible_v<Fn>) {
    return std::invoke(Fn{}, std::decay_t<A>(std::forward<A>(a))...);
  } else if constexpr (std::is_pointer_v<Fn>) {
    return std::invoke(f, std::decay_t<A>(std::forward<A>(a))...);
  } else {
    return owning_body<Fn, std::decay_t<A>...>(std::forward<F>(f), std::forward<A>(a)...);
  }
}

inline spawn_request to_request(const spawn_options& o) {
  spawn_request r;
  r.link = o.link;
  r.monitor = o.monitor;
  r.trap_exit = o.trap_exit;
  r.max_mailbox = static_cast<std::uint32_t>(o.max_mailbox);
  r.monitor_ref = o.monitor_ref;
  return r;
}

template <class F, class... A>
spawn_result spawn_on(node_impl& n, const spawn_request& req, F&& f, A&&... a) {
  auto body = make_body(std::forward<F>(f), std::forward<A>(a)...);
  auto h = body.release();
  return spawn_impl(n, h, h.promise(), req);
}

}  // namespace detail
}  // namespace otp

// otp::mailbox: gives a plain thread (main, a foreign callback thread) a pid
// and a mailbox, so it can receive, link and monitor like a process.
#pragma once

#include <optional>
#include <utility>

#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/receive.hpp"

namespace otp {

/// A temporary process identity for the calling thread.
///
/// While it exists, the otp:: free functions (send, self, link, monitor,
/// spawn_link, trap_exit, ...) act for this thread, and receive() blocks the
/// thread until a message matches. On destruction the mailbox's process exits
/// with reason `normal` (links and monitors are told) and the thread's
/// previous context is restored.
///
/// In a manual node, receive() runs the node while it waits and moves virtual
/// time to the next timer when everything is idle, so tests stay
/// deterministic.
///
/// @threadsafe Owner thread only (create, receive and destroy on one thread).
/// @throws otp::badarg (constructor) when the thread is a scheduler, already
///   has a mailbox (on any node), or the node is stopped; otp::system_limit
///   when max_processes processes are alive.
class mailbox {
 public:
  explicit mailbox(node& n);
  ~mailbox();
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;

  /// This mailbox's pid.
  pid self() const noexcept { return self_; }

  /// Blocks until a message matches one of `args` (same forms as
  /// otp::receive, including a last otp::after clause).
  /// @throws otp::mailbox_exit (an otp::exit_error) when an exit signal the
  ///   mailbox does not trap ends its process (the mailbox is dead
  ///   afterwards; every later receive throws the same).
  template <class... Args>
  requires(sizeof...(Args) >= 1) auto receive(Args... args) {
    if (dead_) throw mailbox_exit(dead_reason_);
    auto op = otp::receive(std::move(args)...);
    try {
      return op.run_blocking(*p_);
    } catch (const mailbox_exit& e) {
      dead_ = true;
      dead_reason_ = e.reason();
      throw;
    }
  }
  /// Blocks until a message of type T arrives and returns it.
  template <class T>
  T receive() {
    return receive([](T&& v) -> T { return std::move(v); });
  }
  /// Waits at most `t` for a message of type T.
  template <class T>
  std::optional<T> receive(timeout t) {
    return receive([](T&& v) -> std::optional<T> { return std::optional<T>(std::move(v)); },
                   after(t, [] { return std::optional<T>(); }));
  }

 private:
  detail::process* p_;
  pid self_;
  bool dead_ = false;
  exit_reason dead_reason_;
  detail::context saved_;
};

}  // namespace otp

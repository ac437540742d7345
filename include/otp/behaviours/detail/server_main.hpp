// How a process becomes a gen_server and stays one: the name claim, the
// start (init and the ack to the starter) and server_main, the body of
// every server process. Not part of the API; see otp/behaviours/gen_server.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

#include "otp/behaviours/detail/gen_server_engine.hpp"
#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_name.hpp"
#include "otp/runtime/any_message.hpp"
#include "otp/runtime/hibernate.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/task.hpp"

namespace otp::detail {

/// Registers `name` for the calling process. std::nullopt when it did;
/// otherwise the current holder (null if it went away meanwhile).
std::optional<pid> claim_name(const server_name& name);
/// claim_name, and when the holder is a process whose link parent is gone
/// (the previous incarnation of this server, whose supervisor was killed,
/// that has not handled its parent's exit yet) waits up to
/// kOrphanHolderWait for it to exit and claims again.
/// @returns the holder that kept the name, or nullopt once the name is ours.
task<std::optional<pid>> claim_name_after_orphans(const server_name& name);
/// Releases `name` (init failed).
void release_name(const server_name& name) noexcept;

/// Records an exception escaping a callback as an exit reason.
exit_reason reason_of_current_exception() noexcept;

/// The message kinds the loop tells apart.
/// foreign_call: a call request for another server type.
enum class inbound : std::uint8_t { request, foreign_call, system, parent_exit, info };
inbound classify(const any_message& m, const void* family, pid parent) noexcept;

/// While a server is suspended (sys:suspend): waits for the next system
/// message (handled) or an exit from the parent (the server stops). A
/// coroutine of its own, so its receive takes no room in the frame of every
/// server that is never suspended.
task<void> wait_while_suspended(server_base& loop);

/// The behaviour a server of type S reports (sys:get_status, reports):
/// S::behaviour when declared ("supervisor"), else "gen_server".
template <class S>
constexpr const char* behaviour_name() noexcept {
  if constexpr (requires { S::behaviour; })
    return S::behaviour;
  else
    return "gen_server";
}

/// How a process becomes a gen_server.
enum class server_entry : unsigned char {
  start,  ///< started by start/start_link: claim the name, init, ack
  enter,  ///< enter_loop: the process already did all that; S is moved in
};

/// The start options the serving loop keeps.
struct serve_options {
  timeout hibernate_after = timeout(infinity);
  bool telemetry_calls = false;
};

/// Checks, for enter_loop, that `name` is registered to the calling process.
/// @exits `process_not_registered` (or `process_not_registered_via`) when not.
void require_own_name(const server_name& name);

/// The start of a server: its state and, when started (not entered), its
/// name, init and the ack to the starter. A coroutine of its own, so that
/// what only the start needs (the awaiters of a name claim and of a
/// coroutine init) leaves the frame that lives as long as the server.
/// @returns whether the server goes on to serve (false: it ends normal).
/// @exits as starter::fail, when init failed.
template <class S, class... A>
task<bool> server_start(server_loop<S>& loop, starter& st, const server_name& name,
                        server_entry entry, A&... args) {
  if (entry == server_entry::enter) {
    require_own_name(name);
    loop.state.emplace(std::move(args)...);
    loop.in_init = false;
  } else if (!name.empty()) {
    if (std::optional<pid> holder = co_await claim_name_after_orphans(name)) {
      st.ack(start_result::already_started(*holder));
      co_return false;
    }
  }
  if (entry == server_entry::start) {
    // init: construct the state, then the optional init() hook.
    std::optional<exit_reason> failed;
    try {
      loop.state.emplace(std::move(args)...);
      loop.on_init();
      if (loop.pending) co_await loop.take_pending();
    } catch (...) {
      failed = reason_of_current_exception();
    }
    loop.in_init = false;
    if (!failed && loop.ignored) {
      release_name(name);
      st.ack(start_result::ignore());
      co_return false;
    }
    if (!failed && loop.init_error) {  // {error, R}: the process ends normal
      release_name(name);
      st.ack(start_result::error(std::move(*loop.init_error)));
      co_return false;
    }
    if (!failed && loop.stopping) failed = loop.stop_reason;
    if (failed) {
      release_name(name);
      loop.report_crash(*failed);
      st.fail(*failed);
    }
    st.ack(start_result::ok(self()));
  }

  co_return true;
}

/// How server_serve runs: as the process's body after a start, under the
/// caller's frames after enter_loop, or as the body a hibernation woke in.
enum class serve_mode : unsigned char { top, entered, woke };

/// The serving part of a gen_server's life: the receive loop, then
/// terminate. Owns the loop (and with it the state), which lives on the
/// heap so that a hibernation can destroy this frame and start a new one.
template <class S>
proc server_serve(std::unique_ptr<server_loop<S>> owned, serve_mode mode) {
  server_loop<S>& loop = *owned;
  const void* family = &server_family<S>;
  // Woken from hibernation: take the message that woke it before anything
  // else (hibernate_next stays set, so a system message hibernates again).
  bool woke = mode == serve_mode::woke;
  // One receive and one await of a coroutine callback for every path: each
  // co_await keeps its own awaiter in the frame, and the frame is the
  // largest part of an idle server's memory.
  for (;;) {
    std::optional<any_message> got;  // alive while a coroutine callback runs
    try {
      if (loop.next_continue) {
        got = std::move(loop.next_continue);
        loop.next_continue.reset();
        loop.last_type = &got->type();
        loop.on_continue(*got);
      } else if (loop.suspended) {
        co_await wait_while_suspended(loop);
      } else if (loop.hibernate_next && !woke) {
        co_await hibernate(&server_serve<S>, std::move(owned), serve_mode::woke);
      } else {
        woke = false;
        // A callback's timeout, else hibernate_after, else none.
        got = co_await otp::receive<any_message>(loop.next_timeout ? *loop.next_timeout
                                                                   : loop.hibernate_after);
        if (!got && !loop.next_timeout) {  // hibernate_after passed
          loop.hibernate_next = true;
          continue;
        }
        if (!got) {  // the callback's timeout expired
          loop.next_timeout.reset();
          got.emplace(make_message<timeout_msg>());
          loop.last_type = &typeid(timeout_msg);
          loop.on_info(*got);
        } else {
          any_message& m = *got;
          loop.last_type = &m.type();
          switch (classify(m, family, loop.info.parent)) {
            case inbound::request:
              loop.next_timeout.reset();
              loop.hibernate_next = false;
              ++loop.handled;
              m.envelope()->vt->dispatch(&loop, m.envelope());
              break;
            case inbound::foreign_call:
              loop.refuse_call(m);  // keeps any pending timeout or hibernation
              break;
            case inbound::system:
              loop.on_system(m.get<system_msg>());  // keeps any pending timeout or hibernation
              break;
            case inbound::parent_exit:
              loop.apply(server_result::stop(m.get<exit_msg>().reason));
              break;
            case inbound::info:
              loop.next_timeout.reset();
              loop.hibernate_next = false;
              ++loop.handled;
              loop.on_info(m);
              break;
          }
        }
      }
      if (loop.pending) co_await loop.take_pending();
    } catch (...) {
      loop.stopping = true;
      loop.stop_reason = reason_of_current_exception();
    }
    if (loop.stopping) break;
  }
  exit_reason reason = loop.stop_reason;
  try {
    loop.on_terminate(reason);
    if (loop.pending) co_await loop.take_pending();
  } catch (...) {
    reason = reason_of_current_exception();
  }
  loop.report_crash(reason);
  process& me = require_process("gen_server");
  // enter_loop never returns to its caller: the process ends with `reason`
  // (and is a plain process again, should its body catch that exit).
  if (mode == serve_mode::entered) {
    set_behaviour_slot(me, nullptr);
    exit(std::move(reason));
  }
  // The process ends with `reason` when the body returns: the same outcome
  // as exit(reason), without unwinding the frame by an exception.
  if (!reason.is_normal()) end_with(me, std::move(reason));
}

/// The gen_server process body (and, awaited by enter_loop, the rest of the
/// life of a process that becomes a server): the start, then server_serve.
template <class S, class... A>
proc server_main(starter st, server_name name, server_entry entry, serve_options serve, A... args) {
  std::unique_ptr<server_loop<S>> owned(new server_loop<S>);
  server_loop<S>& loop = *owned;
  process& me = require_process("gen_server");
  set_behaviour_slot(me, &loop.info);
  // Started without a link, the server is its own parent (OTP's gen:start):
  // an exit from its starter is then an ordinary EXIT for handle_info. A
  // process entering the loop without a starter is its own parent too.
  loop.info.parent = st.linked() && !st.parent().is_null() ? st.parent() : me.self();
  loop.info.ancestors = st.take_ancestors();
  loop.info.kind = behaviour_name<S>();
  loop.info.name = name.empty() ? std::string() : name.to_string();
  loop.hibernate_after = serve.hibernate_after;
  loop.telemetry_calls = serve.telemetry_calls;

  if (!co_await server_start(loop, st, name, entry, args...)) co_return;

  if (entry == server_entry::enter) {  // the caller's frames stay below
    co_await server_serve<S>(std::move(owned), serve_mode::entered);
  } else {
    // What only the start needed (this frame: the starter, the name, the
    // arguments) goes; the server's life goes on in a frame of its own.
    co_await continue_as(&server_serve<S>, std::move(owned), serve_mode::top);
  }
}

}  // namespace otp::detail

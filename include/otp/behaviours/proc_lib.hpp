// proc_lib: synchronous start and crash reports, shared by every behaviour.
//
// | function                       | mirrors                                  |
// |--------------------------------|------------------------------------------|
// | proc_lib::start_link(o, f, a…) | proc_lib:start_link/3,4,5                |
// | proc_lib::start(o, f, a…)      | proc_lib:start/3,4,5                     |
// | proc_lib::start_monitor(o, f…) | proc_lib:start_monitor/3,4,5             |
// | starter::ack(result)           | proc_lib:init_ack/1                      |
// | starter::fail(reason)          | proc_lib:init_fail/2                     |
// | proc_lib::crash_report(...)    | the crash report proc_lib logs on exit   |
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/behaviours/server_name.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// Options of a synchronous start, shared by every behaviour's start functions.
/// @mirrors the Options of gen_server:start_link/4 ({timeout, T}, {spawn_opt, …})
struct start_options {
  /// Registered before init runs; a taken name fails the start with
  /// `already_started`. Empty: no name.
  server_name name{};
  /// How long init may take; on expiry the child is killed and the start
  /// returns `{error, timeout}`.
  timeout start_timeout = timeout(infinity);
  /// Kill the process with `mailbox_overflow` above this many queued
  /// messages (0: unlimited). See spawn_options::max_mailbox.
  std::size_t max_mailbox = 0;
  /// A gen_server (or supervisor) that has waited this long for a message,
  /// with no callback timeout pending, hibernates (otp::hibernate): its
  /// coroutine frame is given back until the next message. Infinity (the
  /// default): never. @mirrors {hibernate_after, HibernateAfterTimeout}
  timeout hibernate_after = timeout(infinity);
  /// A gen_server (or supervisor) emits a telemetry span around each
  /// handle_call: otp.gen_server.call.start, then .stop (duration in ns, up
  /// to the reply or the callback's end) or .exception. Off by default, so a
  /// call costs nothing more. A C++ addition (OTP has no such option).
  bool telemetry_calls = false;
};

namespace detail {

/// True unless the first of A... is start_options: the start functions'
/// overloads without options take their arguments only when this holds.
template <class... A>
concept no_start_options_first =
    sizeof...(A) == 0 ||
    !std::is_same_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., void>>>,
                    start_options>;

/// What a behaviour process keeps about itself for reports and sys; found
/// through the process's behaviour slot.
struct behaviour_info {
  pid parent;
  std::vector<pid> ancestors;     ///< parent first, then its ancestors
  std::string name;               ///< registered or via name, or empty
  const char* kind = "proc_lib";  ///< "gen_server", "supervisor", ...
};

/// The ancestors a child of the calling process gets: [caller | caller's ancestors].
std::vector<pid> ancestors_for_child();

}  // namespace detail

/// The child's side of a synchronous start: who started it and how to answer.
/// @threadsafe Owner only (the starting process).
class starter {
 public:
  starter() = default;
  starter(pid parent, ref tag, std::vector<pid> ancestors, bool linked = true,
          bool monitored = false)
      : parent_(parent),
        tag_(tag),
        ancestors_(std::move(ancestors)),
        linked_(linked),
        monitored_(monitored) {}

  /// The process that called start/start_link.
  pid parent() const noexcept { return parent_; }
  /// True for start_link (the child is linked to parent()), false for start.
  /// A child started without a link is its own parent (OTP's gen:start):
  /// an exit from the process that started it is then an ordinary EXIT.
  bool linked() const noexcept { return linked_; }
  /// [parent, grandparent, ...] as far as they are behaviours.
  const std::vector<pid>& ancestors() const noexcept { return ancestors_; }
  /// Moves the ancestors out (ancestors() is empty afterwards), for the
  /// behaviour's bookkeeping to keep without a copy.
  std::vector<pid> take_ancestors() noexcept { return std::move(ancestors_); }
  /// True once ack or fail was called.
  bool acked() const noexcept { return acked_; }

  /// Ends the caller's wait: start_link returns `r`. Later calls do nothing.
  /// @mirrors proc_lib:init_ack/1
  void ack(start_result r);
  /// Reports `{error, reason}` to the caller, then ends the calling process
  /// with `reason` (linked processes get it as an exit signal).
  /// @exits always, with `reason`.
  /// @mirrors proc_lib:init_fail/2
  [[noreturn]] void fail(exit_reason reason);

 private:
  pid parent_;
  ref tag_;
  std::vector<pid> ancestors_;
  bool linked_ = true;
  bool monitored_ = false;  // start_monitor: the parent keeps its monitor after ok
  bool acked_ = false;
};

namespace detail {
/// How a synchronous start ties the caller to the child once it has started.
enum class start_tie : unsigned char { none, link, monitor };

/// Spawns through `spawn` (given the spawn options and the starter) and waits
/// for the ack, the child's death or the start timeout.
task<start_result> sync_start(start_tie tie, const start_options& o,
                              spawned (*spawn)(void* ctx, const spawn_options&, starter),
                              void* ctx);

template <class F, class... A>
task<start_result> start_impl(start_tie tie, start_options o, F f, A... a) {
  struct ctx_t {
    F* f;
    std::tuple<A...>* args;
  };
  std::tuple<A...> args(std::move(a)...);
  ctx_t ctx{&f, &args};
  co_return co_await sync_start(
      tie, o,
      [](void* c, const spawn_options& so, starter st) -> spawned {
        auto* cx = static_cast<ctx_t*>(c);
        return std::apply([&](auto&... xs) { return spawn_opt(so, *cx->f, std::move(st), xs...); },
                          *cx->args);
      },
      &ctx);
}
}  // namespace detail

namespace proc_lib {

/// Starts `f(starter, args...)` (a coroutine returning otp::proc) linked to
/// the caller and waits until the child calls `starter::ack` or
/// `starter::fail`, dies, or `o.start_timeout` passes.
///
/// @returns ok(pid) / ignore / error(reason) as the child acked; error(R)
///   when it died first with R; error(timeout) after killing it on timeout.
///   After an error or ignore the child is dead, and the caller's exit_msg
///   for it (when trapping exits) has been removed from its mailbox.
/// @exits A caller that does not trap exits dies with the child's reason if
///   the child fails with an abnormal reason (the link), as in OTP.
/// @throws otp::badarg outside a process or mailbox thread.
/// @mirrors proc_lib:start_link/5
template <class F, class... A>
task<start_result> start_link(const start_options& o, F f, A... args) {
  return detail::start_impl(detail::start_tie::link, o, std::move(f), std::move(args)...);
}

/// As start_link, without the link (the caller only waits for the ack).
/// @mirrors proc_lib:start/5
template <class F, class... A>
task<start_result> start(const start_options& o, F f, A... args) {
  return detail::start_impl(detail::start_tie::none, o, std::move(f), std::move(args)...);
}

/// As start, with the caller monitoring the child: on ok the result's
/// `monitor` is that monitor (its DOWN comes when the child ends). On error
/// or ignore the child is dead and its DOWN already consumed, as with
/// gen_server:start_monitor.
/// @mirrors proc_lib:start_monitor/5
template <class F, class... A>
task<start_result> start_monitor(const start_options& o, F f, A... args) {
  return detail::start_impl(detail::start_tie::monitor, o, std::move(f), std::move(args)...);
}

/// Builds and emits a crash report for the calling behaviour process (no-op
/// when reports are off or `reason` is normal, shutdown or {shutdown, _}).
/// `last_message` and `state` are already formatted.
void crash_report(const exit_reason& reason, const std::string& last_message,
                  const std::string& state);

}  // namespace proc_lib
}  // namespace otp

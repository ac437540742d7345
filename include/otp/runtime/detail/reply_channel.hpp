// The request/reply primitive: one exchange between a requester and the
// process that answers it, as OTP's
// `monitor(process, Server, [{alias, reply_demonitor}])`.
//
//   requester                                replier
//   reply_channel::open(me, to, request) --> monitor signal carrying the
//     one ref: monitor of `to` and an          request (one envelope)
//     active alias of the requester
//   receive_reply(...)                   <-- send_reply(requester, tag, v):
//     a reply, a refusal, the DOWN of          one envelope sent to the alias
//     the monitor, or the timeout              (signal_kind::aliased_message)
//   channel.close(monitor_dropped)
//
// Invariants:
//  1. A channel is one ref. While open it is an active alias of the requester
//     and (from open, or from the spawn that adopted it) its monitor of the
//     replier; after close() neither: a late reply is dropped at the
//     requester's door and a DOWN never arrives.
//  2. Every answer is one envelope of kind aliased_message whose payload names
//     the channel (reply_msg::ref / reply_refused::ref), so the alias check
//     needs no second envelope.
//  3. A replier that holds the requester's monitor may drop it as the answer
//     goes out (monitor_dropped): the requester then forgets its side without
//     a demonitor signal. Nothing else may touch the monitor of an open channel.
//  4. Only the requester (the process that opened or adopted the channel)
//     calls close(), close_alias() and receive_reply; any process may reply.
//
// Used by gen_server calls and send_request, sys requests, proc_lib start acks
// and tasks (docs/decisions/0002-typed-calls.md).
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "otp/runtime/any_message.hpp"
#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp::detail {

/// A reply on channel `ref`: its value. Also the public task reply
/// (otp::async_reply<T>).
template <class V>
struct reply_msg {
  static constexpr bool otp_alias_tagged = true;  // sent to the alias `ref`
  reply_msg() = default;
  /// The reply `v` on channel `r` (built in place in its envelope).
  template <class U>
  reply_msg(otp::ref r, U&& v) : ref(r), value(std::forward<U>(v)) {}

  otp::ref ref;
  V value;
  /// Set by the runtime: the replier removed the requester's monitor as it
  /// replied (invariant 3).
  bool monitor_dropped = false;
};

/// An answer on channel `ref` that refuses the request: the requester's wait
/// ends with `reason` instead of a value (a server of another type refusing
/// a call, for instance).
struct reply_refused {
  static constexpr bool otp_alias_tagged = true;
  otp::ref ref;
  exit_reason reason;
  bool monitor_dropped = false;
};

/// What a wait on one or more channels gave.
template <class V>
struct reply_outcome {
  enum class kind : std::uint8_t {
    timeout,  ///< nothing within the wait (ref is null)
    value,    ///< a reply_msg: `value`
    refused,  ///< a reply_refused: `reason`
    down      ///< the replier ended first: `reason`
  };
  kind how = kind::timeout;
  /// The monitor no longer exists (the replier dropped it, or it ended with
  /// the DOWN): pass to close().
  bool monitor_gone = false;
  otp::ref ref;  ///< the channel that answered
  std::optional<V> value;
  exit_reason reason;

  static reply_outcome of(reply_msg<V>&& m) {
    return {kind::value, m.monitor_dropped, m.ref, std::move(m.value), exit_reason()};
  }
  static reply_outcome of(reply_refused&& m) {
    return {kind::refused, m.monitor_dropped, m.ref, std::nullopt, std::move(m.reason)};
  }
  /// No answer within the wait.
  static reply_outcome of() { return {}; }
  static reply_outcome of(down_msg&& d) {
    return {kind::down, true, d.monitor, std::nullopt, std::move(d.reason)};
  }
};

/// The requester's end of one exchange: a ref that is its monitor of the
/// replier and an active alias of itself. A plain value (the ref); closing
/// is explicit.
class reply_channel {
 public:
  reply_channel() = default;
  /// The channel whose ref is `tag` (one the caller opened or adopted).
  explicit reply_channel(otp::ref tag) noexcept : tag_(tag) {}

  /// Opens a channel from `me` to `to`: a fresh ref becomes me's monitor of
  /// `to` and an active alias of me, and `request` (a message, owned) goes to
  /// `to` inside the monitor signal, one envelope (a dead `to` answers DOWN
  /// noproc and the request is dropped).
  /// @throws std::bad_alloc (request destroyed, nothing kept).
  /// @param tag a fresh ref (make_ref()), already in `request` as its tag.
  static reply_channel open(process& me, pid to, otp::ref tag, envelope* request);
  /// Makes `tag` the ref of a channel of `me`: activates it as an alias. For
  /// a monitor made elsewhere: a spawn given `tag` as its monitor_ref, or a
  /// monitor already taken. A null `tag` gets a fresh ref.
  static reply_channel adopt(process& me, otp::ref tag = {});

  otp::ref tag() const noexcept { return tag_; }

  /// Ends the exchange: the monitor (forgotten locally when `monitor_gone`,
  /// else demonitored with a queued DOWN flushed) and the alias. Idempotent.
  void close(bool monitor_gone = false) const noexcept;
  /// Deactivates the alias and keeps the monitor (a start_monitor keeps
  /// watching the started process; a stream waits for its tasks' DOWNs).
  void close_alias() const noexcept;

 private:
  otp::ref tag_;
};

/// Removes the requester's monitor `tag` of the calling process when
/// `requester` holds it; true when it did (invariant 3). False outside a
/// process or when the caller is not the monitored process.
bool drop_requester_monitor(pid requester, otp::ref tag) noexcept;

/// Sends an answer T (reply_msg or reply_refused, built in its envelope
/// from `a`) on its channel of `requester`, one envelope; with `drop_monitor`, the calling process
/// drops the requester's monitor of it as the answer goes out (only when it holds it: see
/// drop_requester_monitor).
/// @throws std::bad_alloc (nothing sent).
template <class T, class... A>
void send_answer(pid requester, bool drop_monitor, A&&... a) {
  static_assert(T::otp_alias_tagged, "an answer names its channel in `ref`");
  node_impl& n = require_node("reply");
  auto* m = static_cast<message_envelope<T>*>(make_message<T>(std::forward<A>(a)...));
  m->kind = signal_kind::aliased_message;
  // Nothing can fail from here on: the monitor is dropped only for an answer
  // that is sent.
  if (drop_monitor) m->value.monitor_dropped = drop_requester_monitor(requester, m->value.ref);
  send_envelope(n, requester, m);
}

/// Replies `v` on channel `tag` of `requester` (dropped there when the
/// requester has closed the channel).
template <class V>
void send_reply(pid requester, otp::ref tag, V&& v, bool drop_monitor = true) {
  send_answer<reply_msg<std::decay_t<V>>>(requester, drop_monitor, tag, std::forward<V>(v));
}

/// Refuses the request on channel `tag` of `requester` with `reason`.
inline void send_refusal(pid requester, otp::ref tag, exit_reason reason) {
  send_answer<reply_refused>(requester, true, reply_refused{tag, std::move(reason)});
}

/// Whether a channel ref is one the waiter waits on.
template <class Has>
concept channel_filter = requires(const Has& h, otp::ref r) {
  { h(r) } -> std::convertible_to<bool>;
};

/// The one channel `tag`.
struct on_channel {
  otp::ref tag;
  bool operator()(otp::ref r) const noexcept { return r == tag; }
};

/// receive_reply's default: give the reply_outcome itself.
struct as_outcome {};

/// Receives the answer to a channel that `has` accepts: its reply_msg<V>,
/// its refusal, or the DOWN of its monitor; after `t`, a timeout outcome. The
/// channel stays open (close it with the outcome's monitor_gone).
/// @param map turns the reply_outcome<V> into what the receive gives
///   (by default the outcome itself).
/// Returns the receive awaitable (co_await it, or .starting_at(mark) first).
template <class V, channel_filter Has, class Map = as_outcome>
auto receive_reply(Has has, timeout t, Map map = {}) {
  using O = reply_outcome<V>;
  // Without a map the outcome is built where the receive keeps it (no move).
  auto give = [&] {
    if constexpr (std::is_same_v<Map, as_outcome>)
      return [](auto&&... a) { return O::of(std::forward<decltype(a)>(a)...); };
    else
      return [map](auto&&... a) { return map(O::of(std::forward<decltype(a)>(a)...)); };
  }();
  return receive(when([has](const reply_msg<V>& m) { return has(m.ref); },
                      [give](reply_msg<V>&& m) { return give(std::move(m)); }),
                 when([has](const down_msg& d) { return has(d.monitor); },
                      [give](down_msg&& d) { return give(std::move(d)); }),
                 when([has](const reply_refused& m) { return has(m.ref); },
                      [give](reply_refused&& m) { return give(std::move(m)); }),
                 after(t, [give] { return give(); }));
}

/// The answer `m` holds to a channel that `has` accepts (the value is moved
/// out of `m`), or nullopt when `m` is something else.
template <class V, channel_filter Has>
std::optional<reply_outcome<V>> reply_in(any_message& m, const Has& has) {
  using O = reply_outcome<V>;
  if (auto* r = m.get_if<reply_msg<V>>(); r != nullptr && has(r->ref)) return O::of(std::move(*r));
  if (auto* d = m.get_if<down_msg>(); d != nullptr && has(d->monitor)) return O::of(std::move(*d));
  if (auto* c = m.get_if<reply_refused>(); c != nullptr && has(c->ref)) return O::of(std::move(*c));
  return std::nullopt;
}

}  // namespace otp::detail

// Stages: demand-driven pipelines with back-pressure, GenStage's model on
// the gen_server engine. Demand flows upstream, events downstream, and a
// producer never sends a consumer more events than it asked for.
//
// A stage is a C++ type whose event types say what it is:
//
//   struct numbers {                       // a producer: `using out`
//     using out = long;
//     long next = 0;
//     std::vector<long> handle_demand(std::size_t demand) {  // handle_demand/2
//       std::vector<long> v(demand);
//       for (long& x : v) x = next++;
//       return v;                          // {:noreply, events, state}
//     }
//   };
//   struct plus_one {                      // a producer_consumer: both
//     using in = long;
//     using out = long;
//     std::vector<long> handle_events(std::vector<long> v, otp::stage_from) {
//       for (long& x : v) ++x;
//       return v;
//     }
//   };
//   struct printer {                       // a consumer: `using in`
//     using in = long;
//     void handle_events(std::vector<long> v, otp::stage_from) { ... }
//   };
//
//   auto p = co_await otp::gen_stage::start_link<numbers>();
//   auto c = co_await otp::gen_stage::start_link<printer>();
//   co_await otp::gen_stage::sync_subscribe(c.ref(), p.ref(), {.max_demand = 1000});
//
// Callbacks (each optional but the event handlers; GenStage's in brackets):
// - stage_options init()                       [init/1's options]
// - handle_demand(std::size_t) (producers)     [handle_demand/2]
// - handle_events(std::vector<in>, stage_from) [handle_events/3]
// - demand_mode handle_subscribe(stage_peer, const subscription_options&, stage_from)
//                                              [handle_subscribe/4]
// - handle_cancel(cancellation, stage_from)    [handle_cancel/3]
// - handle_info, handle_cast, handle_call      [as gen_server's]
// - terminate(const exit_reason&), format_status()
// - bool format_discarded(std::size_t)         [format_discarded/2]
// Every callback but handle_call and handle_subscribe returns void,
// otp::server_result (e.g. otp::stop(reason)), or, in a producer or
// producer_consumer, a std::vector<out> of events to emit. Callbacks are
// plain functions (not coroutines). handle_call answers as a gen_server's;
// a producer's may return otp::stage_reply<R, out>{reply, events} to emit
// events with its reply ({:reply, reply, events, state}).
//
// Semantics are GenStage's (docs/guide/stages.md has the name table):
// the demand dispatcher, min/max demand batching, automatic and manual
// demand, the producer's buffer (buffer_size, buffer_keep), accumulated
// demand, and the cancel modes. Differences: a producer checks the event
// type a consumer takes when it subscribes, and cancels a mismatch with
// {bad_event_type,Expected,Got}.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/server_ref.hpp"
#include "otp/runtime/process.hpp"
#include "otp/services/detail/stage_server.hpp"
#include "otp/services/stage_options.hpp"

namespace otp {

/// A reference to a running stage whose callbacks are U's.
template <class U>
using stage_ref = server_ref<detail::stage_server<U>>;

namespace detail {
/// What a subscription names: the ref's pid, or its name when it has none.
template <class P>
std::variant<pid, server_name> target_of(const stage_ref<P>& producer) {
  if (producer.get_pid().is_null()) return producer.name();
  return producer.get_pid();
}
/// A deliver function that sends `msg` to `to` (run by the stage itself).
template <class M>
std::function<void()> deliver_to(pid to, M msg) {
  auto m = std::make_shared<M>(std::move(msg));
  return [to, m] { send(to, std::move(*m)); };
}
template <class U, class M>
inline constexpr bool handles_info_v = requires(U& u, M& m) {
  u.handle_info(m);
};
}  // namespace detail

namespace gen_stage {

/// Starts a stage of type U linked to the caller: U(args...), then U::init()
/// for its options (subscriptions included), then returns.
/// @returns as gen_server::start_link (ok with the pid; ref() is a stage_ref<U>).
/// @mirrors GenStage.start_link/3
template <class U, class... A>
task<started<detail::stage_server<U>>> start_link(start_options o, A... args) {
  return gen_server::start_link<detail::stage_server<U>>(std::move(o), std::move(args)...);
}
template <class U, class... A>
requires detail::no_start_options_first<A...> task<started<detail::stage_server<U>>> start_link(
    A... args) {
  return start_link<U>(start_options{}, std::move(args)...);
}
/// As start_link, without a link. @mirrors GenStage.start/3
template <class U, class... A>
task<started<detail::stage_server<U>>> start(start_options o, A... args) {
  return gen_server::start<detail::stage_server<U>>(std::move(o), std::move(args)...);
}
template <class U, class... A>
requires detail::no_start_options_first<A...> task<started<detail::stage_server<U>>> start(
    A... args) {
  return start<U>(start_options{}, std::move(args)...);
}

/// A child spec that starts a stage of type U linked to its supervisor,
/// with options `o` (a name, say) and U(args...).
/// @mirrors a GenStage module's child_spec/1
template <class U, class... A>
child_spec child(std::string id, start_options o, A... args) {
  child_spec c;
  c.id = std::move(id);
  c.start = [o = std::move(o), args...]() -> task<start_result> {
    co_return co_await start_link<U>(o, args...);
  };
  return c;
}

/// A reference to the stage of type U registered as `name`, resolved at
/// each use. @mirrors calling GenStage functions with a registered name
template <class U>
stage_ref<U> whereis(server_name name) {
  return stage_ref<U>(std::move(name));
}

/// Subscribes `consumer` to `producer` and waits until the consumer has
/// sent its subscription (the producer handles it next).
/// @param o max_demand >= 1, min_demand < max_demand (default max/2), cancel mode.
/// @returns the subscription's tag; error `not_a_consumer` when C takes no
///   events, `{bad_opts, ...}` for bad options. A producer that is not
///   alive stops a consumer whose cancel mode is not temporary (noproc).
/// @exits as otp::call (the consumer not alive: noproc; timeout).
/// @mirrors GenStage.sync_subscribe/3
template <class C, class P>
auto sync_subscribe(const stage_ref<C>& consumer, const stage_ref<P>& producer,
                    subscription_options o = {}, timeout t = timeout(default_call_timeout)) {
  static_assert(detail::emits_events<P>, "sync_subscribe: the producer emits no events");
  static_assert(detail::takes_events<C>, "sync_subscribe: the consumer takes no events");
  static_assert(std::is_same_v<typename P::out, typename C::in>,
                "sync_subscribe: the producer's events (out) are not the consumer's (in)");
  return call(consumer, detail::stage_subscribe_req{detail::target_of(producer), o}, t);
}

/// As sync_subscribe, to a producer given by pid or name (its event type is
/// checked when it handles the subscription).
template <class C>
auto sync_subscribe(const stage_ref<C>& consumer, std::variant<pid, server_name> producer,
                    subscription_options o = {}, timeout t = timeout(default_call_timeout)) {
  return call(consumer, detail::stage_subscribe_req{std::move(producer), o}, t);
}

/// As sync_subscribe, without waiting. @mirrors GenStage.async_subscribe/2
template <class C, class P>
void async_subscribe(const stage_ref<C>& consumer, const stage_ref<P>& producer,
                     subscription_options o = {}) {
  static_assert(std::is_same_v<typename P::out, typename C::in>,
                "async_subscribe: the producer's events (out) are not the consumer's (in)");
  cast(consumer, detail::stage_subscribe_req{detail::target_of(producer), o});
}

/// Asks the producer of subscription `from` for `demand` more events. For
/// a consumer whose handle_subscribe chose manual demand; call it in that
/// consumer's callbacks.
/// @throws otp::badarg outside a process. @mirrors GenStage.ask/3
inline void ask(stage_from from, std::size_t demand) {
  if (demand == 0) return;
  send(from.stage, detail::stage_ask_msg{{self(), from.tag}, demand});
}

/// Cancels subscription `from` ({producer pid, tag}) with `reason`: the
/// producer forgets it and tells the consumer, which reacts as its cancel
/// mode says. @mirrors GenStage.cancel/3
inline void cancel(stage_from from, exit_reason reason) {
  send(from.stage, detail::stage_cancel_upstream_msg{{self(), from.tag}, std::move(reason)});
}

/// The producer's demand mode. @mirrors GenStage.demand/1
template <class P>
auto demand(const stage_ref<P>& producer, timeout t = timeout(default_call_timeout)) {
  return call(producer, detail::stage_demand_get{}, t);
}
/// Sets the producer's demand mode; switching to forward hands the demand
/// accumulated so far to handle_demand, in order. @mirrors GenStage.demand/2
template <class P>
auto demand(const stage_ref<P>& producer, producer_demand mode,
            timeout t = timeout(default_call_timeout)) {
  static_assert(detail::emits_events<P> && !detail::takes_events<P>,
                "demand: only a producer has a demand mode");
  return call(producer, detail::stage_demand_set{mode}, t);
}

/// Queues `msg` for the stage's handle_info behind the events its buffer
/// holds now: it arrives once they have been sent (or discarded), at once
/// when the buffer is empty or the stage is a consumer. Returns at once,
/// whether the stage is alive or not. Typically called by a producer on
/// itself, e.g. to stop after what it emitted has gone out.
/// @param stage the stage (a name is resolved now); U handles M in handle_info.
/// @throws otp::badarg outside a process or mailbox thread.
/// @mirrors GenStage.async_info/2
template <class U, class M>
void async_info(const stage_ref<U>& stage, M msg) {
  static_assert(detail::handles_info_v<U, M>, "async_info: the stage has no handle_info for M");
  const pid to = stage.resolve();
  if (to.is_null()) return;
  send(to, detail::stage_info_req{detail::deliver_to(to, std::move(msg))});
}

/// As async_info, and waits until the stage has queued the message.
/// @returns as otp::call (ok once queued).
/// @exits as otp::call (the stage not alive: noproc; timeout).
/// @mirrors GenStage.sync_info/3
template <class U, class M>
auto sync_info(const stage_ref<U>& stage, M msg, timeout t = timeout(default_call_timeout)) {
  static_assert(detail::handles_info_v<U, M>, "sync_info: the stage has no handle_info for M");
  const pid to = stage.resolve();
  return call(stage, detail::stage_info_req{detail::deliver_to(to, std::move(msg))}, t);
}

/// How many events the stage holds in its buffer (0 for a consumer).
/// @mirrors GenStage.estimate_buffered_count/2
template <class S>
auto estimate_buffered_count(const stage_ref<S>& stage, timeout t = timeout(default_call_timeout)) {
  return call(stage, detail::stage_buffered_count{}, t);
}

}  // namespace gen_stage
}  // namespace otp

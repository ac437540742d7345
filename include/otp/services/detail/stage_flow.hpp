// How demand and events move through a stage whose callbacks are U's:
// subscribing, handling received events in batches and asking for more,
// meeting demand from the buffer or handle_demand, holding demand while a
// producer accumulates, and what each cancel mode does. stage_server<U>
// (stage_server.hpp) is its gen_server face. Not part of the API; see
// otp/services/gen_stage.hpp.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <iterator>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "otp/behaviours/server_name.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/runtime/process.hpp"
#include "otp/services/detail/stage_core.hpp"
#include "otp/services/detail/stage_emitter.hpp"
#include "otp/services/detail/stage_protocol.hpp"
#include "otp/services/detail/stage_types.hpp"
#include "otp/services/stage_options.hpp"

namespace otp::detail {

/// Whether a callback's result stops the stage.
inline bool stops(const server_result& r) noexcept {
  return r.get_kind() == server_result::kind::stop;
}

template <class U>
class stage_flow {
 public:
  static constexpr bool emits = emits_events<U>;
  static constexpr bool takes = takes_events<U>;
  static constexpr bool is_producer = emits && !takes;
  using out_t = typename stage_out<U>::type;
  using in_t = typename stage_in<U>::type;

  template <class... A>
  explicit stage_flow(A&&... a) : user(std::forward<A>(a)...) {}

  U user;

 protected:
  /// Runs a user callback and applies what it returned: nothing, a
  /// server_result, or events to emit.
  template <class F>
  server_result absorb(F&& f) {
    using R = std::remove_cvref_t<decltype(f())>;
    if constexpr (std::is_void_v<R>) {
      f();
      return noreply();
    } else if constexpr (std::is_same_v<R, server_result>) {
      return f();
    } else {
      static_assert(emits && std::is_same_v<R, std::vector<out_t>>,
                    "a stage callback returns void, otp::server_result, or (a producer or "
                    "producer_consumer) the events to emit as std::vector<out>");
      emit(f());
      return noreply();
    }
  }

  /// An async_info: behind the events the stage holds (a producer_consumer's
  /// queue of received ones, a producer's accumulated ones, the buffer).
  void queue_info(std::function<void()> deliver) {
    if constexpr (!emits) {
      deliver();
    } else {
      if constexpr (takes) {
        if (!queue_.empty()) {
          queue_.push_back(queued{{}, {}, std::nullopt, std::move(deliver)});
          return;
        }
      }
      if constexpr (is_producer) {
        if (accumulating_) {
          held_.emplace_back(std::move(deliver));
          return;
        }
      }
      out_.queue_info(std::move(deliver));
    }
  }

  /// Dispatches events a callback returned (held while accumulating).
  void emit(std::vector<out_t>&& events) {
    if constexpr (is_producer) {
      if (accumulating_) {
        held_.emplace_back(std::move(events));
        return;
      }
    }
    const std::size_t sent = out_.dispatch(std::move(events));
    if constexpr (takes) downstream_demand_ -= std::min(downstream_demand_, sent);
  }

  /// Consumers asked for `counter` more (what the dispatcher forwards).
  server_result demanded(std::size_t counter) {
    if constexpr (takes) {  // a producer_consumer: its queue waits for this
      downstream_demand_ += counter;
      out_.take_from_buffer(downstream_demand_);
      return take_queued();
    } else {
      counter = out_.take_from_buffer(counter);
      if (counter == 0) return noreply();
      if (accumulating_) {
        held_.emplace_back(counter);
        return noreply();
      }
      return absorb([&] { return user.handle_demand(counter); });
    }
  }

  /// Accumulated demand and events, in their order, once forwarding again.
  server_result replay_held() {
    std::vector<held> all = std::move(held_);
    held_.clear();
    for (held& h : all) {
      server_result r = noreply();
      if (auto* n = std::get_if<std::size_t>(&h))
        r = demanded(*n);
      else if (auto* events = std::get_if<std::vector<out_t>>(&h))
        emit(std::move(*events));
      else
        out_.queue_info(std::move(std::get<std::function<void()>>(h)));
      if (stops(r)) return r;
    }
    return noreply();
  }

  /// Subscribes this stage to `to`. Sets `then` to a stop when the stage
  /// must stop (producer not alive and the cancel mode is not temporary).
  subscribe_result subscribe(std::variant<pid, server_name> to, subscription_options o,
                             server_result& then) {
    if constexpr (!takes) {
      return {{}, "not_a_consumer"};
    } else {
      if (auto bad = check_subscription(o)) return {{}, *bad};
      const pid p =
          std::holds_alternative<pid>(to) ? std::get<pid>(to) : std::get<server_name>(to).whereis();
      if (p.is_null() || !is_alive(p)) {
        if (o.cancel != cancel_mode::temporary) then = stop(exit_reason::noproc());
        return {make_ref(), {}};
      }
      const ref tag = monitor(p);
      const stage_from producer{p, tag};
      send(p, stage_subscribe_msg{{self(), tag}, o, &typeid(in_t)});
      demand_mode mode = demand_mode::automatic;
      if constexpr (requires(U & u) { u.handle_subscribe(stage_peer::producer, o, producer); })
        mode = user.handle_subscribe(stage_peer::producer, o, producer);
      upstream u{producer, o.cancel, mode == demand_mode::manual, 0, *o.min_demand, o.max_demand};
      if (!u.manual) {
        u.demand = u.max;
        send(p, stage_ask_msg{{self(), tag}, u.max});
      }
      ins_.add(u);
      return {tag, {}};
    }
  }

  /// Handles events from `from` in batches, asking for more after each.
  server_result consume(upstream& u, stage_from from, std::vector<in_t>&& events) {
    split_batches(u, events.size(), batches_);
    if (batches_.size() == 1) return handle_batch(from, std::move(events), batches_[0].ask);
    const std::vector<stage_batch> plan = batches_;
    std::size_t pos = 0;
    for (const stage_batch& b : plan) {
      auto first = std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(pos));
      server_result r = handle_batch(
          from, std::vector<in_t>(first, first + static_cast<std::ptrdiff_t>(b.size)), b.ask);
      pos += b.size;
      if (stops(r)) return r;
    }
    return noreply();
  }

  /// A producer_consumer queues what it receives, and handles it in order
  /// while it has demand to meet.
  server_result enqueue(stage_from from, std::vector<in_t>&& events) {
    queue_.push_back(queued{from, std::move(events), std::nullopt, {}});
    return take_queued();
  }

  /// A producer_consumer handles queued events while it has demand to meet.
  server_result take_queued() {
    while (downstream_demand_ > 0 && !queue_.empty()) {
      queued q = std::move(queue_.front());
      queue_.pop_front();
      server_result r = noreply();
      if (q.info)
        out_.queue_info(std::move(q.info));
      else if (q.cancelled)
        r = invoke_cancel(*q.cancelled, q.producer);
      else if (upstream* u = ins_.find(q.producer.tag))
        r = consume(*u, q.producer, std::move(q.events));
      else  // cancelled since: handled, nothing asked
        r = handle_batch(q.producer, std::move(q.events), 0);
      if (stops(r)) return r;
    }
    return noreply();
  }

  server_result consumer_cancel(ref tag, cancellation::cause why, exit_reason reason) {
    std::optional<upstream> u = ins_.remove(tag);
    if (!u) return noreply();
    demonitor(tag, {.flush = true});
    ended e{u->cancel, cancellation{why, std::move(reason)}};
    if constexpr (emits)
      if (!queue_.empty()) {  // after the events queued before it
        queue_.push_back(queued{u->producer, {}, std::move(e), {}});
        return noreply();
      }
    return invoke_cancel(e, u->producer);
  }

  server_result producer_cancel(ref tag, cancellation::cause why, exit_reason reason) {
    if constexpr (!emits) {
      return noreply();
    } else {
      std::optional<downstream> d = out_.consumers.remove(tag);
      if (!d) return noreply();
      demonitor(d->monitor, {.flush = true});
      send(d->consumer.stage, stage_cancel_downstream_msg{{self(), tag}, reason});
      // Out of the dispatcher first, so events handle_cancel emits do not go
      // to the consumer that left.
      const std::size_t counter = out_.cancel(tag);
      if constexpr (requires(U & u, cancellation c) { u.handle_cancel(c, d->consumer); }) {
        server_result r = absorb([&] {
          return user.handle_cancel(cancellation{why, reason}, d->consumer);
        });
        if (stops(r) || counter == 0) return r;
      }
      return counter > 0 ? demanded(counter) : noreply();
    }
  }

  stage_emitter<out_t> out_;
  upstreams ins_;
  bool accumulating_ = false;

 private:
  struct ended {
    cancel_mode mode;
    cancellation what;
  };
  /// Events (or a cancellation) a producer_consumer has not handled yet.
  struct queued {
    stage_from producer;
    std::vector<in_t> events;
    std::optional<ended> cancelled;
    std::function<void()> info;  // async_info behind the events queued before it
  };
  using held = std::variant<std::size_t, std::vector<out_t>, std::function<void()>>;

  server_result handle_batch(stage_from from, std::vector<in_t>&& batch, std::size_t ask) {
    server_result r = absorb([&] { return user.handle_events(std::move(batch), from); });
    if (ask > 0) send(from.stage, stage_ask_msg{{self(), from.tag}, ask});
    return r;
  }

  server_result invoke_cancel(const ended& e, stage_from producer) {
    if constexpr (requires(U & u) { u.handle_cancel(e.what, producer); }) {
      server_result r = absorb([&] { return user.handle_cancel(e.what, producer); });
      if (stops(r)) return r;
    }
    // A broadcast producer refusing a second subscription of this stage
    // leaves the first one in place: nothing to stop for (as GenStage).
    if (e.what.reason == exit_reason::other("already_subscribed")) return noreply();
    if (cancel_stops(e.mode, e.what.reason)) return stop(e.what.reason);
    return noreply();
  }

  std::vector<stage_batch> batches_;
  std::deque<queued> queue_;
  std::size_t downstream_demand_ = 0;
  std::vector<held> held_;
};

}  // namespace otp::detail

// A stage as a gen_server: stage_server<U> is the gen_server callback type
// that runs the GenStage protocol around the user's stage type U and calls
// U's callbacks. Not part of the API; see otp/services/gen_stage.hpp.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "otp/behaviours/from.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/behaviours/types.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/services/detail/stage_core.hpp"
#include "otp/services/detail/stage_flow.hpp"
#include "otp/services/detail/stage_protocol.hpp"
#include "otp/services/detail/stage_types.hpp"
#include "otp/services/stage_options.hpp"

namespace otp::detail {

template <class T>
struct is_stage_reply : std::false_type {};
template <class R, class E>
struct is_stage_reply<stage_reply<R, E>> : std::true_type {};

template <class U>
class stage_server : public stage_flow<U> {
  static_assert(emits_events<U> || takes_events<U>,
                "a stage declares `using out = E;` (a producer), `using in = E;` (a consumer), "
                "or both (a producer_consumer)");
  using base = stage_flow<U>;
  using base::emits;
  using base::is_producer;
  using base::takes;
  using base::user;
  using typename base::in_t;
  using typename base::out_t;

 public:
  using info =
      concat_t<types<stage_subscribe_msg, stage_ask_msg, stage_cancel_upstream_msg,
                     stage_events_msg<in_t>, stage_cancel_downstream_msg, stage_info_req, down_msg>,
               without_t<down_msg, decltype(info_list<U>())>>;

  using base::base;

  server_result init() {
    stage_options o;
    if constexpr (requires(U & u) { u.init(); }) o = user.init();
    if constexpr (emits) {
      this->out_.stage_type = &typeid(U);
      this->out_.buffer_size = o.buffer_size.value_or(takes ? unbounded : 10'000);
      this->out_.keep = o.buffer_keep;
      typename stage_dispatcher<out_t>::partition_fn by;
      if constexpr (requires(U & u, const out_t& e) {
                      { u.partition(e) } -> std::convertible_to<std::optional<std::size_t>>;
                    })
        by = [this](const out_t& e) { return std::optional<std::size_t>(user.partition(e)); };
      this->out_.dispatcher.configure(o.dispatcher, std::move(by));
      if constexpr (requires(U & u, std::size_t n) {
                      { u.format_discarded(n) } -> std::convertible_to<bool>;
                    })
        this->out_.format_discarded = [this](std::size_t n) { return user.format_discarded(n); };
    }
    if constexpr (is_producer) this->accumulating_ = o.demand == producer_demand::accumulate;
    server_result r = noreply();
    if constexpr (takes)
      for (subscribe_to& s : o.subscribe_to) {
        this->subscribe(std::move(s.to), s.options, r);
        if (stops(r)) break;
      }
    return r;
  }

  /// U's terminate, plain or a coroutine (a task<void> the server awaits).
  auto terminate(const exit_reason& reason) requires requires(U& u, const exit_reason& r) {
    u.terminate(r);
  }
  { return user.terminate(reason); }

  std::string format_status() const {
    if constexpr (requires(const U& u) { u.format_status(); })
      return user.format_status();
    else
      return format_opaque_state(typeid(U));
  }

  // --- the protocol ---

  server_result handle_info(stage_subscribe_msg& m) {
    if constexpr (!emits) {
      send(m.consumer.stage, stage_cancel_downstream_msg{{self(), m.consumer.tag},
                                                         exit_reason::other("not_a_producer")});
      return noreply();
    } else {
      if (this->out_.consumers.find(m.consumer.tag) != nullptr) {
        send(m.consumer.stage,
             stage_cancel_downstream_msg{{self(), m.consumer.tag},
                                         exit_reason::other("duplicated_subscription")});
        return noreply();
      }
      if (m.event_type != nullptr && *m.event_type != typeid(out_t)) {
        send(m.consumer.stage,
             stage_cancel_downstream_msg{{self(), m.consumer.tag},
                                         bad_event_type(typeid(out_t), *m.event_type)});
        return noreply();
      }
      this->out_.consumers.add({m.consumer, monitor(m.consumer.stage)});
      if constexpr (requires(U & u) {
                      u.handle_subscribe(stage_peer::consumer, m.options, m.consumer);
                    }) {
        if (user.handle_subscribe(stage_peer::consumer, m.options, m.consumer) !=
            demand_mode::automatic)
          return stop(exit_reason::other("{bad_return_value,manual}"));
      }
      if (auto refused = this->out_.dispatcher.subscribe(m.options, m.consumer))
        return this->producer_cancel(m.consumer.tag, cancellation::cause::cancel,
                                     std::move(*refused));
      return noreply();
    }
  }

  server_result handle_info(stage_ask_msg& m) {
    if constexpr (emits) {
      const downstream* d = this->out_.consumers.find(m.consumer.tag);
      if (d == nullptr) {
        send(m.consumer.stage,
             stage_cancel_downstream_msg{{self(), m.consumer.tag},
                                         exit_reason::other("unknown_subscription")});
        return noreply();
      }
      return this->demanded(this->out_.ask(m.demand, d->consumer));
    } else {
      return noreply();
    }
  }

  server_result handle_info(stage_cancel_upstream_msg& m) {
    return this->producer_cancel(m.consumer.tag, cancellation::cause::cancel, std::move(m.reason));
  }

  server_result handle_info(stage_events_msg<in_t>& m) {
    if constexpr (takes) {
      upstream* u = this->ins_.find(m.producer.tag);
      if (u == nullptr) {
        log_unsubscribed_events(typeid(U), m.producer.stage);
        send(m.producer.stage,
             stage_cancel_upstream_msg{{self(), m.producer.tag},
                                       exit_reason::other("unknown_subscription")});
        return noreply();
      }
      if constexpr (emits) {
        return this->enqueue(m.producer, std::move(m.events));
      } else {
        return this->consume(*u, m.producer, std::move(m.events));
      }
    } else {
      return noreply();
    }
  }

  server_result handle_info(stage_cancel_downstream_msg& m) {
    return this->consumer_cancel(m.producer.tag, cancellation::cause::cancel, std::move(m.reason));
  }

  server_result handle_info(stage_info_req& m) {  // async_info
    this->queue_info(std::move(m.deliver));
    return noreply();
  }

  server_result handle_info(down_msg& m) {
    if constexpr (takes)
      if (this->ins_.find(m.monitor) != nullptr)
        return this->consumer_cancel(m.monitor, cancellation::cause::down, std::move(m.reason));
    if constexpr (emits)
      if (downstream* d = this->out_.consumers.find_monitor(m.monitor))
        return this->producer_cancel(d->consumer.tag, cancellation::cause::down,
                                     std::move(m.reason));
    if constexpr (requires(U & u) { u.handle_info(m); })
      return this->absorb([&] { return user.handle_info(m); });
    log_unexpected(typeid(U), typeid(down_msg));
    return noreply();
  }

  // --- the user's own messages, casts and calls ---

  template <class T>
  requires(!std::is_same_v<T, any_message> &&
           requires(U & u, T& v) { u.handle_info(v); }) server_result handle_info(T& m) {
    return this->absorb([&] { return user.handle_info(m); });
  }
  server_result handle_info(any_message& m) requires requires(U& u) { u.handle_info(m); }
  {
    return this->absorb([&] { return user.handle_info(m); });
  }

  template <class M>
  requires handles_cast<U, M> server_result handle_cast(M m) {
    return this->absorb([&] { return user.handle_cast(std::move(m)); });
  }
  server_result handle_cast(stage_subscribe_req r) {  // async_subscribe
    server_result out = noreply();
    this->subscribe(std::move(r.to), r.options, out);
    return out;
  }

  template <class Req>
  requires(requires(U& u, Req&& q) { u.handle_call(std::move(q)); }) decltype(auto)
      handle_call(Req r) {
    return answer([&]() -> decltype(auto) { return user.handle_call(std::move(r)); });
  }
  template <class Req, class R>
  requires(requires(U& u, Req&& q, from<R> f) { u.handle_call(std::move(q), f); }) decltype(auto)
      handle_call(Req r, from<R> f) {
    return answer([&]() -> decltype(auto) { return user.handle_call(std::move(r), f); });
  }
  call_result<subscribe_result> handle_call(stage_subscribe_req r) {
    server_result then = noreply();
    subscribe_result out = this->subscribe(std::move(r.to), r.options, then);
    if (stops(then)) return stop(then.reason(), out);
    return out;
  }
  producer_demand handle_call(stage_demand_get) {
    return this->accumulating_ ? producer_demand::accumulate : producer_demand::forward;
  }
  call_result<void> handle_call(stage_demand_set s) {
    server_result then = set_demand(s.mode);
    if (stops(then)) return stop(then.reason(), std::monostate{});
    return std::monostate{};
  }
  server_result handle_cast(stage_demand_set s) { return set_demand(s.mode); }
  call_result<void> handle_call(stage_info_req r) {  // sync_info
    this->queue_info(std::move(r.deliver));
    return std::monostate{};
  }
  std::size_t handle_call(stage_buffered_count) {
    if constexpr (emits)
      return this->out_.buffered();
    else
      return 0;
  }

 private:
  /// A producer's demand mode; switching to forward replays what was held.
  server_result set_demand(producer_demand mode) {
    if constexpr (is_producer) {
      const bool was = this->accumulating_;
      this->accumulating_ = mode == producer_demand::accumulate;
      if (was && !this->accumulating_) return this->replay_held();
    }
    return noreply();
  }

  /// The reply of U's handle_call `f`; a stage_reply's events go out first.
  template <class F>
  decltype(auto) answer(F&& f) {
    if constexpr (is_stage_reply<std::remove_cvref_t<decltype(f())>>::value) {
      static_assert(emits, "a consumer's handle_call has no events to emit (stage_reply)");
      auto a = f();
      this->emit(std::move(a.events));
      return decltype(a.reply)(std::move(a.reply));  // by value
    } else {
      return f();
    }
  }
};

}  // namespace otp::detail

// A producer fed from plain code: a container, a range or a generator
// function. It emits the next items as consumers ask and stops with reason
// normal once they have all gone out, so a consumer subscribed with cancel
// permanent (the default) also stops, normal; transient or temporary ones
// go on.
//
//   auto src = co_await otp::gen_stage::from_enumerable(std::vector<long>{1, 2, 3});
//   co_await otp::gen_stage::sync_subscribe(consumer, src.ref(), {.max_demand = 2});
//
//   long n = 0;  // an endless generator: 0, 1, 2, ...
//   auto gen = co_await otp::gen_stage::from_generator([n]() mutable {
//     return std::optional<long>(n++);
//   });
#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "otp/behaviours/server_result.hpp"
#include "otp/services/gen_stage.hpp"

namespace otp {

/// What a from_enumerable producer does when its last consumer cancels.
/// @mirrors from_enumerable's `:on_cancel` (:continue | :stop)
enum class enumerable_cancel : unsigned char {
  continue_,  ///< keeps running, for consumers to come (the default)
  stop,       ///< stops with reason normal once every consumer has cancelled
};

/// The options of gen_stage::from_enumerable and from_generator.
/// @mirrors GenStage.from_enumerable/2 options
struct enumerable_options {
  /// Link the producer to the caller (start_link) or not (start).
  bool link = true;
  /// Start options: a name, say.
  start_options start{};
  /// How items are shared among consumers.
  dispatcher_options dispatcher = demand_dispatch{};
  /// accumulate: hold the demand until gen_stage::demand sets forward, so
  /// every consumer can subscribe before the first item goes out.
  producer_demand demand = producer_demand::forward;
  enumerable_cancel on_cancel = enumerable_cancel::continue_;
};

/// The stage type behind from_enumerable and from_generator: a producer
/// of E whose items come from `next` (no value: there are no more).
/// @mirrors GenStage.Streamer
template <class E>
struct enumerable_producer {
  using out = E;
  /// Sent to itself behind the last items: stop, normal.
  struct exhausted {};

  enumerable_producer(std::function<std::optional<E>()> n, enumerable_options o)
      : next(std::move(n)), options(std::move(o)) {}

  std::function<std::optional<E>()> next;
  enumerable_options options;
  bool done = false;
  std::unordered_set<ref> consumers{};

  stage_options init() { return {.demand = options.demand, .dispatcher = options.dispatcher}; }

  /// Takes up to `demand` items; at the end, queues `exhausted` behind them.
  /// A throwing `next` crashes the producer with that exception.
  std::vector<E> handle_demand(std::size_t demand) {
    std::vector<E> items;
    if (done) return items;
    items.reserve(demand < 4096 ? demand : 4096);
    while (items.size() < demand) {
      std::optional<E> item = next();
      if (!item) {
        done = true;
        next = nullptr;  // frees what the source held
        gen_stage::async_info(stage_ref<enumerable_producer>(self()), exhausted{});
        break;
      }
      items.push_back(std::move(*item));
    }
    return items;
  }

  server_result handle_info(exhausted&) { return stop(exit_reason::normal()); }

  demand_mode handle_subscribe(stage_peer, const subscription_options&, stage_from consumer) {
    if (options.on_cancel == enumerable_cancel::stop) consumers.insert(consumer.tag);
    return demand_mode::automatic;
  }

  server_result handle_cancel(const cancellation&, stage_from consumer) {
    if (consumers.erase(consumer.tag) == 1 && consumers.empty()) return stop(exit_reason::normal());
    return noreply();
  }
};

namespace gen_stage {

/// Starts a producer that emits the items `gen()` returns, in order, until
/// it returns no value; then stops with reason normal once they are sent.
/// @param gen a callable returning std::optional<E>; called in the
///   producer's process only, one item at a time, as much as consumers ask.
///   It should not block: a consumer waits for the whole batch it asked for.
/// @returns as start_link (or start when o.link is false).
/// @mirrors GenStage.from_enumerable/2 with a Stream.resource
template <class F, class E = typename std::invoke_result_t<F&>::value_type>
task<started<detail::stage_server<enumerable_producer<E>>>> from_generator(
    F gen, enumerable_options o = {}) {
  static_assert(std::is_convertible_v<std::invoke_result_t<F&>, std::optional<E>>,
                "from_generator: the generator returns std::optional<E>");
  start_options so = o.start;
  std::function<std::optional<E>()> next(std::move(gen));
  if (o.link) return start_link<enumerable_producer<E>>(std::move(so), std::move(next), o);
  return start<enumerable_producer<E>>(std::move(so), std::move(next), o);
}

/// Starts a producer that emits the items of `range` (moved or copied into
/// it: a container, a view), in order, then stops with reason normal.
/// @returns as start_link (or start when o.link is false).
/// @mirrors GenStage.from_enumerable/2
template <std::ranges::input_range R>
auto from_enumerable(R range, enumerable_options o = {}) {
  using E = std::ranges::range_value_t<R>;
  struct cursor {
    R items;
    std::ranges::iterator_t<R> at;
    explicit cursor(R r) : items(std::move(r)), at(std::ranges::begin(items)) {}
  };
  auto c = std::make_shared<cursor>(std::move(range));
  return from_generator(
      [c]() -> std::optional<E> {
        if (c->at == std::ranges::end(c->items)) return std::nullopt;
        std::optional<E> item(std::move(*c->at));
        ++c->at;
        return item;
      },
      std::move(o));
}

}  // namespace gen_stage
}  // namespace otp

// A consumer a plain thread drains: the thread's otp::mailbox subscribes to
// producers and next() blocks until an event comes, with the same demand
// as a consumer stage (max_demand asked at first, max - min again each
// time that many have been taken), so the producers stay back-pressured by
// the thread's pace.
//
//   otp::mailbox mb(node);
//   otp::stage_stream<long> s(mb);
//   s.subscribe(producer, {.max_demand = 100, .cancel = otp::cancel_mode::transient});
//   for (long x : s) use(x);   // ends when every producer has finished
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <iterator>
#include <optional>
#include <typeinfo>
#include <utility>
#include <vector>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/mailbox.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/services/gen_stage.hpp"

namespace otp {

/// The events of one or more producers, taken one at a time by a thread
/// that owns an otp::mailbox (the thread is the consumer; it starts no
/// process). While the stream is open the mailbox's other messages stay
/// queued for the thread's own receives.
///
/// Ends (next() returns no value) once no subscription is left: each ends
/// when its producer cancels it or goes down, and a subscription whose
/// cancel mode says so (permanent: always; transient: unless normal,
/// shutdown or {shutdown,_}) makes next() throw otp::exit_error with the
/// producer's reason instead.
/// @threadsafe Owner thread only (the mailbox's).
/// @mirrors GenStage.stream/2
template <class E>
class stage_stream {
 public:
  /// A stream consuming through `mb` (the calling thread's mailbox).
  explicit stage_stream(mailbox& mb) : mb_(&mb) {}
  /// Closes the stream (see close()).
  ~stage_stream() {
    try {
      close();
    } catch (const exit_error&) {  // the mailbox died: nothing to cancel
    }
  }
  stage_stream(const stage_stream&) = delete;
  stage_stream& operator=(const stage_stream&) = delete;

  /// Subscribes the stream to `producer` (of events E) and asks it for
  /// o.max_demand events; then sets the producer's demand mode to `demand`
  /// (forward by default, as GenStage.stream does, so a producer started
  /// accumulating begins emitting).
  /// @throws otp::badarg for bad options (max_demand 0, min_demand not
  ///   below max_demand). @throws otp::exit_error noproc when the producer
  ///   is not alive and o.cancel is not temporary (temporary: nothing).
  /// @mirrors the subscriptions of GenStage.stream/2
  template <class P>
  void subscribe(const stage_ref<P>& producer, subscription_options o = {},
                 producer_demand demand = producer_demand::forward) {
    static_assert(std::is_same_v<typename P::out, E>,
                  "stage_stream::subscribe: the producer's events (out) are not E");
    if (auto bad = detail::check_subscription(o)) throw badarg("stage_stream: " + *bad);
    const pid p = producer.resolve();
    if (p.is_null() || !is_alive(p)) {
      if (o.cancel != cancel_mode::temporary) throw exit_error(exit_reason::noproc());
      return;
    }
    const ref tag = monitor(p);
    send(p, detail::stage_subscribe_msg{{mb_->self(), tag}, o, &typeid(E)});
    send(p, detail::stage_ask_msg{{mb_->self(), tag}, o.max_demand});
    subs_.push_back({{p, tag}, o.cancel, o.max_demand - *o.min_demand, 0});
    cast(stage_ref<P>(p), detail::stage_demand_set{demand});  // as GenStage.demand/2, a cast
  }

  /// The next event, blocking until one comes; no value once every
  /// subscription has ended (or after close()).
  /// @throws otp::exit_error with the producer's reason when a subscription
  ///   ends and its cancel mode stops the consumer (the stream is closed
  ///   first); otp::mailbox_exit when an exit signal ends the mailbox.
  std::optional<E> next() {
    settle_last();
    while (batches_.empty() || batches_.front().at == batches_.front().events.size()) {
      if (!batches_.empty()) batches_.pop_front();
      if (!batches_.empty()) continue;
      if (subs_.empty()) return std::nullopt;
      take_message();
    }
    batch& b = batches_.front();
    last_ = b.tag;
    return std::move(b.events[b.at++]);
  }

  /// Cancels the remaining subscriptions (reason normal) and waits, at
  /// most `t`, for each producer to confirm or go down; events still in
  /// flight are dropped. Later next() calls return no value.
  /// @mirrors halting a GenStage.stream/2 enumeration early
  void close(std::chrono::milliseconds t = std::chrono::milliseconds(5000)) {
    batches_.clear();
    last_.reset();
    for (const sub& s : subs_)
      send(s.producer.stage,
           detail::stage_cancel_upstream_msg{{mb_->self(), s.producer.tag}, exit_reason::normal()});
    const auto deadline = std::chrono::steady_clock::now() + t;
    while (!subs_.empty()) {
      const auto left = std::max(std::chrono::milliseconds(0),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     deadline - std::chrono::steady_clock::now()));
      const std::optional<ref> ended = mb_->receive(
          when(
              [this](const detail::stage_events_msg<E>& m) {
                return find(m.producer.tag) != nullptr;
              },
              [](detail::stage_events_msg<E>&&) { return std::optional<ref>(); }),
          when(
              [this](const detail::stage_cancel_downstream_msg& m) {
                return find(m.producer.tag) != nullptr;
              },
              [](detail::stage_cancel_downstream_msg&& m) {
                return std::optional(m.producer.tag);
              }),
          when([this](const down_msg& m) { return find(m.monitor) != nullptr; },
               [](down_msg&& m) { return std::optional(m.monitor); }),
          after(timeout(left), [this] { return std::optional(subs_.front().producer.tag); }));
      if (ended) drop(*ended);
    }
  }

  /// Iterating takes events with next(); the end is the stream's end.
  class iterator {
   public:
    using value_type = E;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    E& operator*() const { return *s_->current_; }
    iterator& operator++() {
      s_->current_ = s_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& i, std::default_sentinel_t) {
      return !i.s_->current_.has_value();
    }

   private:
    friend class stage_stream;
    explicit iterator(stage_stream* s) : s_(s) {}
    stage_stream* s_ = nullptr;
  };
  /// Takes the first event (blocking). @throws as next()
  iterator begin() {
    current_ = next();
    return iterator(this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  struct sub {
    stage_from producer;
    cancel_mode cancel;
    std::size_t ask_every;  ///< max_demand - min_demand
    std::size_t taken;      ///< taken since the last ask
  };
  struct batch {
    ref tag;
    std::vector<E> events;
    std::size_t at = 0;
  };

  sub* find(ref tag) {
    for (sub& s : subs_)
      if (s.producer.tag == tag) return &s;
    return nullptr;
  }
  void drop(ref tag) {
    demonitor(tag, {.flush = true});
    std::erase_if(subs_, [tag](const sub& s) { return s.producer.tag == tag; });
  }

  /// The event handed out last has been handled: asks again once
  /// max - min of its producer's have been.
  void settle_last() {
    if (!last_) return;
    sub* s = find(*last_);
    last_.reset();
    if (s == nullptr || ++s->taken < s->ask_every) return;
    send(s->producer.stage, detail::stage_ask_msg{{mb_->self(), s->producer.tag}, s->taken});
    s->taken = 0;
  }

  /// Waits for a batch or the end of a subscription.
  void take_message() {
    std::optional<std::pair<ref, exit_reason>> ended = mb_->receive(
        when([this](
                 const detail::stage_events_msg<E>& m) { return find(m.producer.tag) != nullptr; },
             [this](detail::stage_events_msg<E>&& m) {
               batches_.push_back({m.producer.tag, std::move(m.events)});
               return std::optional<std::pair<ref, exit_reason>>();
             }),
        when(
            [this](const detail::stage_cancel_downstream_msg& m) {
              return find(m.producer.tag) != nullptr;
            },
            [](detail::stage_cancel_downstream_msg&& m) {
              return std::optional(std::pair(m.producer.tag, std::move(m.reason)));
            }),
        when(
            [this](const down_msg& m) { return find(m.monitor) != nullptr; },
            [](down_msg&& m) { return std::optional(std::pair(m.monitor, std::move(m.reason))); }));
    if (!ended) return;
    const bool stops = detail::cancel_stops(find(ended->first)->cancel, ended->second);
    drop(ended->first);
    if (stops) {
      close();
      throw exit_error(std::move(ended->second));
    }
  }

  mailbox* mb_;
  std::vector<sub> subs_;
  std::deque<batch> batches_;
  std::optional<ref> last_;
  std::optional<E> current_;
};

}  // namespace otp

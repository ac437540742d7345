// A producer's dispatcher for events of type E: the demand, broadcast or
// partition dispatcher of GenStage, chosen by stage_options::dispatcher.
// Not part of the API; see otp/services/gen_stage.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/process.hpp"
#include "otp/services/detail/stage_core.hpp"
#include "otp/services/detail/stage_protocol.hpp"
#include "otp/services/stage_options.hpp"

namespace otp::detail {

template <class E>
class stage_dispatcher {
 public:
  using partition_fn = std::function<std::optional<std::size_t>(const E&)>;

  /// Chooses the kind. `partition_of` maps an event to its partition (or
  /// none: dropped); empty means std::hash modulo the partition count.
  /// @throws otp::badarg for a partition dispatcher without partitions.
  void configure(const dispatcher_options& o, partition_fn partition_of) {
    if (std::holds_alternative<broadcast_dispatch>(o)) {
      kind_.template emplace<broadcast>();
    } else if (const auto* p = std::get_if<partition_dispatch>(&o)) {
      if (p->partitions == 0) throw badarg("stage: a partition dispatcher needs partitions >= 1");
      partitioned& parts = kind_.template emplace<partitioned>();
      parts.slots.resize(p->partitions);
      parts.hash = std::move(partition_of);
      if (!parts.hash) {
        if constexpr (requires(const E& e) { std::hash<E>{}(e); })
          parts.hash = [n = p->partitions](const E& e) {
            return std::optional<std::size_t>(std::hash<E>{}(e) % n);
          };
        else
          throw badarg(
              "stage: a partition dispatcher needs the producer's partition(const out&) or a "
              "std::hash for its events");
      }
    }
  }

  /// A consumer subscribes. @returns the reason to cancel it with, if the
  /// dispatcher refuses it (a broadcast's second subscription of one
  /// process; a partition that is missing, out of range or taken).
  std::optional<exit_reason> subscribe(const subscription_options& o, stage_from c) {
    if (auto* d = std::get_if<demand_dispatcher>(&kind_)) {
      d->subscribe(c);
    } else if (auto* b = std::get_if<broadcast>(&kind_)) {
      if (b->demand.subscribed(c.stage)) return exit_reason::other("already_subscribed");
      if (o.selector && o.selector.template get<E>() == nullptr)
        return exit_reason::other("{bad_selector,event_type}");
      b->demand.subscribe(c);
      b->selectors.push_back({c.tag, o.selector});
    } else {
      partitioned& p = std::get<partitioned>(kind_);
      if (!o.partition || *o.partition >= p.slots.size())
        return exit_reason::other("{bad_partition," +
                                  (o.partition ? std::to_string(*o.partition) : "none") + "}");
      slot& s = p.slots[*o.partition];
      if (!s.consumer.tag.is_null())
        return exit_reason::other("{partition_taken," + std::to_string(*o.partition) + "}");
      s.consumer = c;
    }
    return std::nullopt;
  }

  /// A consumer is gone. @returns the demand to forward upstream now.
  std::size_t cancel(ref tag) {
    if (auto* d = std::get_if<demand_dispatcher>(&kind_)) {
      d->cancel(tag);
      return 0;
    }
    if (auto* b = std::get_if<broadcast>(&kind_)) {
      std::erase_if(b->selectors, [&](const auto& s) { return s.first == tag; });
      return b->demand.cancel(tag);
    }
    partitioned& p = std::get<partitioned>(kind_);
    for (slot& s : p.slots)
      if (s.consumer.tag == tag) {
        // Its demand was asked upstream already; its queued events are
        // dropped and asked for again, as GenStage does.
        const std::size_t dropped = s.queue.size();
        p.pending += s.demand;
        const std::uint64_t parked = s.parked;
        s = slot{};
        s.parked = s.unparked = parked;  // the dropped ones have left too
        p.waiting += dropped;
        return dropped;
      }
    return 0;
  }

  /// Consumer `c` asks for `n`. @returns the demand to forward upstream.
  std::size_t ask(std::size_t n, stage_from c) {
    if (auto* d = std::get_if<demand_dispatcher>(&kind_)) return d->ask(n, c);
    if (auto* b = std::get_if<broadcast>(&kind_)) return b->demand.ask(n, c.tag);
    partitioned& p = std::get<partitioned>(kind_);
    for (slot& s : p.slots)
      if (s.consumer.tag == c.tag) {
        std::size_t left = n;
        if (!s.queue.empty()) {  // its queue first
          const std::size_t k = std::min(left, s.queue.size());
          send_events(s.consumer, take_front(s.queue, k));
          s.unparked += k;
          left -= k;
        }
        s.demand += left;
        break;
      }
    const std::size_t already = std::min(p.pending, n);
    p.pending -= already;
    p.waiting += n - already;
    return n - already;
  }

  /// Where an info queued now must wait: for each partition, how many
  /// events will have left its queue by then. Empty when nothing waits
  /// there (and for the other dispatchers, which hold no events).
  /// @mirrors PartitionDispatcher.info/2
  std::vector<std::uint64_t> info_marks() const {
    std::vector<std::uint64_t> marks;
    if (const auto* p = std::get_if<partitioned>(&kind_)) {
      bool any = false;
      for (const slot& s : p->slots) {
        marks.push_back(s.parked);
        any = any || !s.queue.empty();
      }
      if (!any) marks.clear();
    }
    return marks;
  }
  /// The events before `marks` have all left the partitions' queues.
  bool passed(const std::vector<std::uint64_t>& marks) const {
    if (marks.empty()) return true;
    const auto& p = std::get<partitioned>(kind_);
    for (std::size_t i = 0; i < marks.size(); ++i)
      if (p.slots[i].unparked < marks[i]) return false;
    return true;
  }

  /// Sends what the demand allows of `events`. @returns k: events[0, k) were
  /// sent (or, in a partition dispatcher, dropped by the partition
  /// function); events[k, end) are left for the buffer.
  std::size_t dispatch(std::vector<E>& events) {
    if (auto* d = std::get_if<demand_dispatcher>(&kind_)) return by_demand(*d, events);
    if (auto* b = std::get_if<broadcast>(&kind_)) return to_all(*b, events);
    return by_partition(std::get<partitioned>(kind_), events);
  }

 private:
  struct broadcast {
    broadcast_demand demand;
    std::vector<std::pair<ref, event_selector>> selectors;
  };
  struct slot {
    stage_from consumer;  // null tag: no consumer yet
    std::size_t demand = 0;
    std::deque<E> queue;         // events hashed here beyond its demand
    std::uint64_t parked = 0;    // events ever put in `queue`
    std::uint64_t unparked = 0;  // events ever taken from it (sent or dropped)
  };
  struct partitioned {
    std::vector<slot> slots;
    partition_fn hash;
    std::size_t waiting = 0;  // demand asked upstream, not yet met
    std::size_t pending = 0;  // demand of cancelled consumers, asked already
  };

  static void send_events(stage_from to, std::vector<E>&& events) {
    if (!events.empty()) send(to.stage, stage_events_msg<E>{{self(), to.tag}, std::move(events)});
  }
  static std::vector<E> slice(std::vector<E>& events, std::size_t from, std::size_t count) {
    auto first = std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(from));
    return std::vector<E>(first, first + static_cast<std::ptrdiff_t>(count));
  }
  static std::vector<E> take_front(std::deque<E>& q, std::size_t k) {
    std::vector<E> out(std::make_move_iterator(q.begin()),
                       std::make_move_iterator(q.begin() + static_cast<std::ptrdiff_t>(k)));
    q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(k));
    return out;
  }

  std::size_t by_demand(demand_dispatcher& d, std::vector<E>& events) {
    const std::size_t n = events.size();
    const std::size_t left = d.dispatch(n, shares_);
    if (shares_.size() == 1 && shares_[0].count == n) {  // one consumer takes all: no copy
      send_events(shares_[0].consumer, std::move(events));
      return n;
    }
    std::size_t pos = 0;
    for (const demand_dispatcher::share& s : shares_) {
      send_events(s.consumer, slice(events, pos, s.count));
      pos += s.count;
    }
    return n - left;
  }

  std::size_t to_all(broadcast& b, std::vector<E>& events) {
    const std::size_t now = b.demand.take(events.size());
    if (now == 0) return 0;
    const auto& all = b.demand.consumers();
    for (std::size_t i = 0; i < all.size(); ++i) {
      const stage_from to = all[i].consumer;
      const std::function<bool(const E&)>* keep = selector_of(b, to.tag);
      std::vector<E> out;
      if (keep == nullptr && i + 1 == all.size() && now == events.size()) {
        out = std::move(events);  // the last one takes them: one copy fewer
      } else if (keep == nullptr) {
        out.assign(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(now));
      } else {
        for (std::size_t k = 0; k < now; ++k)
          if ((*keep)(events[k])) out.push_back(events[k]);
        // The events filtered out count as met demand: the consumer asks
        // for as many again (through this stage's own mailbox, as GenStage).
        if (const std::size_t skipped = now - out.size(); skipped > 0)
          send(self(), stage_ask_msg{to, skipped});
      }
      send(to.stage, stage_events_msg<E>{{self(), to.tag}, std::move(out)});
    }
    return now;
  }

  static const std::function<bool(const E&)>* selector_of(const broadcast& b, ref tag) {
    for (const auto& [t, s] : b.selectors)
      if (t == tag && s) return s.template get<E>();
    return nullptr;
  }

  std::size_t by_partition(partitioned& p, std::vector<E>& events) {
    std::vector<std::vector<E>> parts(p.slots.size());
    std::size_t k = 0;
    for (; k < events.size() && p.waiting > 0; ++k) {
      const std::optional<std::size_t> where = p.hash(events[k]);
      if (!where) continue;  // dropped, not counted against the demand
      if (*where >= p.slots.size()) {
        log_unknown_partition(*where, p.slots.size());
        continue;
      }
      parts[*where].push_back(std::move(events[k]));
      --p.waiting;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].empty()) continue;
      slot& s = p.slots[i];
      if (s.consumer.tag.is_null() || !s.queue.empty() || s.demand < parts[i].size()) {
        const std::size_t now =
            s.consumer.tag.is_null() || !s.queue.empty() ? 0 : std::min(s.demand, parts[i].size());
        if (now > 0) send_events(s.consumer, slice(parts[i], 0, now));
        s.demand -= now;
        s.queue.insert(s.queue.end(),
                       std::make_move_iterator(parts[i].begin() + static_cast<std::ptrdiff_t>(now)),
                       std::make_move_iterator(parts[i].end()));
        s.parked += parts[i].size() - now;
      } else {
        s.demand -= parts[i].size();
        send_events(s.consumer, std::move(parts[i]));
      }
    }
    return k;
  }

  std::variant<demand_dispatcher, broadcast, partitioned> kind_;
  std::vector<demand_dispatcher::share> shares_;
};

}  // namespace otp::detail

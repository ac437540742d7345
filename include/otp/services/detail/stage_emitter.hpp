// The producer side of a stage, for its event type E: the dispatcher, the
// consumers subscribed, and the buffer of events emitted without demand. Not part of the API; see
// otp/services/gen_stage.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <typeinfo>
#include <utility>
#include <vector>

#include "otp/runtime/process.hpp"
#include "otp/services/detail/stage_core.hpp"
#include "otp/services/detail/stage_dispatch.hpp"
#include "otp/services/detail/stage_protocol.hpp"
#include "otp/services/stage_options.hpp"

namespace otp::detail {

template <class E>
class stage_emitter {
 public:
  stage_dispatcher<E> dispatcher;
  downstreams consumers;
  std::size_t buffer_size = 10'000;
  otp::buffer_keep keep = otp::buffer_keep::last;
  const std::type_info* stage_type = &typeid(void);
  /// The stage's format_discarded, if it has one: false keeps the discard
  /// out of the log.
  std::function<bool(std::size_t)> format_discarded;

  /// Sends `events` to the consumers as the dispatcher decides; what no
  /// consumer has asked for goes to the buffer. @returns how many were sent.
  std::size_t dispatch(std::vector<E>&& events) {
    if (events.empty()) return 0;
    const std::size_t k = dispatcher.dispatch(events);
    if (k < events.size()) store(events, k);
    return k;
  }

  /// Sends up to `counter` buffered events by demand.
  /// @returns the part of `counter` the buffer could not meet.
  std::size_t take_from_buffer(std::size_t counter) {
    if (buffer_.empty() || counter == 0) return counter;
    const std::size_t k = std::min(counter, buffer_.size());
    std::vector<E> out(std::make_move_iterator(buffer_.begin()),
                       std::make_move_iterator(buffer_.begin() + static_cast<std::ptrdiff_t>(k)));
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(k));
    dispatch(std::move(out));
    left(k);
    return counter - k;
  }

  std::size_t buffered() const noexcept { return buffer_.size(); }

  /// Runs `deliver` once the events held now have left (the buffer's sent
  /// or discarded, a partition's sent or dropped): at once when none are.
  void queue_info(std::function<void()> deliver) {
    std::vector<std::uint64_t> marks = dispatcher.info_marks();
    if (buffer_.empty() && marks.empty())
      deliver();
    else
      infos_.push_back({stored_, std::move(marks), std::move(deliver)});
  }

  /// Consumer `c` asks for `n`. @returns the demand to forward upstream.
  std::size_t ask(std::size_t n, stage_from c) {
    const std::size_t up = dispatcher.ask(n, c);
    release_infos();
    return up;
  }
  /// A consumer is gone. @returns the demand to forward upstream now.
  std::size_t cancel(ref tag) {
    const std::size_t up = dispatcher.cancel(tag);
    release_infos();
    return up;
  }

 private:
  /// Buffers events[from..]: a full buffer keeps the first or the last ones
  /// and logs how many it discarded.
  void store(std::vector<E>& events, std::size_t from) {
    const auto begin = events.begin() + static_cast<std::ptrdiff_t>(from);
    const std::size_t count = events.size() - from;
    std::size_t excess = 0;
    if (keep == otp::buffer_keep::first) {
      const std::size_t room = buffer_size > buffer_.size() ? buffer_size - buffer_.size() : 0;
      const std::size_t taken = std::min(room, count);
      buffer_.insert(buffer_.end(), std::make_move_iterator(begin),
                     std::make_move_iterator(begin + static_cast<std::ptrdiff_t>(taken)));
      stored_ += taken;
      excess = count - taken;
    } else {
      buffer_.insert(buffer_.end(), std::make_move_iterator(begin),
                     std::make_move_iterator(events.end()));
      stored_ += count;
      if (buffer_.size() > buffer_size) {
        excess = buffer_.size() - buffer_size;
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(excess));
        left(excess);
      }
    }
    if (excess > 0 && (!format_discarded || format_discarded(excess)))
      log_discarded(*stage_type, excess);
  }

  /// `n` events left the front of the buffer: delivers the infos queued
  /// behind them.
  void left(std::size_t n) {
    released_ += n;
    release_infos();
  }
  /// Delivers, in order, the infos whose events have all left.
  void release_infos() {
    while (!infos_.empty() && infos_.front().after <= released_ &&
           dispatcher.passed(infos_.front().marks)) {
      std::function<void()> deliver = std::move(infos_.front().deliver);
      infos_.pop_front();
      deliver();
    }
  }

  struct pending_info {
    std::uint64_t after;               ///< once `after` events have left the buffer
    std::vector<std::uint64_t> marks;  ///< and the partitions' queues (info_marks)
    std::function<void()> deliver;
  };
  std::deque<E> buffer_;
  std::deque<pending_info> infos_;
  std::uint64_t stored_ = 0;    ///< events ever put in the buffer
  std::uint64_t released_ = 0;  ///< events ever taken or discarded from it
};

}  // namespace otp::detail

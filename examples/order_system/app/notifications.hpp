// The order system's notifications: a stage pipeline. An order process that
// reaches paid or failed publishes a notification into the queue (a
// producer); a consumer_supervisor takes them on demand and starts one
// sender per notification, at most `senders` at once, each appending a line
// to the notifications file.
//
//   notifications        supervisor, rest_for_one
//   ├─ notification_queue   producer: holds at most `capacity` notifications
//   └─ notification_senders consumer_supervisor: a transient sender each
//
// Back-pressure: the senders ask only for what they can write. When the
// file is slow, notifications wait in the queue; once it holds `capacity`,
// publish does not return until a place frees, so the order processes wait
// instead of memory growing.
//
// Guarantee, at least once: a notification whose publish returned is
// written at least once unless the queue itself dies. A sender that crashes
// is started again with its notification (transient), so a line may be
// written twice; a kill of the queue (or of the notifications supervisor)
// loses the notifications it held but had not handed to a sender, and
// publish then fails and counts the notification as dropped.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "stats.hpp"

namespace order_system {

/// The notifications supervisor's name, and its children's.
inline constexpr const char* notifications_name = "notifications";
inline constexpr const char* notification_queue_name = "notification_queue";

struct notification {
  std::string line;                    ///< what is written, without the newline
  std::chrono::milliseconds enqueued;  ///< otp::monotonic_time() at publish
};

/// Where and how notifications are written.
struct notification_settings {
  std::string path;  ///< the file; empty: notifications are off
  std::size_t capacity = 10'000;
  std::size_t senders = 8;
  /// A slow sink for demonstrations and tests: each write waits this long.
  std::chrono::milliseconds delay{0};
  std::shared_ptr<service_stats> stats;
};

/// The producer: notifications in publish order, emitted on demand.
class notification_queue {
 public:
  using out = notification;
  /// Queues `n`; the reply comes once it is queued (later, when full).
  /// A publisher still held back at `give_up_at` (monotonic) has stopped
  /// waiting: its notification is dropped, as it was told.
  struct publish {
    using reply = void;
    notification n;
    std::chrono::milliseconds give_up_at;
  };

  explicit notification_queue(std::size_t capacity) : capacity_(capacity) {}

  /// Queues p (or holds its caller back) and emits what the demand allows.
  otp::stage_reply<otp::call_result<void>, notification> handle_call(publish p,
                                                                     otp::from<void> caller);
  std::vector<notification> handle_demand(std::size_t n);

 private:
  std::vector<notification> take();

  std::size_t capacity_;
  std::size_t demand_ = 0;
  std::deque<notification> queue_;
  struct held {  // a publisher held back
    otp::from<void> caller;
    publish p;
  };
  std::deque<held> waiting_;
};

/// The notifications subtree, for the services supervisor.
otp::child_spec notifications_child_spec(const notification_settings& s);

/// Publishes `line` (a call to the queue: waits while the queue is full, up
/// to `t`). @returns false when the notification could not be queued (the
/// queue is down or restarting, or full for longer than `t`).
otp::task<bool> publish_notification(std::string line, otp::timeout t);

}  // namespace order_system

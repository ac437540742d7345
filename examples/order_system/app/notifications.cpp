// The notifications pipeline: see notifications.hpp.
#include "notifications.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace order_system {

namespace {

/// Appends `line` and a newline to `path` in one O_APPEND write.
void append_notification(const std::string& path, std::string line) {
  line.push_back('\n');
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  const ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) throw std::runtime_error("short write to " + path);
}

/// One sender: waits the sink's delay, writes the line, counts it and its lag.
otp::proc send_notification(notification n, std::shared_ptr<const notification_settings> s) {
  if (s->delay.count() > 0) co_await otp::receive(otp::after(s->delay));
  co_await otp::blocking([&] { append_notification(s->path, n.line); });
  s->stats->notification_sent(otp::monotonic_time() - n.enqueued);
}

}  // namespace

otp::stage_reply<otp::call_result<void>, notification> notification_queue::handle_call(
    publish p, otp::from<void> caller) {
  if (queue_.size() >= capacity_) {
    waiting_.push_back({caller, std::move(p)});
    return {otp::noreply(), {}};
  }
  queue_.push_back(std::move(p.n));
  return {std::monostate{}, take()};
}

std::vector<notification> notification_queue::handle_demand(std::size_t n) {
  demand_ += n;
  return take();
}

std::vector<notification> notification_queue::take() {
  std::vector<notification> out;
  for (;;) {
    while (demand_ > 0 && !queue_.empty()) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
      --demand_;
    }
    if (waiting_.empty() || queue_.size() >= capacity_) return out;
    // Places freed: the publishers held back get theirs, in order, but for
    // those that stopped waiting.
    const std::chrono::milliseconds now = otp::monotonic_time();
    while (!waiting_.empty() && queue_.size() < capacity_) {
      if (waiting_.front().p.give_up_at > now) {
        queue_.push_back(std::move(waiting_.front().p.n));
        otp::reply(waiting_.front().caller);
      }
      waiting_.pop_front();
    }
  }
}

otp::child_spec notifications_child_spec(const notification_settings& s) {
  using namespace std::chrono_literals;
  auto shared = std::make_shared<const notification_settings>(s);
  otp::child_spec queue = otp::gen_stage::child<notification_queue>(
      notification_queue_name, {.name = notification_queue_name}, s.capacity);
  otp::child_spec senders;
  senders.id = "notification_senders";
  senders.start = [shared]() -> otp::task<otp::start_result> {
    co_return co_await otp::consumer_supervisor::start_link<notification>(
        {.start =
             [shared](const notification& n) {
               return otp::spawn_link(send_notification, n, shared);
             },
         .restart = otp::transient,
         .max_restarts = 100,
         .max_seconds = 5s,
         .subscribe_to = {{otp::server_name(notification_queue_name),
                           {.max_demand = shared->senders, .min_demand = shared->senders / 2}}}});
  };
  senders.type = otp::child_type::supervisor;
  senders.shutdown = otp::shutdown_spec(10s);
  return otp::supervisor_child(
      "notifications", {.strategy = otp::rest_for_one, .intensity = 5, .period = 5000ms},
      {std::move(queue), std::move(senders)}, otp::start_options{.name = notifications_name});
}

otp::task<bool> publish_notification(std::string line, otp::timeout t) {
  try {
    const auto q = otp::gen_stage::whereis<notification_queue>(notification_queue_name);
    const std::chrono::milliseconds now = otp::monotonic_time();
    const std::chrono::milliseconds give_up = t.is_infinite()
                                                  ? std::chrono::milliseconds::max()
                                                  : now + std::chrono::milliseconds(t.ms());
    co_await otp::call(q, notification_queue::publish{{std::move(line), now}, give_up}, t);
    co_return true;
  } catch (const otp::exit_error&) {
    co_return false;
  }
}

}  // namespace order_system

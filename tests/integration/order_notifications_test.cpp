// The order system's notifications pipeline (examples/order_system/app/
// notifications.hpp): a slow sink holds publishers back at the queue's
// capacity instead of letting memory grow, and a sender that crashes writes
// its notification again (at least once). On a manual node, so the slow
// sink's delay is virtual time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "notifications.hpp"
#include "otp/otp.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using order_system::notification_settings;

class OrderNotifications : public ::testing::Test {
 protected:
  otp::node node{{.manual = true}};
  otp::mailbox mb{node};
  otp_test::temp_dir dir;
  std::shared_ptr<order_system::service_stats> stats =
      std::make_shared<order_system::service_stats>();

  /// Starts the notifications subtree linked to the test's mailbox.
  void start(std::size_t capacity, std::size_t senders, std::chrono::milliseconds delay) {
    const otp::child_spec spec = order_system::notifications_child_spec(
        {.path = path(), .capacity = capacity, .senders = senders, .delay = delay, .stats = stats});
    ASSERT_TRUE(spec.start().get().is_ok());
  }
  std::string path() const { return (dir.path / "notifications.log").string(); }
  bool publish(const std::string& line, otp::timeout t = otp::timeout(100ms)) {
    return order_system::publish_notification(line, t).get();
  }
  std::vector<std::string> lines() const {
    std::ifstream in(path());
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void idle_for(otp::timeout t) {
    struct nothing {};
    (void)mb.receive<nothing>(t);
  }
};

TEST_F(OrderNotifications, ASlowSinkHoldsPublishersBackAtTheQueuesCapacity) {
  start(3, 2, 1h);
  // Two go to the senders (their demand), three wait in the queue...
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(publish("n" + std::to_string(i))) << i;
  // ...and the sixth waits for a place: within 100 ms none frees.
  EXPECT_FALSE(publish("n5"));
  EXPECT_TRUE(lines().empty());
  idle_for(otp::timeout(3h));
  // The five queued are written (two senders: in either order within a
  // pair); the sixth, whose publisher stopped waiting, is not.
  std::vector<std::string> written = lines();
  std::sort(written.begin(), written.end());
  EXPECT_EQ(written, (std::vector<std::string>{"n0", "n1", "n2", "n3", "n4"}));
  EXPECT_EQ(stats->notifications_sent.load(), 5);
  EXPECT_GE(stats->notification_lag_ms_max.load(), std::chrono::milliseconds(1h).count());
}

TEST_F(OrderNotifications, ACrashedSenderWritesItsNotificationAgain) {
  start(10, 1, 1h);
  ASSERT_TRUE(publish("only"));
  const auto subtree = otp::supervisor::which_children(
                           otp::whereis<otp::supervisor::server>(order_system::notifications_name))
                           .get();
  otp::pid senders;
  for (const otp::child_info& c : subtree)
    if (c.id == "notification_senders") senders = c.child;
  ASSERT_FALSE(senders.is_null());
  const auto children = otp::consumer_supervisor::which_children(
                            otp::consumer_supervisor_ref<order_system::notification>(senders))
                            .get();
  ASSERT_EQ(children.size(), 1u);
  otp::exit(children[0], otp::exit_reason::kill());  // before it wrote
  idle_for(otp::timeout(2h));
  EXPECT_EQ(lines(), std::vector<std::string>{"only"});
  EXPECT_EQ(stats->notifications_sent.load(), 1);
}

}  // namespace

// One order's process: reserve the items, charge the card, record the
// outcome, then end. Temporary (never restarted by its supervisor) and named
// in the order registry by order id, so at most one process works on an
// order at a time; the reconciler starts a new one for an order left
// unfinished by a crash.
//
// Every step is written to the database before the next one starts, and each
// step can be run again safely: reserving is idempotent per order, and the
// order id is the gateway's idempotency key. So a process that dies anywhere
// (killed, or crashed on bad data) leaves its order in a state the next
// process resumes from.
//
//   pending --reserve--> reserved --charge--> paid
//      \                    \--declined / unavailable--> failed (items released)
//       \--refused by the risk rules / out_of_stock / unknown_item /
//          crashed too often--> failed
//
// A call to a service that dies or restarts meanwhile (inventory, payment,
// the repo) is made again after a pause, up to about two minutes: each step is
// idempotent, and a restarting service is a passing condition. A process that
// throws (bad data: the poison input) counts a crash in the order's
// `attempts` before it dies with the exception; one that is killed, or whose
// service stays down, counts nothing, since that is not the order's fault. A process that starts on
// an order with `max_attempts` crashes does not try again: it settles the order (paid if the
// gateway holds its charge, else failed with reason `crashed`), so poison input never loops.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "otp/otp.hpp"
#include "stats.hpp"
#include "store.hpp"

namespace order_system {

/// What every order process shares: the registry naming them and the limits.
struct order_context {
  order_context(otp::registry<std::string> r, std::shared_ptr<service_stats> s)
      : registry(std::move(r)), stats(std::move(s)) {}

  otp::registry<std::string> registry;
  std::shared_ptr<service_stats> stats;
  /// Crashes (exceptions from the order's processing) after which an order is
  /// settled, not retried.
  std::int64_t max_attempts = 3;
  /// How long an order keeps retrying an unavailable gateway before it asks
  /// the gateway whether it was charged and settles.
  std::chrono::milliseconds payment_deadline{30'000};
  /// First wait between retries; doubles up to max_backoff.
  std::chrono::milliseconds backoff{50};
  std::chrono::milliseconds max_backoff{1000};
  /// Where the notification senders append one line per finished order
  /// (empty: none; see notifications.hpp).
  std::string notifications_log;
  /// Admission control: POST /orders is answered 503 with Retry-After while
  /// this many orders are unfinished (service_stats::backlog); 0: no bound.
  std::int64_t max_backlog = 5000;
  /// Orders pass the risk rules (the `risk` server, risk.hpp) before their
  /// items are reserved; false when the service runs without them.
  bool risk = false;
};

/// The name the order supervisor registers under.
inline constexpr const char* orders_name = "orders";

/// The order process (a gen_server: it does its work in handle_continue).
class order_process {
 public:
  struct run {};

  order_process(std::string id, std::shared_ptr<const order_context> ctx);

  otp::server_result init() { return otp::noreply().then_continue(run{}); }
  otp::task<otp::server_result> handle_continue(run);

 private:
  otp::task<otp::server_result> work();
  otp::task<void> fail(std::string reason, bool release);
  otp::task<void> settle_uncharged(std::string reason);
  otp::task<void> pause(std::chrono::milliseconds& backoff);
  otp::task<void> notify(std::string what);

  std::string id_;
  std::shared_ptr<const order_context> ctx_;
  order_row row_;
};

/// Starts the process for order `id` under the `orders` supervisor, named in
/// the registry. @returns ok(pid), or `already_started` when a process
/// works on the order already.
/// @exits as dynamic_supervisor::start_child (noproc when `orders` is down).
otp::task<otp::start_result> start_order(std::string id, std::shared_ptr<const order_context> ctx);

}  // namespace order_system

// The order system's supervision tree:
//
//   order_system (one_for_one)
//     repo            pool of SQLite connections
//     services        rest_for_one: inventory, payment, notifications
//     risk            the risk rules (a module_server running the module
//                     order_risk; risk.hpp), when configured
//     order_registry  registry naming order processes by order id
//     orders          dynamic supervisor of temporary order processes
//     reconciler      resumes unfinished orders that have no process
//     rate_limiter    per-customer token buckets
//     endpoint        the HTTP API
//
// Why each strategy is what it is: docs/guide/order_system.md.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "catalogue.hpp"
#include "endpoint.hpp"
#include "order.hpp"
#include "otp/otp.hpp"
#include "payment.hpp"
#include "risk.hpp"
#include "stats.hpp"

namespace order_system {

/// The name the root supervisor registers under.
inline constexpr const char* root_name = "order_system";

/// Everything the tree is built from.
struct service_config {
  /// The SQLite file.
  std::string db_path;
  /// Connections in the repo pool.
  std::size_t db_connections = 4;
  std::shared_ptr<const catalogue> items;
  payment_options payment;
  endpoint_options http;
  /// Per-customer limit on POST /orders.
  otp::rate_limit limit{.rate_per_second = 20, .burst = 20};
  std::chrono::milliseconds reconcile_every{250};
  /// The notification queue's capacity, the senders at once, and a delay
  /// per write (a slow sink, for demonstrations); see notifications.hpp.
  std::size_t notifications_capacity = 10'000;
  std::size_t notifications_senders = 8;
  std::chrono::milliseconds notifications_delay{0};
  /// The risk rules (off when risk.module_file is empty).
  risk_options risk;
  /// Shared by every order process (registry, stats, limits); see order_context.
  std::shared_ptr<order_context> orders;
};

/// Makes the order context (registry, stats) for `node` into `c.orders`
/// unless set, seeds the stock of a new database from the catalogue, and
/// loads the risk rules' version made permanent in the database, or else
/// the configured one (load_risk_rules). Call from a process or a thread
/// holding an otp::mailbox.
/// @throws store_error when the database cannot be opened; as
///   load_risk_rules when the rules cannot be loaded.
void prepare(otp::node& node, service_config& c, std::shared_ptr<service_stats> stats);

/// Starts the tree linked to the caller (a process or mailbox thread of
/// `node`). @returns ok(root pid) or the first start error.
otp::task<otp::start_result> start_link(otp::node& node, const service_config& c);

}  // namespace order_system

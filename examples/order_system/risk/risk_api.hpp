// The interface of the order system's risk rules, `order_risk`: a
// hot-upgradable module (otp/services/module.hpp) that every order passes
// before its items are reserved and its card charged. The service and every
// version of the rules compile this header; each version is a shared
// library (risk_v*.cpp, built by otp_add_module) that the code server loads
// and the `risk` server (an otp::module_server<risk_api>) runs.
//
//   version 1  an order above max_order_cents is refused (risk_order_limit)
//   version 2  also a customer whose orders passed so far reach
//              max_customer_cents is refused (risk_customer_limit); its
//              state gains the spend per customer; it can be downgraded
//              back to version 1
//   version 3  a broken release: its code_change throws, so an upgrade to
//              it is rolled back (the demo's --upgrade shows it)
#pragma once

#include <cstdint>
#include <string>

#include "otp/services/module.hpp"

namespace order_system {

/// What the rules answer for one order.
struct risk_verdict {
  bool allow = true;
  std::string reason;  ///< why not (the order's failure reason), empty when allowed
};

/// What a version of the rules is and has seen (GET /stats shows it).
struct risk_summary {
  std::string rules;  ///< the rules it applies, as text
  std::int64_t assessed = 0;
  std::int64_t refused = 0;
};

/// The limits every version is started with, the service's
/// `[order_system.risk]` settings; a version applies the ones its rules use.
struct risk_limits {
  std::int64_t max_order_cents = 0;     ///< one order's amount above this is refused
  std::int64_t max_customer_cents = 0;  ///< version 2: a customer's total at most this
};

struct risk_api {
  static constexpr const char* name = "order_risk";
  /// May this order be charged? Asked once per order, before reserving.
  struct assess {
    std::string order_id;
    std::string customer;
    std::int64_t amount_cents = 0;
    using reply = risk_verdict;
  };
  /// The rules and their counts.
  struct summary {
    using reply = risk_summary;
  };
  using calls = otp::module_calls<assess, summary>;
  using casts = otp::module_casts<>;
  using start_arg = risk_limits;
};

/// The module's name for the code server.
inline constexpr const char* risk_module = "order_risk";

}  // namespace order_system

// Version 2 of the risk rules: version 1's order limit, and a limit on what
// one customer's orders add up to. Its state gains the spend per customer;
// the constructor from version 1's state is its code_change, and
// downgrade() turns it back into version 1's.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "risk/risk_v1.hpp"

namespace order_system {

struct risk_v2 {
  static constexpr const char* state_tag = "order_risk.v2";
  using previous = risk_v1;
  risk_limits limits;
  std::int64_t assessed = 0;
  std::int64_t refused = 0;
  /// What each customer's allowed orders add up to, since this version ran
  /// (an order assessed again, after its process was killed between the
  /// assessment and its reservation, counts again).
  std::unordered_map<std::string, std::int64_t> spent;

  explicit risk_v2(const risk_limits& l) : limits(l) {}
  /// code_change from version 1: the limits and counts carry over; the
  /// spend starts empty (version 1 did not keep it).
  risk_v2(const risk_v1& old, std::string_view, std::string_view)
      : limits(old.limits), assessed(old.assessed), refused(old.refused) {}
  /// code_change down to version 1: the limits and counts go back; the
  /// spend per customer is dropped (version 1 has no place for it).
  risk_v1 downgrade(std::string_view, std::string_view) const {
    risk_v1 back(limits);
    back.assessed = assessed;
    back.refused = refused;
    return back;
  }

  risk_verdict handle_call(const risk_api::assess& a) {
    ++assessed;
    if (a.amount_cents > limits.max_order_cents) {
      ++refused;
      return {false, "risk_order_limit"};
    }
    std::int64_t& total = spent[a.customer];
    if (total + a.amount_cents > limits.max_customer_cents) {
      ++refused;
      return {false, "risk_customer_limit"};
    }
    total += a.amount_cents;
    return {};
  }
  risk_summary handle_call(const risk_api::summary&) const {
    return {"order limit " + std::to_string(limits.max_order_cents) + ", customer limit " +
                std::to_string(limits.max_customer_cents) + " (" + std::to_string(spent.size()) +
                " customers)",
            assessed, refused};
  }
};

}  // namespace order_system

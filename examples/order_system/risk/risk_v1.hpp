// Version 1 of the risk rules: a limit on one order's amount. Its state is
// what version 2 upgrades from (risk_v2.hpp includes this header).
#pragma once

#include "risk/risk_api.hpp"

namespace order_system {

struct risk_v1 {
  static constexpr const char* state_tag = "order_risk.v1";
  risk_limits limits;
  std::int64_t assessed = 0;
  std::int64_t refused = 0;

  explicit risk_v1(const risk_limits& l) : limits(l) {}

  risk_verdict handle_call(const risk_api::assess& a) {
    ++assessed;
    if (a.amount_cents > limits.max_order_cents) {
      ++refused;
      return {false, "risk_order_limit"};
    }
    return {};
  }
  risk_summary handle_call(const risk_api::summary&) const {
    return {"order limit " + std::to_string(limits.max_order_cents), assessed, refused};
  }
};

}  // namespace order_system

// Version 3 of the module `order_risk`: a broken release. Its code_change
// from version 2 throws, as a migration with a bug would, so installing it
// fails and is rolled back: every order keeps being assessed by version 2,
// with its state (the demo's --upgrade shows it).
#include <stdexcept>

#include "risk/risk_v2.hpp"

namespace order_system {

struct risk_v3 {
  static constexpr const char* state_tag = "order_risk.v3";
  using previous = risk_v2;
  risk_limits limits;

  explicit risk_v3(const risk_limits& l) : limits(l) {}
  risk_v3(const risk_v2&, std::string_view, std::string_view) {
    throw std::runtime_error("order_risk 3: cannot migrate version 2's spend per customer");
  }

  risk_verdict handle_call(const risk_api::assess&) { return {}; }
  risk_summary handle_call(const risk_api::summary&) const { return {"none", 0, 0}; }
};

}  // namespace order_system

OTP_MODULE(order_system::risk_api, order_system::risk_v3)

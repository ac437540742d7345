// The rate_limiter process: per-customer token buckets for the endpoint.
// Its otp::rate_limiter keeps them in the keepers' table (table_keeper.hpp),
// so a restarted limiter finds every customer's bucket as it was: killing it
// mid-burst does not let the burst through. It forgets full buckets on a
// timer, so the number of buckets stays bounded by the customers active
// recently.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "otp/otp.hpp"
#include "table_keeper.hpp"

namespace order_system {

/// The name the rate limiter registers under.
inline constexpr const char* rate_limiter_name = "rate_limiter";

/// The rate_limiter gen_server.
class rate_limit_server {
 public:
  /// Takes one token from `key`'s bucket.
  struct check {
    using reply = otp::rate_decision;
    std::string key;
  };
  struct sweep {};

  explicit rate_limit_server(otp::rate_limit limit,
                             std::chrono::milliseconds sweep_every = std::chrono::seconds(10))
      : limiter_(
            std::make_unique<otp::rate_limiter>(limit, bucket_table::named(bucket_table_name))),
        sweep_every_(sweep_every) {}

  otp::server_result init() {
    otp::send_after(sweep_every_, otp::self(), sweep{});
    return otp::noreply();
  }
  otp::rate_decision handle_call(const check& c) { return limiter_->check(c.key); }
  otp::server_result handle_info(sweep) {
    limiter_->sweep();
    otp::send_after(sweep_every_, otp::self(), sweep{});
    return otp::noreply();
  }

 private:
  std::unique_ptr<otp::rate_limiter> limiter_;
  std::chrono::milliseconds sweep_every_;
};

}  // namespace order_system

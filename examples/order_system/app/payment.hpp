// The payment service: charges cards through the payment gateway over HTTP,
// behind a circuit breaker, without making charges wait for one another.
//
// `payment` is a gen_server. A charge call is answered later (a deferred
// reply, gen_server:reply/2): the server asks the breaker, and when it may
// go ahead starts a linked worker process that makes the HTTP request on the
// node's blocking pool, tells the breaker how it went and replies to the
// caller. So any number of charges are in flight while the server itself
// stays free, and when the server dies its workers die with it (linked),
// leaving their callers to see the exit as from any dead server.
//
// The order id is the idempotency key, so a charge retried after a lost
// reply, a crash or a restart is never made twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "otp/otp.hpp"
#include "stats.hpp"

namespace order_system {

/// The name the payment server registers under.
inline constexpr const char* payment_name = "payment";

/// What a charge (or a look-up of one) came to.
struct charge_outcome {
  enum class kind {
    paid,          ///< charged (now, or earlier under the same key)
    declined,      ///< the card was declined (final)
    rejected,      ///< the gateway refused the request as malformed (final)
    unavailable,   ///< no answer, a 503 or a timeout: the charge may or may not exist
    circuit_open,  ///< not tried: the breaker is open (see retry_after)
    not_found,     ///< look-up only: no charge exists under the key
  };
  kind what = kind::unavailable;
  std::string charge_id;
  /// For circuit_open: when the breaker lets a probe through.
  std::chrono::milliseconds retry_after{0};
  /// A short description (the gateway's error, the HTTP failure).
  std::string detail;
};
const char* to_string(charge_outcome::kind k) noexcept;

/// How payment reaches the gateway and when its breaker trips.
struct payment_options {
  /// "http://127.0.0.1:PORT".
  std::string gateway_url;
  /// Failures within `window` that open the circuit.
  std::size_t max_failures = 20;
  std::chrono::milliseconds window{1000};
  std::chrono::milliseconds reset_timeout{1000};
  /// HTTP connect and read timeouts per request.
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds read_timeout{2000};
};

/// The payment gen_server.
class payment {
 public:
  /// Charge `amount_cents` to `card_token` for `order_id` (also the key).
  struct charge {
    using reply = charge_outcome;
    std::string order_id;
    std::int64_t amount_cents = 0;
    std::string card_token;
  };
  /// Whether a charge exists under `order_id`: paid, declined, not_found or
  /// unavailable. Does not go through the breaker (it is how an order that
  /// gives up learns whether it was charged).
  struct lookup {
    using reply = charge_outcome;
    std::string order_id;
  };
  /// The breaker's state.
  struct circuit {
    using reply = otp::circuit_state;
  };

  payment(payment_options o, std::shared_ptr<service_stats> stats);

  otp::call_result<charge_outcome> handle_call(charge c, otp::from<charge_outcome> f);
  otp::call_result<charge_outcome> handle_call(lookup l, otp::from<charge_outcome> f);
  otp::circuit_state handle_call(circuit) const { return breaker_->state(); }

 private:
  payment_options o_;
  std::shared_ptr<service_stats> stats_;
  std::unique_ptr<otp::circuit_breaker> breaker_;
};

}  // namespace order_system

// The payment gateway's ledger: every charge it has made, by idempotency key.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace gateway {

/// One charge request as the gateway receives it.
struct charge_request {
  std::string idempotency_key;  ///< the client's key; the order system uses the order id
  std::string order_id;
  std::int64_t amount_cents = 0;
  std::string card_token;
};

/// A recorded charge.
struct charge {
  std::string charge_id;
  std::string idempotency_key;
  std::string order_id;
  std::int64_t amount_cents = 0;
  /// "succeeded" or "declined".
  std::string status;
};

/// What the ledger did with a request.
struct charge_outcome {
  enum class kind { created, replayed, conflict } what = kind::created;
  charge c;  ///< the charge made now or earlier under the same key
};

/// Charges by idempotency key. A key is charged at most once: a repeated
/// request with the same key and the same order and amount replays the first
/// outcome; one with a different order or amount is a conflict.
/// Thread-safe.
class ledger {
 public:
  /// Records a charge (declined when the card token starts with
  /// "tok_declined"), or replays / refuses per the key's earlier charge.
  charge_outcome apply(const charge_request& r);

  /// The charge made under `key`, if any.
  bool find(const std::string& key, charge& out) const;

  /// Every charge, in the order made.
  std::vector<charge> all() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> by_key_;
  std::vector<charge> charges_;
};

}  // namespace gateway

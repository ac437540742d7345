// The payment gateway's ledger: every charge it has made, by idempotency key,
// in SQLite, so a gateway killed (kill -9) and started again on the same file
// keeps every charge it answered for, replays their keys and never reuses a
// charge id.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
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

/// The ledger's database could not be opened or written.
struct ledger_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Charges by idempotency key. A key is charged at most once: a repeated
/// request with the same key and the same order and amount replays the first
/// outcome; one with a different order or amount is a conflict. A charge is
/// committed (WAL, synchronous=NORMAL: it survives a kill of the process,
/// not a power loss) before apply returns. Charge ids are "ch_N", N never
/// reused. Thread-safe.
class ledger {
 public:
  /// Opens (or creates) the ledger at `path`; ":memory:" keeps it in memory.
  /// @throws ledger_error when the file cannot be opened or set up.
  explicit ledger(const std::string& path);
  ~ledger();
  ledger(const ledger&) = delete;
  ledger& operator=(const ledger&) = delete;

  /// Records a charge (declined when the card token starts with
  /// "tok_declined"), or replays / refuses per the key's earlier charge.
  /// @throws ledger_error when the database cannot be written.
  charge_outcome apply(const charge_request& r);

  /// The charge made under `key`, if any.
  bool find(const std::string& key, charge& out) const;

  /// Every charge, in the order made.
  std::vector<charge> all() const;

 private:
  bool find_locked(const std::string& key, charge& out) const;

  mutable std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace gateway

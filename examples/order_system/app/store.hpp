// The order system's store: orders, inventory and reservations in one
// SQLite file. One `store` is one connection; the repo pool holds several.
//
// Every state change is a committed transaction before the call returns, so
// an order acknowledged to a client is on disk, and a crashed order process
// leaves its order in a state the reconciler can resume from.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace order_system {

/// The states of an order. pending -> reserved -> paid, or -> failed from
/// pending or reserved.
enum class order_state { pending, reserved, paid, failed };
const char* to_string(order_state s) noexcept;
std::optional<order_state> parse_order_state(const std::string& s) noexcept;

struct order_line {
  std::string item;
  std::int64_t quantity = 0;
};

/// An order as stored.
struct order_row {
  std::string id;
  std::string customer;
  std::vector<order_line> items;
  std::int64_t amount_cents = 0;
  std::string card_token;
  order_state state = order_state::pending;
  std::string reason;     ///< why it failed (empty otherwise)
  std::string charge_id;  ///< the gateway's charge, once paid
  std::int64_t attempts = 0;
};

/// What reserve() did.
enum class reserve_result { reserved, unknown_item, out_of_stock };

/// A store error: SQLite failed (disk, lock timeout, corrupt file).
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One connection to the order database.
/// @threadsafe No: one owner at a time (a pool worker).
class store {
 public:
  /// Opens (creating if needed) the database at `path` in WAL mode and
  /// creates the tables. While another connection holds the write lock, a
  /// statement waits (in steps of 20-200 µs) up to `busy_timeout_ms`, then
  /// fails with store_error.
  /// @throws store_error when the file cannot be opened.
  explicit store(const std::string& path, int busy_timeout_ms = 5000);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Sets the stock of each item (creating unknown items).
  void seed_inventory(const std::map<std::string, std::int64_t>& stock);
  /// The stock of `item`, or nullopt for an unknown item.
  std::optional<std::int64_t> stock(const std::string& item);

  /// Inserts a new pending order. @returns false when the id exists.
  bool insert_order(const order_row& o);
  std::optional<order_row> get_order(const std::string& id);

  /// Moves order `id` to `to` (pending -> reserved -> paid, or to failed
  /// with `reason`), recording `charge_id` when paid.
  /// @returns false when the order is unknown or the move is not allowed
  ///   (a paid or failed order never changes).
  bool set_state(const std::string& id, order_state to, const std::string& reason = {},
                 const std::string& charge_id = {});
  /// Counts one more crash of the order's processing (the `attempts` column).
  /// @returns the count so far.
  std::int64_t add_attempt(const std::string& id);

  /// Takes the order's items from stock, all or none. Idempotent: an order
  /// that already holds its reservation gets `reserved` again.
  reserve_result reserve(const std::string& order_id, const std::vector<order_line>& items);
  /// Gives the order's reserved items back to stock. Idempotent.
  void release(const std::string& order_id);

  /// The service setting `key` (the `settings` table), or nullopt.
  std::optional<std::string> setting(const std::string& key);
  /// Sets the service setting `key` to `value`.
  void set_setting(const std::string& key, const std::string& value);

  /// Orders not yet paid or failed, oldest first.
  std::vector<std::string> unfinished_orders();
  /// Orders per state.
  std::map<order_state, std::int64_t> count_by_state();
  /// Failed orders per reason.
  std::map<std::string, std::int64_t> failures_by_reason();

 private:
  void exec(const char* sql);
  static int on_busy(void* self, int tries);
  sqlite3* db_ = nullptr;
  std::chrono::milliseconds busy_limit_{5000};
  std::chrono::steady_clock::time_point busy_since_;
};

}  // namespace order_system

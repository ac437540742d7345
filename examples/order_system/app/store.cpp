#include "store.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

namespace order_system {

namespace {

/// A prepared statement, finalized on scope exit.
class stmt {
 public:
  stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw store_error(std::string("prepare: ") + sqlite3_errmsg(db));
  }
  ~stmt() { sqlite3_finalize(s_); }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;

  stmt& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  stmt& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  /// Steps once: true for a row, false when done.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw store_error(std::string("step: ") + sqlite3_errmsg(db_));
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw store_error(std::string("bind: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back when left by an exception.
class transaction {
 public:
  explicit transaction(sqlite3* db) : db_(db) { run("BEGIN IMMEDIATE"); }
  ~transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    run("COMMIT");
    done_ = true;
  }

 private:
  void run(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown";
      sqlite3_free(err);
      throw store_error(std::string(sql) + ": " + msg);
    }
  }
  sqlite3* db_;
  bool done_ = false;
};

std::string items_to_json(const std::vector<order_line>& items) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& l : items) j.push_back({{"item", l.item}, {"quantity", l.quantity}});
  return j.dump();
}

std::vector<order_line> items_from_json(const std::string& s) {
  std::vector<order_line> out;
  for (const auto& j : nlohmann::json::parse(s))
    out.push_back({j.at("item").get<std::string>(), j.at("quantity").get<std::int64_t>()});
  return out;
}

bool allowed(order_state from, order_state to) {
  switch (from) {
    case order_state::pending:
      return to == order_state::reserved || to == order_state::failed;
    case order_state::reserved:
      return to == order_state::paid || to == order_state::failed;
    case order_state::paid:
    case order_state::failed:
      return false;
  }
  return false;
}

}  // namespace

const char* to_string(order_state s) noexcept {
  switch (s) {
    case order_state::pending:
      return "pending";
    case order_state::reserved:
      return "reserved";
    case order_state::paid:
      return "paid";
    case order_state::failed:
      return "failed";
  }
  return "unknown";
}

std::optional<order_state> parse_order_state(const std::string& s) noexcept {
  for (auto st :
       {order_state::pending, order_state::reserved, order_state::paid, order_state::failed})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

store::store(const std::string& path, int busy_timeout_ms) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw store_error("open " + path + ": " + msg);
  }
  // While another connection writes, wait in short steps: SQLite's own
  // busy_timeout sleeps up to 100 ms at a time, which made writers queue for
  // tens of milliseconds behind a write that takes tens of microseconds.
  busy_limit_ = std::chrono::milliseconds(busy_timeout_ms);
  sqlite3_busy_handler(db_, &store::on_busy, this);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec(
      "CREATE TABLE IF NOT EXISTS orders("
      " id TEXT PRIMARY KEY, customer TEXT NOT NULL, items TEXT NOT NULL,"
      " amount_cents INTEGER NOT NULL, card_token TEXT NOT NULL, state TEXT NOT NULL,"
      " reason TEXT NOT NULL DEFAULT '', charge_id TEXT NOT NULL DEFAULT '',"
      " attempts INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE IF NOT EXISTS inventory("
      " item TEXT PRIMARY KEY, available INTEGER NOT NULL CHECK (available >= 0));"
      "CREATE TABLE IF NOT EXISTS reservations("
      " order_id TEXT NOT NULL, item TEXT NOT NULL, quantity INTEGER NOT NULL,"
      " PRIMARY KEY (order_id, item));"
      "CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);");
}

store::~store() { sqlite3_close(db_); }

int store::on_busy(void* self, int tries) {
  auto* s = static_cast<store*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (tries == 0) s->busy_since_ = now;
  if (now - s->busy_since_ >= s->busy_limit_) return 0;  // give up: SQLITE_BUSY
  std::this_thread::sleep_for(std::chrono::microseconds(tries < 10 ? 20 : 200));
  return 1;
}

void store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown";
    sqlite3_free(err);
    throw store_error(msg);
  }
}

void store::seed_inventory(const std::map<std::string, std::int64_t>& stock) {
  transaction t(db_);
  for (const auto& [item, n] : stock)
    stmt(db_,
         "INSERT INTO inventory(item, available) VALUES(?1, ?2)"
         " ON CONFLICT(item) DO UPDATE SET available = excluded.available")
        .bind(1, item)
        .bind(2, n)
        .step();
  t.commit();
}

std::optional<std::int64_t> store::stock(const std::string& item) {
  stmt s(db_, "SELECT available FROM inventory WHERE item = ?1");
  s.bind(1, item);
  if (!s.step()) return std::nullopt;
  return s.integer(0);
}

bool store::insert_order(const order_row& o) {
  stmt s(db_,
         "INSERT INTO orders(id, customer, items, amount_cents, card_token, state)"
         " VALUES(?1, ?2, ?3, ?4, ?5, 'pending') ON CONFLICT(id) DO NOTHING");
  s.bind(1, o.id)
      .bind(2, o.customer)
      .bind(3, items_to_json(o.items))
      .bind(4, o.amount_cents)
      .bind(5, o.card_token);
  s.step();
  return sqlite3_changes(db_) == 1;
}

std::optional<order_row> store::get_order(const std::string& id) {
  stmt s(db_,
         "SELECT id, customer, items, amount_cents, card_token, state, reason, charge_id, attempts"
         " FROM orders WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  order_row o;
  o.id = s.text(0);
  o.customer = s.text(1);
  o.items = items_from_json(s.text(2));
  o.amount_cents = s.integer(3);
  o.card_token = s.text(4);
  o.state = parse_order_state(s.text(5)).value_or(order_state::pending);
  o.reason = s.text(6);
  o.charge_id = s.text(7);
  o.attempts = s.integer(8);
  return o;
}

bool store::set_state(const std::string& id, order_state to, const std::string& reason,
                      const std::string& charge_id) {
  transaction t(db_);
  stmt q(db_, "SELECT state FROM orders WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return false;
  const auto from = parse_order_state(q.text(0));
  if (!from || !allowed(*from, to)) return false;
  stmt u(db_, "UPDATE orders SET state = ?2, reason = ?3, charge_id = ?4 WHERE id = ?1");
  u.bind(1, id).bind(2, std::string(to_string(to))).bind(3, reason).bind(4, charge_id).step();
  t.commit();
  return true;
}

std::int64_t store::add_attempt(const std::string& id) {
  stmt s(db_, "UPDATE orders SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts");
  s.bind(1, id);
  return s.step() ? s.integer(0) : 0;
}

reserve_result store::reserve(const std::string& order_id, const std::vector<order_line>& items) {
  transaction t(db_);
  stmt held(db_, "SELECT 1 FROM reservations WHERE order_id = ?1 LIMIT 1");
  held.bind(1, order_id);
  if (held.step()) return reserve_result::reserved;  // already holds it
  for (const auto& l : items) {
    stmt s(db_, "SELECT available FROM inventory WHERE item = ?1");
    s.bind(1, l.item);
    if (!s.step()) return reserve_result::unknown_item;
    if (s.integer(0) < l.quantity) return reserve_result::out_of_stock;
  }
  for (const auto& l : items) {
    stmt(db_, "UPDATE inventory SET available = available - ?2 WHERE item = ?1")
        .bind(1, l.item)
        .bind(2, l.quantity)
        .step();
    stmt(db_,
         "INSERT INTO reservations(order_id, item, quantity) VALUES(?1, ?2, ?3)"
         " ON CONFLICT(order_id, item) DO UPDATE SET quantity = quantity + excluded.quantity")
        .bind(1, order_id)
        .bind(2, l.item)
        .bind(3, l.quantity)
        .step();
  }
  t.commit();
  return reserve_result::reserved;
}

void store::release(const std::string& order_id) {
  transaction t(db_);
  stmt(db_,
       "UPDATE inventory SET available = available + (SELECT quantity FROM reservations r"
       " WHERE r.order_id = ?1 AND r.item = inventory.item)"
       " WHERE item IN (SELECT item FROM reservations WHERE order_id = ?1)")
      .bind(1, order_id)
      .step();
  stmt(db_, "DELETE FROM reservations WHERE order_id = ?1").bind(1, order_id).step();
  t.commit();
}

std::vector<std::string> store::unfinished_orders() {
  std::vector<std::string> out;
  stmt s(db_, "SELECT id FROM orders WHERE state IN ('pending', 'reserved') ORDER BY rowid");
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::map<order_state, std::int64_t> store::count_by_state() {
  std::map<order_state, std::int64_t> out;
  stmt s(db_, "SELECT state, COUNT(*) FROM orders GROUP BY state");
  while (s.step())
    if (auto st = parse_order_state(s.text(0))) out[*st] = s.integer(1);
  return out;
}

std::map<std::string, std::int64_t> store::failures_by_reason() {
  std::map<std::string, std::int64_t> out;
  stmt s(db_, "SELECT reason, COUNT(*) FROM orders WHERE state = 'failed' GROUP BY reason");
  while (s.step()) out[s.text(0)] = s.integer(1);
  return out;
}

std::optional<std::string> store::setting(const std::string& key) {
  stmt q(db_, "SELECT value FROM settings WHERE key = ?");
  q.bind(1, key);
  if (!q.step()) return std::nullopt;
  return q.text(0);
}

void store::set_setting(const std::string& key, const std::string& value) {
  stmt q(db_,
         "INSERT INTO settings(key, value) VALUES (?, ?) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  q.bind(1, key).bind(2, value);
  (void)q.step();
}

}  // namespace order_system

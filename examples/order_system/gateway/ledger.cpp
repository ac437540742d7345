#include "ledger.hpp"

#include <memory>

namespace gateway {

namespace {

/// A prepared statement, finalized when it goes out of scope.
using statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

statement prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
    throw ledger_error(std::string("ledger: ") + sqlite3_errmsg(db));
  return {s, &sqlite3_finalize};
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return t != nullptr ? std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
                      : std::string();
}

charge read_charge(sqlite3_stmt* s) {
  charge c;
  c.charge_id = "ch_" + std::to_string(sqlite3_column_int64(s, 0));
  c.idempotency_key = column_text(s, 1);
  c.order_id = column_text(s, 2);
  c.amount_cents = sqlite3_column_int64(s, 3);
  c.status = column_text(s, 4);
  return c;
}

constexpr const char* kColumns = "seq, idempotency_key, order_id, amount_cents, status";

}  // namespace

ledger::ledger(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ledger_error("ledger: cannot open " + path + ": " + why);
  }
  char* err = nullptr;
  // AUTOINCREMENT: a sequence number (the charge id) is never handed out twice.
  const char* schema =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
      "CREATE TABLE IF NOT EXISTS charges ("
      " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      " idempotency_key TEXT NOT NULL UNIQUE,"
      " order_id TEXT NOT NULL,"
      " amount_cents INTEGER NOT NULL,"
      " status TEXT NOT NULL);";
  if (sqlite3_exec(db_, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    sqlite3_close(db_);
    db_ = nullptr;
    throw ledger_error("ledger: cannot set up " + path + ": " + why);
  }
}

ledger::~ledger() { sqlite3_close(db_); }

bool ledger::find_locked(const std::string& key, charge& out) const {
  statement s = prepare(
      db_, (std::string("SELECT ") + kColumns + " FROM charges WHERE idempotency_key = ?").c_str());
  bind_text(s.get(), 1, key);
  if (sqlite3_step(s.get()) != SQLITE_ROW) return false;
  out = read_charge(s.get());
  return true;
}

charge_outcome ledger::apply(const charge_request& r) {
  std::lock_guard lock(mu_);
  if (charge earlier; find_locked(r.idempotency_key, earlier)) {
    const bool same = earlier.order_id == r.order_id && earlier.amount_cents == r.amount_cents;
    return {same ? charge_outcome::kind::replayed : charge_outcome::kind::conflict, earlier};
  }
  charge c;
  c.idempotency_key = r.idempotency_key;
  c.order_id = r.order_id;
  c.amount_cents = r.amount_cents;
  c.status = r.card_token.rfind("tok_declined", 0) == 0 ? "declined" : "succeeded";
  statement s = prepare(db_,
                        "INSERT INTO charges (idempotency_key, order_id, amount_cents, status) "
                        "VALUES (?, ?, ?, ?)");
  bind_text(s.get(), 1, c.idempotency_key);
  bind_text(s.get(), 2, c.order_id);
  sqlite3_bind_int64(s.get(), 3, c.amount_cents);
  bind_text(s.get(), 4, c.status);
  if (sqlite3_step(s.get()) != SQLITE_DONE)
    throw ledger_error(std::string("ledger: cannot record a charge: ") + sqlite3_errmsg(db_));
  c.charge_id = "ch_" + std::to_string(sqlite3_last_insert_rowid(db_));
  return {charge_outcome::kind::created, c};
}

bool ledger::find(const std::string& key, charge& out) const {
  std::lock_guard lock(mu_);
  return find_locked(key, out);
}

std::vector<charge> ledger::all() const {
  std::lock_guard lock(mu_);
  statement s =
      prepare(db_, (std::string("SELECT ") + kColumns + " FROM charges ORDER BY seq").c_str());
  std::vector<charge> out;
  while (sqlite3_step(s.get()) == SQLITE_ROW) out.push_back(read_charge(s.get()));
  return out;
}

}  // namespace gateway

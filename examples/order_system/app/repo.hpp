// The repo: a pool of SQLite connections (otp::pool of db_conn workers).
// Each worker owns one store and runs every query on the node's blocking
// pool, so a slow disk never holds a scheduler thread.
//
//   auto repo = co_await order_system::repo::start_link({.size = 4, .max_overflow = 0}, path);
//   bool stored = co_await repo.ref().transaction([&](order_system::repo::worker c) {
//     return otp::call(c, order_system::db_conn::insert_order{order});
//   });
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/otp.hpp"
#include "store.hpp"

namespace order_system {

/// One pooled connection: a gen_server around a store.
class db_conn {
 public:
  struct insert_order {
    using reply = bool;
    order_row order;
  };
  struct get_order {
    using reply = std::optional<order_row>;
    std::string id;
  };
  struct set_state {
    using reply = bool;
    std::string id;
    order_state to = order_state::pending;
    std::string reason;
    std::string charge_id;
  };
  struct add_attempt {
    using reply = std::int64_t;
    std::string id;
  };
  struct reserve {
    using reply = reserve_result;
    std::string order_id;
    std::vector<order_line> items;
  };
  struct release {
    using reply = bool;
    std::string order_id;
  };
  struct unfinished_orders {
    using reply = std::vector<std::string>;
  };
  struct count_by_state {
    using reply = std::map<order_state, std::int64_t>;
  };
  struct failures_by_reason {
    using reply = std::map<std::string, std::int64_t>;
  };
  /// store::set_setting.
  struct set_setting {
    using reply = bool;
    std::string key;
    std::string value;
  };

  /// Opens the database at `path`; a store_error fails the worker's start.
  explicit db_conn(const std::string& path) : db_(path) {}

  otp::task<bool> handle_call(insert_order r) {
    co_return co_await otp::blocking([&] { return db_.insert_order(r.order); });
  }
  otp::task<std::optional<order_row>> handle_call(get_order r) {
    co_return co_await otp::blocking([&] { return db_.get_order(r.id); });
  }
  otp::task<bool> handle_call(set_state r) {
    co_return co_await otp::blocking(
        [&] { return db_.set_state(r.id, r.to, r.reason, r.charge_id); });
  }
  otp::task<std::int64_t> handle_call(add_attempt r) {
    co_return co_await otp::blocking([&] { return db_.add_attempt(r.id); });
  }
  otp::task<reserve_result> handle_call(reserve r) {
    co_return co_await otp::blocking([&] { return db_.reserve(r.order_id, r.items); });
  }
  otp::task<bool> handle_call(release r) {
    co_await otp::blocking([&] { db_.release(r.order_id); });
    co_return true;
  }
  otp::task<std::vector<std::string>> handle_call(unfinished_orders) {
    co_return co_await otp::blocking([&] { return db_.unfinished_orders(); });
  }
  otp::task<std::map<order_state, std::int64_t>> handle_call(count_by_state) {
    co_return co_await otp::blocking([&] { return db_.count_by_state(); });
  }
  otp::task<std::map<std::string, std::int64_t>> handle_call(failures_by_reason) {
    co_return co_await otp::blocking([&] { return db_.failures_by_reason(); });
  }
  otp::task<bool> handle_call(set_setting r) {
    co_await otp::blocking([&] { db_.set_setting(r.key, r.value); });
    co_return true;
  }

 private:
  store db_;
};

/// The pool of connections.
using repo = otp::pool<db_conn>;

/// The name the service registers its repo under.
inline constexpr const char* repo_name = "repo";

/// Runs one request (a db_conn request type) on a connection of the repo
/// registered as `repo_name`, checking it out and in again.
/// @returns the request's reply.
/// @exits noproc when the repo is not running; timeout when no connection is
///   free within 5 s; the connection's exit reason when it dies mid-query
///   (a store_error crashes the connection, and the pool replaces it).
template <class Req>
otp::task<typename Req::reply> query(Req r) {
  const repo pool(otp::whereis(repo_name));
  co_return co_await pool.transaction(
      [&r](const repo::worker& c) { return otp::call(c, std::move(r)); });
}

}  // namespace order_system

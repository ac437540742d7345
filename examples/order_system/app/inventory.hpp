// The inventory service: the one process that changes stock. It answers
// with catalogue records and takes or gives back an order's items through
// the repo (all or none, idempotent per order).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "catalogue.hpp"
#include "otp/otp.hpp"
#include "repo.hpp"

namespace order_system {

/// The name the inventory server registers under.
inline constexpr const char* inventory_name = "inventory";

/// The inventory gen_server.
class inventory {
 public:
  /// The catalogue record of `item` (null for an unknown item).
  struct describe {
    using reply = nlohmann::json;
    std::string item;
  };
  /// Takes the order's items from stock (see store::reserve).
  struct reserve {
    using reply = reserve_result;
    std::string order_id;
    std::vector<order_line> items;
  };
  /// Gives the order's reserved items back.
  struct release {
    using reply = bool;
    std::string order_id;
  };

  explicit inventory(std::shared_ptr<const catalogue> c) : catalogue_(std::move(c)) {}

  nlohmann::json handle_call(const describe& d) const {
    return catalogue_->contains(d.item) ? catalogue_->record(d.item) : nlohmann::json();
  }
  otp::task<reserve_result> handle_call(reserve r) {
    db_conn::reserve q{std::move(r.order_id), std::move(r.items)};
    co_return co_await query(std::move(q));
  }
  otp::task<bool> handle_call(release r) {
    db_conn::release q{std::move(r.order_id)};
    co_return co_await query(std::move(q));
  }

 private:
  std::shared_ptr<const catalogue> catalogue_;
};

}  // namespace order_system

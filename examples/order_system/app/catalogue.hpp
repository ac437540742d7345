// The catalogue: the items the shop sells, read once from a JSON file and
// shared read-only by every process (as OTP code would keep it in a
// persistent_term). Each record is kept as the file has it: the order
// process reads prices from it, and a corrupt record is what makes an order
// process crash (the poison input of the demo).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace order_system {

/// The catalogue file could not be read or is not an array of items.
class catalogue_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Items by code, each {"item", "name", "unit_price_cents", "stock"}.
class catalogue {
 public:
  /// Reads `path`: a JSON array of objects with at least "item" (a string)
  /// and "stock" (an integer >= 0). Other fields are kept unchecked.
  /// @throws catalogue_error when the file is missing or malformed.
  static std::shared_ptr<const catalogue> load(const std::string& path);

  /// Whether `item` is sold.
  bool contains(const std::string& item) const { return items_.count(item) != 0; }
  /// The record of `item`. @throws std::out_of_range for an unknown item.
  const nlohmann::json& record(const std::string& item) const { return items_.at(item); }
  /// The initial stock of every item.
  std::map<std::string, std::int64_t> stock() const;
  std::size_t size() const { return items_.size(); }

 private:
  std::map<std::string, nlohmann::json> items_;
};

}  // namespace order_system

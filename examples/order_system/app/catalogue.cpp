#include "catalogue.hpp"

#include <fstream>

namespace order_system {

std::shared_ptr<const catalogue> catalogue::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw catalogue_error("cannot read catalogue " + path);
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) throw catalogue_error(path + ": expected a JSON array of items");
  auto c = std::make_shared<catalogue>();
  for (auto& rec : doc) {
    if (!rec.is_object() || !rec.contains("item") || !rec["item"].is_string() ||
        !rec.contains("stock") || !rec["stock"].is_number_integer() ||
        rec["stock"].get<std::int64_t>() < 0)
      throw catalogue_error(
          path +
          ": every item needs \"item\" (string) and \"stock\" (integer >= 0): " + rec.dump());
    std::string code = rec["item"].get<std::string>();
    c->items_.emplace(std::move(code), std::move(rec));
  }
  return c;
}

std::map<std::string, std::int64_t> catalogue::stock() const {
  std::map<std::string, std::int64_t> out;
  for (const auto& [code, rec] : items_) out[code] = rec["stock"].get<std::int64_t>();
  return out;
}

}  // namespace order_system

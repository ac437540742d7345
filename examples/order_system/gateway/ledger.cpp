#include "ledger.hpp"

namespace gateway {

charge_outcome ledger::apply(const charge_request& r) {
  std::lock_guard lock(mu_);
  if (auto it = by_key_.find(r.idempotency_key); it != by_key_.end()) {
    const charge& earlier = charges_[it->second];
    const bool same = earlier.order_id == r.order_id && earlier.amount_cents == r.amount_cents;
    return {same ? charge_outcome::kind::replayed : charge_outcome::kind::conflict, earlier};
  }
  charge c;
  c.charge_id = "ch_" + std::to_string(charges_.size() + 1);
  c.idempotency_key = r.idempotency_key;
  c.order_id = r.order_id;
  c.amount_cents = r.amount_cents;
  c.status = r.card_token.rfind("tok_declined", 0) == 0 ? "declined" : "succeeded";
  by_key_.emplace(c.idempotency_key, charges_.size());
  charges_.push_back(c);
  return {charge_outcome::kind::created, c};
}

bool ledger::find(const std::string& key, charge& out) const {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  out = charges_[it->second];
  return true;
}

std::vector<charge> ledger::all() const {
  std::lock_guard lock(mu_);
  return charges_;
}

}  // namespace gateway

// Registered names: see name_table.hpp.
#include "runtime/name_table.hpp"

#include <mutex>

#include "runtime/node_impl.hpp"

namespace otp::detail {

void name_table::drop(process& p) noexcept {
  std::unique_lock lk(mu_);
  auto it = by_slot_.find(p.slot);
  if (it != by_slot_.end()) {
    auto n = by_name_.find(it->second);
    if (n != by_name_.end() && n->second.slot() == p.slot && n->second.serial() == p.serial) {
      by_name_.erase(n);
      by_slot_.erase(it);
    }
  }
  p.has_name.store(false, std::memory_order_relaxed);
}

void name_table::add(std::string name, pid p) {
  if (name.empty() || name == "undefined")
    throw badarg("register: '" + name + "' cannot be a registered name");
  std::unique_lock lk(mu_);
  if (auto it = by_name_.find(name); it != by_name_.end())
    throw badarg("register: '" + name + "' is already registered to " + it->second.to_string());
  process* q = p.node() == node_ ? table_.find(p) : nullptr;
  if (q == nullptr) throw badarg("register: " + p.to_string() + " is not a live process");
  if (auto s = by_slot_.find(p.slot()); s != by_slot_.end())
    throw badarg("register: " + p.to_string() + " already has the name '" + s->second + "'");
  q->has_name.store(true, std::memory_order_seq_cst);
  if (q->serial_word.load(std::memory_order_seq_cst) != p.serial()) {
    q->has_name.store(false, std::memory_order_relaxed);
    throw badarg("register: " + p.to_string() + " is not a live process");
  }
  by_slot_.emplace(p.slot(), name);
  by_name_.emplace(std::move(name), p);
}

void name_table::remove(std::string_view name) {
  std::unique_lock lk(mu_);
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end())
    throw badarg("unregister: no process is registered as '" + std::string(name) + "'");
  pid p = it->second;
  by_name_.erase(it);
  if (auto s = by_slot_.find(p.slot()); s != by_slot_.end() && s->second == name) {
    by_slot_.erase(s);
    if (process* q = table_.find(p)) q->has_name.store(false, std::memory_order_relaxed);
  }
}

pid name_table::whereis(std::string_view name) const {
  std::shared_lock lk(mu_);
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? pid() : it->second;
}

std::string name_table::name_of(std::uint32_t slot) const {
  std::shared_lock lk(mu_);
  auto it = by_slot_.find(slot);
  return it == by_slot_.end() ? std::string() : it->second;
}

void send_named(node_impl& n, std::string_view name, envelope* e) {
  const pid to = n.names.whereis(name);
  if (to.is_null()) {
    destroy_envelope(e);
    throw badarg("send: no process is registered as '" + std::string(name) + "'");
  }
  send_envelope(n, to, e);
}

}  // namespace otp::detail

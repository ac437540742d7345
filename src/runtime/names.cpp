// Registered names: one table per node, a name maps to one pid and a pid has
// at most one name. A dying process drops its name before its links and
// monitors are told.
#include <mutex>

#include "runtime/node_impl.hpp"

namespace otp::detail {

void node_impl::drop_names_of(process& p) {
  std::unique_lock lk(names_mu);
  auto it = name_of_slot.find(p.slot);
  if (it != name_of_slot.end()) {
    auto n = names.find(it->second);
    if (n != names.end() && n->second.slot() == p.slot && n->second.serial() == p.serial) {
      names.erase(n);
      name_of_slot.erase(it);
    }
  }
  p.has_name.store(false, std::memory_order_relaxed);
}

void send_named(node_impl& n, std::string_view name, envelope* e) {
  pid to;
  {
    std::shared_lock lk(n.names_mu);
    auto it = n.names.find(std::string(name));
    if (it != n.names.end()) to = it->second;
  }
  if (to.is_null()) {
    destroy_envelope(e);
    throw badarg("send: no process is registered as '" + std::string(name) + "'");
  }
  send_envelope(n, to, e);
}

void register_name(node_impl& n, std::string name, pid p) {
  if (name.empty() || name == "undefined")
    throw badarg("register: '" + name + "' cannot be a registered name");
  std::unique_lock lk(n.names_mu);
  if (auto it = n.names.find(name); it != n.names.end())
    throw badarg("register: '" + name + "' is already registered to " + it->second.to_string());
  process* q = p.node() == n.id ? n.table.find(p) : nullptr;
  if (q == nullptr) throw badarg("register: " + p.to_string() + " is not a live process");
  if (n.name_of_slot.count(p.slot()) != 0)
    throw badarg("register: " + p.to_string() + " already has the name '" +
                 n.name_of_slot[p.slot()] + "'");
  // Announce the name, then check the process is still alive: a process that
  // is dying either sees has_name and waits for this lock, or is seen dead here.
  q->has_name.store(true, std::memory_order_seq_cst);
  if (q->serial_word.load(std::memory_order_seq_cst) != p.serial()) {
    q->has_name.store(false, std::memory_order_relaxed);
    throw badarg("register: " + p.to_string() + " is not a live process");
  }
  n.name_of_slot.emplace(p.slot(), name);
  n.names.emplace(std::move(name), p);
}

void unregister_name(node_impl& n, std::string_view name) {
  std::unique_lock lk(n.names_mu);
  auto it = n.names.find(std::string(name));
  if (it == n.names.end())
    throw badarg("unregister: no process is registered as '" + std::string(name) + "'");
  pid p = it->second;
  n.names.erase(it);
  if (auto s = n.name_of_slot.find(p.slot()); s != n.name_of_slot.end() && s->second == name) {
    n.name_of_slot.erase(s);
    if (process* q = n.table.find(p)) q->has_name.store(false, std::memory_order_relaxed);
  }
}

pid whereis(node_impl& n, std::string_view name) {
  std::shared_lock lk(n.names_mu);
  auto it = n.names.find(std::string(name));
  return it == n.names.end() ? pid() : it->second;
}

}  // namespace otp::detail

// The node's registry of tables: names, owners and heirs, and what an
// owner's exit does to its tables (the runtime calls on_owner_exit from the
// exit path, before the owner's links and monitors are told).
#include <algorithm>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/runtime/detail/node_slot.hpp"
#include "otp/runtime/detail/table_owners.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/telemetry.hpp"
#include "otp/services/all_tables.hpp"
#include "otp/services/detail/table_core.hpp"
#include "otp/services/table_error.hpp"

namespace otp {

const char* to_string(table_type t) noexcept {
  switch (t) {
    case table_type::set:
      return "set";
    case table_type::ordered_set:
      return "ordered_set";
    case table_type::bag:
      return "bag";
    case table_type::duplicate_bag:
      return "duplicate_bag";
  }
  return "?";
}

const char* to_string(table_access a) noexcept {
  switch (a) {
    case table_access::public_:
      return "public";
    case table_access::protected_:
      return "protected";
    case table_access::private_:
      return "private";
  }
  return "?";
}

namespace detail {

namespace {

std::string who(pid p) {
  return p.is_null() ? std::string("a thread without a pid") : p.to_string();
}

// Emits otp.table.transfer: table `t` went from `from` to `to`; `how` is
// give_away or heir. Never throws, as execute does not (the owner's exit
// path calls it).
void transfer_event(const table_core& t, pid from, pid to, std::string_view how) noexcept {
  telemetry::execute(
      {"otp", "table", "transfer"}, {},
      {{"table", std::string_view(t.name)}, {"from", from}, {"to", to}, {"how", how}});
}

std::string label(const table_core& t) {
  return t.name.empty() ? std::string("table") : "table '" + t.name + "'";
}

}  // namespace

struct table_registry {
  explicit table_registry(node_impl& n) : node(n) { set_owner_exit_hook(n, &on_owner_exit); }

  static table_registry& of(node_impl& n) { return node_slot<table_registry>(n); }
  static table_registry& current(const char* op) {
    node_impl* n = current_node();
    if (n == nullptr)
      throw table_error(
          table_error::kind::not_a_process,
          std::string(op) + ": the calling thread is neither a process nor a mailbox thread");
    return of(*n);
  }

  /// Out of the registry, marked deleted, objects freed. Under mu.
  void remove(table_core& t) noexcept {
    t.deleted_.store(true, std::memory_order_release);
    std::erase_if(live, [&](const std::shared_ptr<table_core>& p) { return p.get() == &t; });
    t.heir_data_.reset();
    t.drop_objects();
  }

  static void on_owner_exit(node_impl& n, pid owner) noexcept {
    table_registry& r = of(n);
    std::vector<std::shared_ptr<table_core>> owned;
    std::vector<std::shared_ptr<table_core>> inherited;  // told after the lock
    {
      std::lock_guard lock(r.mu);
      for (const auto& t : r.live)
        if (t->is_owner(owner)) owned.push_back(t);
      for (const auto& t : owned) {
        const pid heir = t->heir();
        if (!heir.is_null() && heir != owner && mark_table_owner(n, heir)) {
          t->owner_.store(t->pack(heir), std::memory_order_release);
          t->send_transfer(heir, owner, t->heir_data_);
          inherited.push_back(t);
        } else {
          r.remove(*t);
        }
      }
    }
    for (const auto& t : inherited) transfer_event(*t, owner, t->heir(), "heir");
  }

  node_impl& node;
  std::mutex mu;
  std::vector<std::shared_ptr<table_core>> live;
};

table_core::table_core(table_type t, const table_options& o)
    : type(t),
      access(o.access),
      name(o.name),
      read_concurrency(o.read_concurrency),
      write_concurrency(o.write_concurrency) {}

void table_core::check_read(const char* op) const {
  if (deleted())
    throw table_error(table_error::kind::deleted,
                      std::string(op) + ": the " + label(*this) + " was deleted");
  if (access != table_access::private_) return;
  const pid me = current_pid();
  if (!is_owner(me))
    throw table_error(table_error::kind::access, std::string(op) + ": the " + label(*this) +
                                                     " is private to " + owner().to_string() +
                                                     "; " + who(me) + " may not read it");
}

void table_core::check_write(const char* op) const {
  if (deleted())
    throw table_error(table_error::kind::deleted,
                      std::string(op) + ": the " + label(*this) + " was deleted");
  if (access == table_access::public_) return;
  const pid me = current_pid();
  if (!is_owner(me))
    throw table_error(table_error::kind::access, std::string(op) + ": the " + label(*this) +
                                                     " is " + to_string(access) + " and owned by " +
                                                     owner().to_string() + "; " + who(me) +
                                                     " may not write it");
}

void register_table(const std::shared_ptr<table_core>& t, const table_options& o) {
  table_registry& r = table_registry::current("table::create");
  const pid me = current_pid();
  if (me.is_null())
    throw table_error(table_error::kind::not_a_process, "table::create: the caller has no pid");
  if (!o.heir.is_null() && o.heir.node() != me.node())
    throw table_error(table_error::kind::bad_heir,
                      "table::create: the heir " + o.heir.to_string() + " is not a local process");
  std::lock_guard lock(r.mu);
  if (!t->name.empty())
    for (const auto& other : r.live)
      if (other->name == t->name)
        throw table_error(table_error::kind::name_taken,
                          "table::create: a table named '" + t->name + "' already exists");
  t->node_ = &r.node;
  t->node_id_ = me.node();
  t->owner_.store(t->pack(me));
  t->heir_.store(t->pack(o.heir));
  t->heir_data_ = o.heir_data;
  mark_table_owner(r.node, me);
  r.live.push_back(t);
}

std::shared_ptr<table_core> find_named_table(std::string_view name) {
  table_registry& r = table_registry::current("table::named");
  std::lock_guard lock(r.mu);
  for (const auto& t : r.live)
    if (t->name == name) return t;
  return nullptr;
}

void delete_table(table_core& t) {
  t.check_write("table::erase_table");
  table_registry& r = table_registry::of(*t.node_);
  std::lock_guard lock(r.mu);
  if (!t.deleted()) r.remove(t);
}

void give_away_table(table_core& t, pid to, std::any data) {
  if (t.deleted())
    throw table_error(table_error::kind::deleted,
                      "table::give_away: the " + label(t) + " was deleted");
  table_registry& r = table_registry::of(*t.node_);
  std::lock_guard lock(r.mu);
  const pid me = current_pid();
  if (!t.is_owner(me))
    throw table_error(table_error::kind::not_owner,
                      "table::give_away: " + who(me) + " does not own the " + label(t) +
                          " (its owner is " + t.owner().to_string() + ")");
  if (to.is_null() || to.node() != t.node_id_)
    throw table_error(table_error::kind::bad_recipient,
                      "table::give_away: " + who(to) + " is not a local process");
  if (to == me)
    throw table_error(table_error::kind::bad_recipient,
                      "table::give_away: " + me.to_string() + " already owns the " + label(t));
  if (!mark_table_owner(*t.node_, to))
    throw table_error(table_error::kind::bad_recipient,
                      "table::give_away: " + to.to_string() + " is not alive");
  t.owner_.store(t.pack(to), std::memory_order_release);
  t.send_transfer(to, me, std::move(data));
  transfer_event(t, me, to, "give_away");
}

void set_table_heir(table_core& t, pid heir, std::any data) {
  if (t.deleted())
    throw table_error(table_error::kind::deleted,
                      "table::set_heir: the " + label(t) + " was deleted");
  table_registry& r = table_registry::of(*t.node_);
  std::lock_guard lock(r.mu);
  const pid me = current_pid();
  if (!t.is_owner(me))
    throw table_error(table_error::kind::not_owner,
                      "table::set_heir: " + who(me) + " does not own the " + label(t));
  if (!heir.is_null() && heir.node() != t.node_id_)
    throw table_error(table_error::kind::bad_heir,
                      "table::set_heir: the heir " + heir.to_string() + " is not a local process");
  t.heir_.store(t.pack(heir), std::memory_order_release);
  t.heir_data_ = heir.is_null() ? std::any() : std::move(data);
}

std::optional<table_info> table_info_of(const table_core& t) {
  if (t.deleted()) return std::nullopt;
  table_info i;
  i.name = t.name;
  i.type = t.type;
  i.access = t.access;
  i.owner = t.owner();
  i.heir = t.heir();
  i.size = t.object_count();
  i.memory = t.memory_bytes();
  i.read_concurrency = t.read_concurrency;
  i.write_concurrency = t.write_concurrency;
  return i;
}

}  // namespace detail

std::vector<table_info> all_tables(const node& n) {
  detail::table_registry& r = detail::table_registry::of(n.impl());
  std::vector<std::shared_ptr<detail::table_core>> live;
  {
    std::lock_guard lock(r.mu);
    live = r.live;
  }
  std::vector<table_info> out;
  out.reserve(live.size());
  for (const auto& t : live)
    if (auto i = detail::table_info_of(*t)) out.push_back(std::move(*i));
  return out;
}

}  // namespace otp

#include "otp/runtime/detail/table_owners.hpp"

#include <atomic>

#include "runtime/node_impl.hpp"

namespace otp::detail {

void set_owner_exit_hook(node_impl& n, owner_exit_fn f) noexcept {
  n.owner_exit.store(f, std::memory_order_release);
}

bool mark_table_owner(node_impl& n, pid p) noexcept {
  if (p.is_null() || p.node() != n.id) return false;
  process* q = n.table.at(p.slot());
  if (q == nullptr) return false;
  q->owns_tables.store(true, std::memory_order_seq_cst);
  return q->serial_word.load(std::memory_order_seq_cst) == p.serial();
}

node_impl* current_node() noexcept { return ctx().node; }

pid current_pid() noexcept {
  const context& c = ctx();
  return c.proc == nullptr ? pid() : c.proc->self();
}

}  // namespace otp::detail

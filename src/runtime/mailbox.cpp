// Thread mailboxes: a process identity for a plain thread.
#include "otp/runtime/mailbox.hpp"

#include "runtime/node_impl.hpp"

namespace otp {

namespace {
/// The slot's waiter, made the first time a mailbox uses the slot. It stays
/// with the slot for the node's life (see process::waiter).
void ensure_waiter(detail::node_impl& n, detail::process& p) {
  if (p.waiter.load(std::memory_order_acquire) != nullptr) return;
  p.waiter.store(n.waiters.make(), std::memory_order_release);
}
}  // namespace

mailbox::mailbox(node& nd) : p_(nullptr), saved_(detail::ctx()) {
  detail::node_impl& n = nd.impl();
  if (saved_.w != nullptr)
    throw badarg("mailbox: the thread is a scheduler; processes receive with co_await");
  if (saved_.proc != nullptr)
    throw badarg("mailbox: the thread already has a mailbox (" + saved_.proc->self().to_string() +
                 ")");
  switch (n.people.admit(true, n.opts.max_processes)) {
    case detail::population::admission::admitted:
      break;
    case detail::population::admission::stopped:
      throw badarg("mailbox: the node is stopped");
    case detail::population::admission::full:
      throw system_limit("mailbox: node_options::max_processes processes are alive");
  }
  std::uint32_t slot;
  try {
    slot = n.table.allocate(nullptr);
  } catch (...) {
    n.people.cancel(true);
    throw;
  }
  detail::process& p = *n.table.at(slot);
  ensure_waiter(n, p);
  detail::init_process(n, p, slot, true);
  p.status.store(detail::run_state::running, std::memory_order_relaxed);
  p_ = &p;
  self_ = p.self();
  detail::ctx() = detail::context{&n, &p, nullptr};
}

mailbox::~mailbox() {
  // Still alive unless an exit signal ended it in receive (then the slot may
  // already serve another process: compare the serial).
  if (!dead_ && p_->serial_word.load(std::memory_order_acquire) == self_.serial())
    detail::finish_process(*p_);
  detail::ctx() = saved_;
}

}  // namespace otp

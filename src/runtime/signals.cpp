// Delivering messages and signals, handling them in the receiver, and the
// exit procedure.
//
// Invariants (see docs/internals/process.md):
//  1. A push is one CAS on the target's inbox. Seeing kClosed means the
//     incarnation ended: the sender answers for it (link -> exit noproc,
//     monitor -> DOWN noproc, request -> "not alive"), so no signal is lost.
//  2. The receiver handles its inbox oldest first; everything one sender
//     pushed keeps its order. An envelope stamped with another serial was
//     meant for an earlier incarnation and is answered as for a dead process.
//  3. A link or monitor removed by the owner makes later EXIT/DOWN signals for
//     it void: they are checked against the owner's own sets on arrival.
//  4. The exit procedure releases the registered name before any link or
//     monitor signal is sent, and closes the inbox before the slot is reused.
#include <cstdlib>
#include <thread>
#include <utility>

#include "otp/runtime/messages.hpp"
#include "runtime/node_impl.hpp"

namespace otp::detail {

process_extras& extras_of(process& p) {
  if (p.extras == nullptr) p.extras = ::new (block_alloc(sizeof(process_extras))) process_extras();
  return *p.extras;
}

namespace {
void free_extras(process_extras* x) noexcept {
  x->~process_extras();
  block_free(x, sizeof(process_extras));
}
}  // namespace

std::optional<process_extras::removed_monitor> process_extras::remove_monitor(
    std::uint64_t r) noexcept {
  const monitor_entry* m = monitors.find(r);
  if (m == nullptr) return std::nullopt;
  removed_monitor out{m->target, {}};
  if (m->by_name) {
    for (auto it = monitor_names.begin(); it != monitor_names.end(); ++it) {
      if (it->first == r) {
        out.name = std::move(it->second);
        monitor_names.erase(it);
        break;
      }
    }
  }
  monitors.erase(r);
  return out;
}

signal_envelope* make_signal(signal_kind k, pid from) {
  void* mem = block_alloc(sizeof(signal_envelope));
  auto* s = ::new (mem) signal_envelope();
  s->kind = k;
  s->from = from;
  return s;
}

void destroy_envelope(envelope* e) noexcept {
  if (is_message(e)) {
    auto* m = static_cast<message_header*>(e);
    m->vt->destroy(e);
  } else {
    auto* s = static_cast<signal_envelope*>(e);
    if (s->payload != nullptr) destroy_envelope(s->payload);
    s->~signal_envelope();
    block_free(s, sizeof(signal_envelope));
  }
}

namespace {

/// Answers an envelope whose addressee `dead` does not exist (any more).
void answer_dead(node_impl& n, pid dead, envelope* e, const exit_reason& why) noexcept {
  if (!is_message(e)) {
    auto* s = static_cast<signal_envelope*>(e);
    switch (s->kind) {
      case signal_kind::link:
        send_signal(n, s->from, signal_kind::link_exit, dead, 0, why);
        break;
      case signal_kind::unlink:  // acknowledged for the dead, so the unlinker forgets it
        send_signal(n, s->from, signal_kind::unlink_ack, dead, s->ref);
        break;
      case signal_kind::monitor:
        send_signal(n, s->from, signal_kind::down, dead, s->ref, why);
        break;
      case signal_kind::request:
        s->fn(nullptr, s->arg);
        break;
      default:
        break;
    }
  }
  destroy_envelope(e);
}

bool push(node_impl& n, process& p, envelope* e) noexcept {
  envelope* old = p.inbox.load(std::memory_order_relaxed);
  for (;;) {
    if (old == kClosed) return false;
    e->next = is_tag(old) ? nullptr : old;
    if (p.inbox.compare_exchange_weak(old, e, std::memory_order_acq_rel, std::memory_order_relaxed))
      break;
  }
  if (old == kWaiting) {
    n.sched.schedule(p);  // we took the wake-up: nobody else can run p until we queue it
  } else if (old == kWaitingThread) {
    // The mailbox thread may already be gone (timed out) and its slot reused:
    // touch only the slot's never-freed waiter.
    auto* tw = static_cast<thread_waiter*>(p.waiter.load(std::memory_order_acquire));
    { std::lock_guard lk(tw->mu); }
    tw->cv.notify_all();
  }
  return true;
}

envelope* reverse(envelope* lifo) noexcept {
  envelope* fifo = nullptr;
  while (lifo != nullptr) {
    envelope* nx = lifo->next;
    lifo->next = fifo;
    fifo = lifo;
    lifo = nx;
  }
  return fifo;
}

void append(process& p, envelope* e) noexcept {
  e->next = nullptr;
  *p.save_tail = e;
  p.save_tail = &e->next;
  p.save_len.store(p.save_len.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

template <class T>
void deliver(process& p, T&& msg) {
  envelope* e = make_message<std::decay_t<T>>(std::forward<T>(msg));
  e->target_serial = p.serial;
  append(p, e);
}

void apply_exit(process& p, pid from, const exit_reason& reason, bool via_link) {
  if (!via_link && reason.is(exit_reason::kind::kill)) {
    set_exit(p, exit_reason::killed());
    return;
  }
  if (p.trap_exit) {
    deliver(p, exit_msg{from, reason});
    return;
  }
  if (reason.is_normal()) {
    if (!via_link && from == p.self()) set_exit(p, exit_reason::normal());
    return;
  }
  set_exit(p, reason);
}

void handle(process& p, envelope* e) {
  if (e->target_serial != p.serial) {
    answer_dead(*p.node, pid(p.node_id, p.slot, e->target_serial), e, exit_reason::noproc());
    return;
  }
  if (e->kind == signal_kind::aliased_message) {
    auto* m = static_cast<message_header*>(e);
    if (p.extras == nullptr || !p.extras->aliases.contains(m->vt->alias_tag(m))) {
      destroy_envelope(e);  // the alias is no longer active
      return;
    }
    e->kind = signal_kind::message;  // an ordinary message from here on
  }
  if (e->kind == signal_kind::message) {
    if (p.max_mailbox != 0 && p.save_len.load(std::memory_order_relaxed) >= p.max_mailbox) {
      set_exit(p, exit_reason::mailbox_overflow());
      destroy_envelope(e);
      return;
    }
    append(p, e);
    return;
  }
  auto* s = static_cast<signal_envelope*>(e);
  switch (s->kind) {
    case signal_kind::link:
      extras_of(p).links.try_emplace(s->from, {});
      break;
    case signal_kind::unlink:
      if (p.extras != nullptr && !p.extras->unlinking.contains(s->from))
        p.extras->links.erase(s->from);
      send_signal(*p.node, s->from, signal_kind::unlink_ack, p.self(), s->ref);
      break;
    case signal_kind::unlink_ack:
      if (p.extras != nullptr) {
        const std::uint64_t* id = p.extras->unlinking.find(s->from);
        if (id != nullptr && *id == s->ref) p.extras->unlinking.erase(s->from);
      }
      break;
    case signal_kind::exit:
      apply_exit(p, s->from, s->reason, false);
      break;
    case signal_kind::link_exit:
      if (p.extras != nullptr && p.extras->links.erase(s->from))
        apply_exit(p, s->from, s->reason, true);
      break;
    case signal_kind::monitor:
      extras_of(p).monitored_by.assign(s->ref, s->from);
      if (s->payload != nullptr) {  // a call's request, sent with its monitor
        envelope* m = std::exchange(s->payload, nullptr);
        m->target_serial = p.serial;
        handle(p, m);  // an ordinary message from here on
      }
      break;
    case signal_kind::demonitor:
      if (p.extras != nullptr) p.extras->monitored_by.erase(s->ref);
      break;
    case signal_kind::down:
      if (p.extras != nullptr) {
        if (auto m = p.extras->remove_monitor(s->ref))
          deliver(p, down_msg{ref(p.node_id, s->ref), s->from, s->reason, std::move(m->name)});
      }
      break;
    case signal_kind::timeout:
      if (s->ref == p.rx_seq && p.rx_match != nullptr) {
        p.rx_timed_out = true;
        p.rx_timer = nullptr;
      }
      break;
    case signal_kind::request:
      s->fn(&p, s->arg);
      break;
    case signal_kind::aliased:
      if (p.extras != nullptr && p.extras->aliases.contains(s->ref)) {
        envelope* m = std::exchange(s->payload, nullptr);
        m->target_serial = p.serial;
        handle(p, m);  // an ordinary message from here on
      }
      break;
    case signal_kind::message:
    case signal_kind::aliased_message:
      break;
  }
  destroy_envelope(e);
}

}  // namespace

void refuse_envelope(node_impl& n, pid to, envelope* e, const exit_reason& why) noexcept {
  answer_dead(n, to, e, why);
}

bool install_remote_router(node_impl& n, remote_router* r) noexcept {
  remote_router* none = nullptr;
  return n.remote.compare_exchange_strong(none, r, std::memory_order_seq_cst);
}

void remove_remote_router(node_impl& n) noexcept {
  n.remote.store(nullptr, std::memory_order_seq_cst);
  while (n.remote_senders.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

void send_envelope(node_impl& n, pid to, envelope* e) noexcept {
  if (to.node() != n.id) {
    if (to.is_null()) {  // nobody: answered as a dead process is
      answer_dead(n, to, e, exit_reason::noproc());
      return;
    }
    // Counted before the router is read, so remove_remote_router knows
    // when no sender can still be inside the old one.
    n.remote_senders.fetch_add(1, std::memory_order_seq_cst);
    if (remote_router* r = n.remote.load(std::memory_order_seq_cst); r != nullptr)
      r->route(to, e);
    else
      answer_dead(n, to, e, exit_reason::noconnection());
    n.remote_senders.fetch_sub(1, std::memory_order_seq_cst);
    return;
  }
  process* p = n.table.find(to);
  if (p == nullptr) {
    answer_dead(n, to, e, exit_reason::noproc());
    return;
  }
  e->target_serial = to.serial();
  if (!push(n, *p, e)) answer_dead(n, to, e, exit_reason::noproc());
}

void send_signal(node_impl& n, pid to, signal_kind k, pid from, std::uint64_t refid,
                 exit_reason reason) noexcept {
  if (to.is_null()) return;
  signal_envelope* s;
  try {
    s = make_signal(k, from);
  } catch (...) {
    internal_error("out of memory while delivering a signal: its guarantees cannot be kept");
  }
  s->ref = refid;
  s->reason = std::move(reason);
  send_envelope(n, to, s);
}

void set_exit(process& p, exit_reason reason) noexcept {
  if (p.exit_pending) return;
  p.exit_pending = true;
  p.reason = std::move(reason);
}

bool drain(process& p) {
  if (p.exit_pending) return false;
  if (p.inbox.load(std::memory_order_relaxed) == nullptr) return true;
  envelope* lifo = p.inbox.exchange(nullptr, std::memory_order_acquire);
  if (is_tag(lifo)) return true;
  envelope* e = reverse(lifo);
  while (e != nullptr) {
    envelope* nx = e->next;
    e->next = nullptr;
    if (p.exit_pending)
      answer_dead(*p.node, pid(p.node_id, p.slot, e->target_serial), e, exit_reason::noproc());
    else
      handle(p, e);
    e = nx;
  }
  return !p.exit_pending;
}

void finish_process(process& p) noexcept {
  node_impl& n = *p.node;
  const pid me = p.self();
  if (!p.exit_pending) set_exit(p, exit_reason::normal());
  const exit_reason reason = p.reason;
  p.status.store(run_state::exiting, std::memory_order_relaxed);
  p.serial_word.store(p.serial | kDeadBit, std::memory_order_seq_cst);
  if (p.has_name.load(std::memory_order_seq_cst)) n.names.drop(p);
  // Its tables go to their heirs or are deleted before anyone hears of the
  // exit (ERTS does the same): a DOWN's receiver finds them transferred.
  if (p.owns_tables.load(std::memory_order_seq_cst)) {
    if (owner_exit_fn f = n.owner_exit.load(std::memory_order_acquire)) f(n, me);
  }
  if (p.rx_timer != nullptr) {
    cancel_timer_quiet(timer_ref(p.rx_timer, p.rx_timer_gen));
    p.rx_timer = nullptr;
  }
  if (p.top) {
    auto h = std::exchange(p.top, {});
    h.destroy();  // RAII cleanup of the body, as the BEAM frees a dead process's heap
  }
  drop_hibernation(p);  // a hibernated body's arguments
  envelope* rest = p.inbox.exchange(kClosed, std::memory_order_acq_rel);
  if (!is_tag(rest)) {
    envelope* e = reverse(rest);
    while (e != nullptr) {
      envelope* nx = e->next;
      e->next = nullptr;
      answer_dead(n, pid(p.node_id, p.slot, e->target_serial), e, exit_reason::noproc());
      e = nx;
    }
  }
  // No longer counted before anyone is told: whoever gets the DOWN or EXIT
  // sees process_count() without it.
  n.people.depart(p.external.load(std::memory_order_relaxed));
  if (process_extras* x = std::exchange(p.extras, nullptr)) {
    x->links.for_each([&](const pid& l, set_member) {
      send_signal(n, l, signal_kind::link_exit, me, 0, reason);
    });
    x->monitored_by.for_each([&](std::uint64_t r, const pid& watcher) {
      send_signal(n, watcher, signal_kind::down, me, r, reason);
    });
    x->monitors.for_each([&](std::uint64_t r, const monitor_entry& m) {
      send_signal(n, m.target, signal_kind::demonitor, me, r);
    });
    free_extras(x);
  }
  while (envelope* e = p.save_head) {
    p.save_head = e->next;
    destroy_envelope(e);
  }
  p.save_tail = &p.save_head;
  p.save_len.store(0, std::memory_order_relaxed);
  p.rx_match = nullptr;
  p.rx_awaiter = nullptr;
  p.reason = exit_reason();
  p.resume_point = {};
  p.status.store(run_state::free, std::memory_order_relaxed);
  n.table.release(worker_of(n), p.slot);
}

void init_process(node_impl& n, process& p, std::uint32_t slot, bool external) {
  p.node = &n;
  p.node_id = n.id;
  p.slot = slot;
  std::uint32_t s = ((p.serial_word.load(std::memory_order_relaxed) & ~kDeadBit) + 1) & ~kDeadBit;
  if (s == 0) s = 1;
  p.serial = s;
  p.external.store(external, std::memory_order_relaxed);
  p.save_head = nullptr;
  p.save_tail = &p.save_head;
  p.save_len.store(0, std::memory_order_relaxed);
  p.trap_exit = false;
  p.exit_pending = false;
  p.max_mailbox = 0;
  p.reductions = 0;
  p.resume_point = {};
  p.top = {};
  p.reason = exit_reason();
  p.rx_awaiter = nullptr;
  p.rx_match = nullptr;
  p.rx_cursor = &p.save_head;
  p.rx_seq = 0;
  p.rx_timer = nullptr;
  p.rx_timed_out = false;
  p.owns_tables.store(false, std::memory_order_relaxed);
  p.extras = nullptr;
  p.link_parent.store(0, std::memory_order_relaxed);
  p.has_name.store(false, std::memory_order_relaxed);
  p.status.store(run_state::runnable, std::memory_order_relaxed);
  p.serial_word.store(s, std::memory_order_release);
  p.inbox.store(nullptr, std::memory_order_release);
}

std::coroutine_handle<> on_body_done(process* p) noexcept {
  set_exit(*p, exit_reason::normal());
  node_impl& n = *p->node;
  finish_process(*p);
  return n.sched.next_handle();
}

void on_body_exception(process* p) noexcept {
  // from_exception returns an exit_error's own reason.
  set_exit(*p, exit_reason::from_exception(std::current_exception()));
}

}  // namespace otp::detail

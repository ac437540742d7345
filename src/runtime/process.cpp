// The otp:: free functions of process.hpp: they act for the calling process
// or mailbox.
#include "otp/runtime/process.hpp"

#include "otp/runtime/detail/remote_router.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/receive.hpp"
#include "runtime/node_impl.hpp"

namespace otp {

namespace detail {

process& require_process(const char* what) {
  process* p = ctx().proc;
  if (p == nullptr)
    throw badarg(std::string(what) +
                 ": not called from a process or a thread with an otp::mailbox");
  return *p;
}

node_impl& require_node(const char* what) {
  node_impl* n = ctx().node;
  if (n == nullptr)
    throw badarg(std::string(what) +
                 ": not called from a process or a thread with an otp::mailbox; use the "
                 "otp::node member instead");
  return *n;
}

spawn_result spawn_impl(node_impl& n, std::coroutine_handle<> h, promise_base& pr,
                        const spawn_request& req) {
  context& c = ctx();
  process* parent = c.node == &n ? c.proc : nullptr;
  const population::admission a = n.people.admit(false, n.opts.max_processes);
  if (a == population::admission::stopped) {
    h.destroy();
    throw badarg("spawn: the node is stopped");
  }
  if ((req.link || req.monitor) && parent == nullptr) {
    if (a == population::admission::admitted) n.people.cancel(false);
    h.destroy();
    throw badarg("spawn: link and monitor need a calling process or mailbox");
  }
  if (a == population::admission::full) {
    h.destroy();
    throw system_limit("spawn: " + std::to_string(n.opts.max_processes) +
                       " processes are alive (node_options::max_processes)");
  }
  std::uint32_t slot;
  try {
    slot = n.table.allocate(worker_of(n));
  } catch (...) {
    n.people.cancel(false);
    h.destroy();
    throw;
  }
  process& p = *n.table.at(slot);
  init_process(n, p, slot, false);
  p.top = h;
  p.resume_point = h;
  pr.top_of = &p;
  p.trap_exit = req.trap_exit;
  p.max_mailbox = req.max_mailbox;
  spawn_result r{p.self(), {}};
  if (req.link) {
    p.link_parent.store(std::uint64_t{parent->slot} << 32 | parent->serial,
                        std::memory_order_relaxed);
    extras_of(p).links.try_emplace(parent->self(), {});
    extras_of(*parent).links.try_emplace(r.child, {});
  }
  // The application tag is inherited (one branch when the parent has none).
  if (parent != nullptr && parent->extras != nullptr && parent->extras->application)
    extras_of(p).application = parent->extras->application;
  if (req.monitor) {
    r.monitor = req.monitor_ref.is_null() ? n.new_ref() : req.monitor_ref;
    extras_of(p).monitored_by.assign(r.monitor.id(), parent->self());
    extras_of(*parent).monitors.assign(r.monitor.id(), monitor_entry{r.child});
  }
  n.sched.enqueue_new(p);
  return r;
}

namespace {
struct yield_op {
  process* p = nullptr;
  bool await_ready() {
    p = &require_process("yield");
    if (p->external.load(std::memory_order_relaxed)) return true;
    drain(*p);
    return false;
  }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    return rx_suspend(*p, h, nullptr, nullptr, timeout(infinity), true);
  }
  void await_resume() const noexcept {}
};
}  // namespace

}  // namespace detail

void detail::require_mailbox_thread(const char* what) {
  process* p = ctx().proc;
  if (p == nullptr || !p->external.load(std::memory_order_relaxed))
    throw badarg(std::string(what) +
                 ": needs a thread that owns an otp::mailbox (in a process, use co_await)");
}

void detail::task_suspended_on_thread() {
  // Every runtime awaitable completes at once on a mailbox thread; a foreign
  // awaitable that suspends would leave the frame with nobody to resume it.
  throw badarg("task::get: the task suspended on a thread (an awaitable without thread support)");
}

pid self() { return detail::require_process("self").self(); }

void exit(exit_reason reason) { throw exit_error(std::move(reason)); }

void exit(pid to, exit_reason reason) {
  detail::node_impl& n = detail::require_node("exit");
  detail::process* me = detail::ctx().proc;
  detail::send_signal(n, to, detail::signal_kind::exit, me != nullptr ? me->self() : pid(), 0,
                      std::move(reason));
}

void link(pid to) {
  detail::process& p = detail::require_process("link");
  if (to == p.self() || to.is_null()) return;
  detail::process_extras& x = detail::extras_of(p);
  if (x.links.contains(to)) return;
  detail::node_impl& n = *p.node;
  if (to.node() == n.id && n.table.find(to) == nullptr && !p.trap_exit)
    throw exit_error(exit_reason::noproc());
  x.links.try_emplace(to, {});
  detail::send_signal(n, to, detail::signal_kind::link, p.self());
}

void unlink(pid to) {
  detail::process& p = detail::require_process("unlink");
  if (p.extras == nullptr || !p.extras->links.erase(to)) return;
  const std::uint64_t id = p.node->new_ref().id();
  p.extras->unlinking.assign(to, id);
  detail::send_signal(*p.node, to, detail::signal_kind::unlink, p.self(), id);
}

namespace {
ref monitor_impl(detail::process& p, pid target, std::string name) {
  detail::node_impl& n = *p.node;
  ref r = n.new_ref();
  detail::process_extras& x = detail::extras_of(p);
  const bool by_name = !name.empty();
  if (by_name) x.monitor_names.emplace_back(r.id(), std::move(name));
  x.monitors.assign(r.id(), detail::monitor_entry{target, by_name});
  if (target.is_null())  // nobody to watch: DOWN noproc at once
    detail::send_signal(n, p.self(), detail::signal_kind::down, target, r.id(),
                        exit_reason::noproc());
  else
    detail::send_signal(n, target, detail::signal_kind::monitor, p.self(), r.id());
  return r;
}
}  // namespace

ref monitor(pid target) { return monitor_impl(detail::require_process("monitor"), target, {}); }

ref monitor(std::string_view name) {
  detail::process& p = detail::require_process("monitor");
  return monitor_impl(p, p.node->names.whereis(name), std::string(name));
}

ref detail::monitor_without_signal(pid target) {
  detail::process& p = detail::require_process("monitor");
  const ref r = p.node->new_ref();
  detail::extras_of(p).monitors.assign(r.id(), detail::monitor_entry{target, false});
  return r;
}

ref detail::monitor_by_name(pid target, std::string name) {
  return monitor_impl(detail::require_process("monitor"), target, std::move(name));
}

bool demonitor(ref r, demonitor_options o) {
  detail::process& p = detail::require_process("demonitor");
  if (r.node() != p.node_id)
    throw badarg("demonitor: " + r.to_string() + " is a reference of another node");
  if (p.extras != nullptr && p.extras->monitored_by.find(r.id()) != nullptr)
    throw badarg("demonitor: " + r.to_string() +
                 " is a monitor another process holds on the caller; only it may remove it");
  bool found = false;
  if (p.extras != nullptr) {
    if (auto m = p.extras->remove_monitor(r.id())) {
      found = true;
      if (!m->target.is_null())
        detail::send_signal(*p.node, m->target, detail::signal_kind::demonitor, p.self(), r.id());
    }
  }
  if (o.flush && !found) {
    for (detail::envelope** pp = &p.save_head; *pp != nullptr; pp = &(*pp)->next) {
      auto* m = static_cast<detail::message_header*>(*pp);
      if (m->vt == detail::type_key<down_msg>() &&
          static_cast<detail::message_envelope<down_msg>*>(*pp)->value.monitor == r) {
        if (p.rx_cursor == &(*pp)->next) p.rx_cursor = pp;
        detail::destroy_envelope(detail::save_unlink(p, pp));
        break;
      }
    }
  }
  return o.info ? found : true;
}

bool trap_exit(bool on) {
  detail::process& p = detail::require_process("trap_exit");
  bool old = p.trap_exit;
  p.trap_exit = on;
  return old;
}

bool is_alive(pid p) {
  detail::node_impl& n = detail::require_node("is_alive");
  return p.node() == n.id && n.table.find(p) != nullptr;
}

bool detail::link_parent_gone(pid p) {
  detail::node_impl& n = detail::require_node("link_parent_gone");
  if (p.node() != n.id) return false;
  detail::process* q = n.table.find(p);
  if (q == nullptr) return false;
  const std::uint64_t word = q->link_parent.load(std::memory_order_relaxed);
  // The slot may have been reused meanwhile: the word is p's only if p still lives.
  if (q->serial_word.load(std::memory_order_seq_cst) != p.serial() || word == 0) return false;
  const pid parent(n.id, static_cast<std::uint32_t>(word >> 32), static_cast<std::uint32_t>(word));
  return n.table.find(parent) == nullptr;
}

void register_name(std::string name, pid p) {
  detail::require_node("register_name").names.add(std::move(name), p);
}

void unregister_name(std::string_view name) {
  detail::require_node("unregister_name").names.remove(name);
}

pid whereis(std::string_view name) { return detail::require_node("whereis").names.whereis(name); }

std::optional<std::chrono::milliseconds> cancel_timer(timer_ref t) noexcept {
  return detail::cancel_timer_ref(t);
}

ref make_ref() { return detail::require_node("make_ref").new_ref(); }

std::chrono::milliseconds monotonic_time() {
  return std::chrono::milliseconds(detail::require_node("monotonic_time").now_ms());
}

unsigned schedulers_online() {
  return static_cast<unsigned>(detail::require_node("schedulers_online").sched.size());
}

ref alias() {
  detail::process& p = detail::require_process("alias");
  ref r = p.node->new_ref();
  detail::extras_of(p).aliases.try_emplace(r.id(), {});
  return r;
}

void detail::end_with(process& p, exit_reason reason) noexcept { set_exit(p, std::move(reason)); }

void* detail::behaviour_slot(const process& p) noexcept {
  return p.extras != nullptr ? p.extras->behaviour : nullptr;
}

void detail::set_behaviour_slot(process& p, void* v) { extras_of(p).behaviour = v; }

void detail::set_behaviour_kind(process& p, const char* kind) {
  extras_of(p).behaviour_kind = kind;
}

bool unalias(ref a) {
  detail::process& p = detail::require_process("unalias");
  return p.extras != nullptr && p.extras->aliases.erase(a.id());
}

task<void> yield() { co_await detail::yield_op{}; }

std::vector<pid> processes() { return detail::live_pids(detail::require_node("processes")); }

task<std::optional<process_info>> get_process_info(pid target) {
  detail::process& me = detail::require_process("get_process_info");
  if (target == me.self()) co_return detail::snapshot(me, detail::run_state::running);
  detail::node_impl& n = *me.node;
  if (target.node() != n.id || n.table.find(target) == nullptr) co_return std::nullopt;
  ref tag = n.new_ref();
  detail::request_info(n, target, me.self(), tag);
  co_return co_await receive(when([tag](const detail::info_reply& r) { return r.tag == tag; },
                                  [](detail::info_reply&& r) { return std::move(r.info); }));
}

}  // namespace otp

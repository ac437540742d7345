// otp::node: construction, stop, manual stepping, and node-level queries.
#include "otp/runtime/node.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include "otp/runtime/detail/node_slot.hpp"
#include "otp/runtime/mailbox.hpp"
#include "otp/runtime/receive.hpp"
#include "runtime/node_impl.hpp"

namespace otp::detail {

namespace {
std::atomic<std::uint32_t> g_next_node_id{0};
std::atomic<std::uint64_t> g_next_thread_tag{1};

unsigned scheduler_count(const node_options& o) {
  if (o.manual) return 1;
  if (o.schedulers != 0) return o.schedulers;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

process_status public_status(run_state s) {
  switch (s) {
    case run_state::running:
      return process_status::running;
    case run_state::waiting:
      return process_status::waiting;
    case run_state::exiting:
    case run_state::free:
      return process_status::exiting;
    case run_state::runnable:
      break;
  }
  return process_status::runnable;
}

struct info_request {
  node_impl* node;
  pid requester;
  ref tag;
  run_state seen;
};

void info_fn(process* target, void* arg) {
  auto* rq = static_cast<info_request*>(arg);
  std::optional<otp::process_info> info;
  if (target != nullptr) info = snapshot(*target, rq->seen);
  send_envelope(*rq->node, rq->requester,
                make_message<info_reply>(info_reply{rq->tag, std::move(info)}));
  delete rq;
}
}  // namespace

node_impl::node_impl(node_options o)
    : id(g_next_node_id.fetch_add(1, std::memory_order_relaxed)),
      opts(std::move(o)),
      table(opts.max_processes +
            static_cast<std::uint32_t>(scheduler_count(opts) * process_table::kWorkerSlotCache)),
      sched(*this, scheduler_count(opts)),
      names(table, id),
      timers(*this),
      blocking(opts.blocking_threads, [this](process& p) { sched.schedule(p); }),
      watchdog(sched.workers(), id, opts),
      clock(opts.manual) {
  if (opts.reductions == 0) opts.reductions = 1;
  if (!clock.manual()) {
    sched.start();
    watchdog.start();
  }
}

node_impl::~node_impl() = default;

std::shared_ptr<void> node_slot(node_impl& n, const void* key,
                                std::shared_ptr<void> (*make)(node_impl& n)) {
  return n.slots.get(n, key, make);
}

ref node_impl::new_ref() noexcept {
  thread_local std::uint64_t tag = g_next_thread_tag.fetch_add(1, std::memory_order_relaxed);
  thread_local std::uint64_t counter = 0;
  return ref(id, (tag << 40) | (++counter & ((std::uint64_t{1} << 40) - 1)));
}

std::uint32_t allocate_node_id() noexcept {
  return g_next_node_id.fetch_add(1, std::memory_order_relaxed);
}

bool is_alive(const node_impl& n, pid p) noexcept {
  return p.node() == n.id && n.table.find(p) != nullptr;
}

otp::process_info snapshot(process& p, run_state seen) {
  otp::process_info i;
  i.status = public_status(seen);
  i.message_queue_len = p.save_len.load(std::memory_order_relaxed);
  i.reductions = p.reductions;
  i.trap_exit = p.trap_exit;
  i.hibernated = is_hibernated(p);
  i.max_mailbox = p.max_mailbox;
  i.memory = sizeof(process);
  for (envelope* e = p.save_head; e != nullptr; e = e->next) i.memory += 64;
  if (p.extras != nullptr) {
    const process_extras& x = *p.extras;
    x.links.for_each([&](const pid& l, set_member) { i.links.push_back(l); });
    x.monitors.for_each([&](std::uint64_t, const monitor_entry& m) {
      if (!m.target.is_null()) i.monitors.push_back(m.target);
    });
    x.monitored_by.for_each([&](std::uint64_t, const pid& w) { i.monitored_by.push_back(w); });
    if (x.behaviour_kind != nullptr) i.behaviour = x.behaviour_kind;
    i.memory += sizeof(process_extras) + x.links.heap_bytes() + x.unlinking.heap_bytes() +
                x.monitors.heap_bytes() + x.monitored_by.heap_bytes() + x.aliases.heap_bytes();
  }
  if (p.has_name.load(std::memory_order_relaxed)) i.registered_name = p.node->names.name_of(p.slot);
  return i;
}

std::vector<pid> live_pids(node_impl& n) {
  std::vector<pid> out;
  const std::uint32_t hw = n.table.high_water();
  for (std::uint32_t s = 0; s < hw; ++s) {
    process* p = n.table.at(s);
    if (p == nullptr) continue;
    std::uint32_t serial = p->serial_word.load(std::memory_order_acquire);
    if ((serial & kDeadBit) == 0) out.emplace_back(n.id, s, serial);
  }
  return out;
}

void request_info(node_impl& n, pid target, pid requester, ref tag) {
  process* q = target.node() == n.id ? n.table.find(target) : nullptr;
  run_state seen = q != nullptr ? q->status.load(std::memory_order_relaxed) : run_state::free;
  auto* rq = new info_request{&n, requester, tag, seen};
  signal_envelope* s = make_signal(signal_kind::request, requester);
  s->fn = &info_fn;
  s->arg = rq;
  send_envelope(n, target, s);
}

}  // namespace otp::detail

namespace otp {

std::string_view to_string(process_status s) noexcept {
  switch (s) {
    case process_status::runnable:
      return "runnable";
    case process_status::running:
      return "running";
    case process_status::waiting:
      return "waiting";
    case process_status::exiting:
      return "exiting";
  }
  return "unknown";
}

node::node(node_options opts) : impl_(std::make_unique<detail::node_impl>(std::move(opts))) {
  impl_->owner = this;
}

node& this_node() { return *detail::require_node("this_node").owner; }

node::~node() { stop(); }

std::uint32_t node::id() const noexcept { return impl_->id; }
const node_options& node::options() const noexcept { return impl_->opts; }

void node::exit(pid to, exit_reason reason) {
  detail::send_signal(impl(), to, detail::signal_kind::exit, pid(), 0, std::move(reason));
}

bool node::is_alive(pid p) const noexcept { return detail::is_alive(*impl_, p); }

void node::register_name(std::string name, pid p) { impl().names.add(std::move(name), p); }
void node::unregister_name(std::string_view name) { impl().names.remove(name); }
pid node::whereis(std::string_view name) const { return impl().names.whereis(name); }

std::vector<pid> node::processes() const { return detail::live_pids(impl()); }

std::size_t node::process_count() const noexcept { return impl_->people.count(); }

std::optional<otp::process_info> node::process_info(pid p, timeout t) {
  detail::node_impl& n = impl();
  if (!is_alive(p)) return std::nullopt;
  detail::context& c = detail::ctx();
  if (c.w != nullptr)
    throw badarg("process_info: called on a scheduler thread; use co_await otp::get_process_info");
  std::optional<mailbox> tmp;
  if (c.proc == nullptr || c.node != &n || !c.proc->external.load(std::memory_order_relaxed))
    tmp.emplace(*this);
  detail::process& me = *detail::ctx().proc;
  if (p == me.self()) return detail::snapshot(me, detail::run_state::running);
  ref tag = n.new_ref();
  detail::request_info(n, p, me.self(), tag);
  auto op = otp::receive(when([tag](const detail::info_reply& r) { return r.tag == tag; },
                              [](detail::info_reply&& r) { return std::move(r.info); }),
                         after(t, [] { return std::optional<otp::process_info>(); }));
  return op.run_blocking(me);
}

std::optional<std::chrono::milliseconds> node::cancel_timer(timer_ref t) noexcept {
  return detail::cancel_timer_ref(t);
}

std::chrono::milliseconds node::now() const noexcept {
  return std::chrono::milliseconds(impl_->now_ms());
}

std::size_t node::run_until_idle() {
  detail::node_impl& n = impl();
  if (!n.clock.manual()) throw badarg("run_until_idle: the node is not in manual mode");
  if (detail::ctx().w != nullptr) throw badarg("run_until_idle: called from inside a process");
  return n.sched.run_manual();
}

bool node::step() {
  detail::node_impl& n = impl();
  if (!n.clock.manual()) throw badarg("step: the node is not in manual mode");
  if (detail::ctx().w != nullptr) throw badarg("step: called from inside a process");
  return n.sched.run_manual(1) == 1;
}

void node::advance(std::chrono::milliseconds d) {
  detail::node_impl& n = impl();
  if (!n.clock.manual()) throw badarg("advance: the node is not in manual mode");
  if (d.count() < 0) throw badarg("advance: negative duration");
  if (detail::ctx().w != nullptr) throw badarg("advance: called from inside a process");
  detail::worker& w = n.sched.at(0);
  const std::uint64_t target = n.now_ms() + static_cast<std::uint64_t>(d.count());
  n.sched.run_manual();
  for (;;) {
    if (n.timers.has_deferred()) n.timers.adopt(w);
    auto t = w.wheel.next_tick();
    if (!t || *t > target) break;
    if (*t > n.now_ms()) n.clock.advance_to(*t);
    detail::context saved = detail::ctx();
    detail::ctx() = detail::context{&n, nullptr, &w};
    n.sched.run_timers(w, *t);
    detail::ctx() = saved;
    n.sched.run_manual();
  }
  n.clock.advance_to(target);
  n.sched.run_manual();
}

std::optional<std::chrono::milliseconds> node::next_timer() const {
  detail::node_impl& n = impl();
  if (!n.clock.manual()) throw badarg("next_timer: the node is not in manual mode");
  detail::worker& w = n.sched.at(0);
  if (n.timers.has_deferred()) n.timers.adopt(w);
  std::optional<std::uint64_t> best;
  for (auto& wk : n.sched.workers())
    if (auto t = wk->wheel.next_tick(); t && (!best || *t < *best)) best = t;
  if (!best) return std::nullopt;
  return std::chrono::milliseconds(*best);
}

}  // namespace otp

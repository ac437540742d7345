// Links, monitors and exit signals across a connection: the node's signals
// to remote pids become control messages (LINK, EXIT, EXIT2, UNLINK_ID,
// MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT), the peer's become the node's
// signals, and when the connection goes down every link and monitor on it
// fires with noconnection.
#include "dist/control_ops.hpp"
#include "dist/kernel.hpp"
#include "dist/node_table.hpp"
#include "otp/dist/etf.hpp"
#include "otp/runtime/logger.hpp"

namespace otp::dist_detail {

namespace {

using otp::detail::signal_kind;

/// The name a monitor by name is for, while monitor_name sends it (the
/// runtime's monitor signal carries only the pid standing for it).
thread_local const std::string* t_monitored_name = nullptr;

/// A pid standing for a process registered on another node: slot and
/// serial 0, under the id of (node, creation 0).
bool stands_for_name(pid p) {
  if (p.slot() != 0 || p.serial() != 0) return false;
  const auto who = identity_of(p.node());
  return who && who->creation == 0;
}

const term& field(const tuple_value& t, std::size_t i) { return control_field(t, i); }

std::uint64_t integer_field(const tuple_value& t, std::size_t i) {
  const auto* v = field(t, i).get_if<std::int64_t>();
  if (v == nullptr || *v < 0) throw std::runtime_error("a control message's id is not an integer");
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

term kernel::ref_term(std::uint64_t id) const { return to_term(ref(local_id_, id)); }

std::optional<std::uint64_t> kernel::ref_id(const term& t) const {
  const auto* e = t.get_if<ext_ref>();
  if (e == nullptr || e->node != self_.name) return std::nullopt;  // not looked up
  try {
    const ref r = from_term<ref>(t);
    if (r.node() == local_id_) return r.id();
  } catch (const term_mismatch&) {
  }
  return std::nullopt;
}

const term& control_field(const tuple_value& t, std::size_t i) {
  if (i >= t.items.size()) throw std::runtime_error("a control message too short");
  return t.items[i];
}

std::optional<pid> kernel::local_pid(const term& t) const {
  // A pid of another node is not looked up (nor added to the node table).
  const auto* e = t.get_if<ext_pid>();
  if (e == nullptr) throw std::runtime_error("a control message's pid is not a pid");
  // Another incarnation of this node: nobody here (and not looked up).
  if (e->node != self_.name || e->creation != self_.creation) return std::nullopt;
  const pid p = from_term<pid>(t);
  if (p.node() != local_id_) return std::nullopt;
  return p;
}

pid kernel::peer_pid_of(const connection& c, const term& t) const {
  // The sender of a control message is a process of the peer: a peer cannot
  // link or monitor in a third node's name (checked before the pid is
  // looked up, so that naming other nodes adds nothing to the node table).
  const auto* e = t.get_if<ext_pid>();
  if (e == nullptr || e->node != c.peer || e->creation != c.creation)
    throw std::runtime_error("a control message from a pid of another node");
  const pid p = from_term<pid>(t);
  if (p.node() != c.peer_id)
    throw std::runtime_error("a control message from a pid of another node");
  return p;
}

bool kernel::record_if_up(connection& c, const std::function<void(connection&)>& fn) {
  // Once down, its links and monitors have fired: what comes after must not
  // outlive it.
  std::lock_guard cl(c.mu);
  if (c.st != connection::state::up) return false;
  fn(c);
  return true;
}

std::optional<exit_reason> kernel::route_signal(const std::shared_ptr<connection>& c, pid to,
                                                const otp::detail::signal_envelope& s) {
  const term from = to_term(s.from);
  const term dest = to_term(to);
  term control;
  std::string name;  // a monitor by name: monitor_name's, on this thread
  // Runs after the switch (in enqueue): what it captures lives out here.
  std::function<void(connection&)> record;
  switch (s.kind) {
    case signal_kind::link:
      control = term::tuple({term(dop::link), from, dest});
      record = [&](connection& k) { k.links.insert({s.from, to}); };
      break;
    case signal_kind::unlink:
      control =
          term::tuple({term(dop::unlink_id), term(static_cast<std::int64_t>(s.ref)), from, dest});
      record = [&](connection& k) { k.links.erase({s.from, to}); };
      break;
    case signal_kind::unlink_ack:
      control = term::tuple(
          {term(dop::unlink_id_ack), term(static_cast<std::int64_t>(s.ref)), from, dest});
      break;
    case signal_kind::exit:
      control = term::tuple({term(dop::exit2), from, dest, to_term(s.reason)});
      break;
    case signal_kind::link_exit:
      control = term::tuple({term(dop::exit), from, dest, to_term(s.reason)});
      record = [&](connection& k) { k.links.erase({s.from, to}); };
      break;
    case signal_kind::monitor: {
      if (s.payload != nullptr) {
        logger::error(
            "distribution: a typed gen_server call to the remote pid {} whose request its "
            "server type's `remote` does not list (otp/dist/remote_api.hpp): refused with noproc",
            to.to_string());
        return exit_reason::noproc();
      }
      if (stands_for_name(to)) {
        if (t_monitored_name == nullptr) return exit_reason::noproc();
        name = *t_monitored_name;
      }
      control = term::tuple(
          {term(dop::monitor_p), from, name.empty() ? dest : term::atom(name), ref_term(s.ref)});
      record = [&](connection& k) { k.out_monitors[s.ref] = {s.from, to, std::move(name)}; };
      break;
    }
    case signal_kind::demonitor: {
      term target = dest;
      {
        std::lock_guard cl(c->mu);
        auto it = c->out_monitors.find(s.ref);
        if (it == c->out_monitors.end()) return std::nullopt;  // it fired meanwhile
        // By name: the name; else the process (a spawn's monitor holds the
        // child here, while the runtime holds a pid standing for it).
        target = it->second.name.empty() ? to_term(it->second.target) : term::atom(it->second.name);
      }
      control = term::tuple({term(dop::demonitor_p), from, target, ref_term(s.ref)});
      record = [&](connection& k) { k.out_monitors.erase(s.ref); };
      break;
    }
    case signal_kind::down: {
      std::lock_guard cl(c->mu);
      auto it = c->in_monitors.find(s.ref);
      if (it == c->in_monitors.end()) return std::nullopt;  // demonitored meanwhile
      control = term::tuple(
          {term(dop::monitor_p_exit), it->second.target, dest, it->second.ref, to_term(s.reason)});
      c->in_refs.erase(it->second.ref.to_string());
      c->in_monitors.erase(it);
      break;
    }
    default:  // timeouts, requests, aliases: local only
      return exit_reason::noproc();
  }
  if (!enqueue(c, make_frame(control, nullptr), record)) return exit_reason::noconnection();
  return std::nullopt;
}

void kernel::handle_signal(const std::shared_ptr<connection>& c, std::int64_t op,
                           const tuple_value& ct) {
  using otp::detail::send_signal;
  otp::detail::node_impl& n = node_.impl();
  auto local = [&](const term& t) { return local_pid(t); };
  auto peer_pid = [&](const term& t) { return peer_pid_of(*c, t); };
  auto record = [&](const std::function<void(connection&)>& fn) { return record_if_up(*c, fn); };
  switch (op) {
    case dop::link: {
      const pid from = peer_pid(field(ct, 1));
      const auto to = local(field(ct, 2));
      if (!to || !record([&](connection& k) { k.links.insert({*to, from}); })) return;
      send_signal(n, *to, signal_kind::link, from, 0, {});
      return;
    }
    case dop::exit:
    case dop::exit2: {
      const pid from = peer_pid(field(ct, 1));
      const auto to = local(field(ct, 2));
      if (!to) return;
      if (op == dop::exit) {
        std::lock_guard cl(c->mu);
        c->links.erase({*to, from});
      }
      send_signal(n, *to, op == dop::exit ? signal_kind::link_exit : signal_kind::exit, from, 0,
                  from_term<exit_reason>(field(ct, 3)));
      return;
    }
    case dop::unlink_id:
    case dop::unlink_id_ack: {
      const std::uint64_t id = integer_field(ct, 1);
      const pid from = peer_pid(field(ct, 2));
      const auto to = local(field(ct, 3));
      if (!to) return;
      if (op == dop::unlink_id) {
        std::lock_guard cl(c->mu);
        c->links.erase({*to, from});
      }
      send_signal(n, *to, op == dop::unlink_id ? signal_kind::unlink : signal_kind::unlink_ack,
                  from, id, {});
      return;
    }
    case dop::monitor_p: {
      const pid watcher = peer_pid(field(ct, 1));
      const term& target = field(ct, 2);
      const term& ref = field(ct, 3);
      std::optional<pid> to;
      if (const auto* name = target.get_if<atom_value>()) {
        const pid p = node_.whereis(name->name);
        // The kernel answers net_kernel's calls (net_adm:ping) itself; it is
        // there as long as the connection: nothing to watch.
        if (p.is_null() && name->name == "net_kernel") return;
        if (!p.is_null()) to = p;
      } else {
        to = local(target);
      }
      if (!to) {  // no such process: DOWN with noproc at once
        const term control = term::tuple(
            {term(dop::monitor_p_exit), target, field(ct, 1), ref, term::atom("noproc")});
        enqueue(c, make_frame(control, nullptr), nullptr);
        return;
      }
      const std::uint64_t id = kPeerMonitorBit | next_peer_monitor_.fetch_add(1);
      if (!record([&](connection& k) {
            k.in_monitors[id] = {ref, target, *to, watcher};
            k.in_refs[ref.to_string()] = id;
          }))
        return;
      send_signal(n, *to, signal_kind::monitor, watcher, id, {});
      return;
    }
    case dop::demonitor_p: {
      const pid watcher = peer_pid(field(ct, 1));
      const term& ref = field(ct, 3);
      pid target;
      std::uint64_t id = 0;
      {
        std::lock_guard cl(c->mu);
        auto it = c->in_refs.find(ref.to_string());
        if (it == c->in_refs.end()) return;
        id = it->second;
        target = c->in_monitors[id].local;
        c->in_monitors.erase(id);
        c->in_refs.erase(it);
      }
      send_signal(n, target, signal_kind::demonitor, watcher, id, {});
      return;
    }
    case dop::monitor_p_exit: {
      const term& target = field(ct, 1);
      const auto watcher = local(field(ct, 2));
      const auto id = ref_id(field(ct, 3));
      if (!watcher || !id) return;
      pid from;
      {
        std::lock_guard cl(c->mu);
        auto it = c->out_monitors.find(*id);
        if (it == c->out_monitors.end()) return;  // demonitored meanwhile
        from = it->second.target;
        c->out_monitors.erase(it);
      }
      (void)target;
      send_signal(n, *watcher, signal_kind::down, from, *id, from_term<exit_reason>(field(ct, 4)));
      return;
    }
    default:
      logger::debug("distribution: node {} sent control message {}, not handled", c->peer, op);
  }
}

ref kernel::monitor_name(const std::string& name, const std::string& peer) {
  if (peer == self_.name) return otp::monitor(name);
  const pid stand_in(node_id_of(peer, 0), 0, 0);
  t_monitored_name = &name;
  struct reset {
    ~reset() { t_monitored_name = nullptr; }
  } on_exit;
  return otp::detail::monitor_by_name(stand_in, name);
}

void kernel::fire_noconnection(connection& c) {
  using otp::detail::send_signal;
  otp::detail::node_impl& n = node_.impl();
  decltype(c.links) links;
  decltype(c.out_monitors) out;
  decltype(c.spawn_requests) spawns;
  decltype(c.in_monitors) in;
  {
    std::lock_guard cl(c.mu);
    links.swap(c.links);
    out.swap(c.out_monitors);
    spawns.swap(c.spawn_requests);
    in.swap(c.in_monitors);
    c.in_refs.clear();
  }
  for (const auto& [local, remote] : links)
    send_signal(n, local, signal_kind::link_exit, remote, 0, exit_reason::noconnection());
  for (const auto& [id, m] : out)
    send_signal(n, m.watcher, signal_kind::down, m.target, id, exit_reason::noconnection());
  for (const auto& [id, m] : in) send_signal(n, m.local, signal_kind::demonitor, m.watcher, id, {});
  for (const auto& [id, caller] : spawns) answer_spawn(caller, id, term::atom("noconnection"), 0);
}

}  // namespace otp::dist_detail

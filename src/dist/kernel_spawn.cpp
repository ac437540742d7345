// Spawning across a connection (DFLAG_SPAWN): this node's SPAWN_REQUESTs
// and their SPAWN_REPLYs, the peer's requests run on this node, and
// otp::spawn_remote.
#include "dist/control_ops.hpp"
#include "dist/kernel.hpp"
#include "dist/node_table.hpp"
#include "otp/dist/etf.hpp"
#include "otp/dist/remote_spawn.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/logger.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"

namespace otp::dist_detail {

/// Lets a process spawned for a peer run: sent after its link and monitor.
struct spawn_go {};

namespace {

using otp::detail::signal_kind;

constexpr std::int64_t kLinked = 1;
constexpr std::int64_t kMonitored = 2;

/// A process a peer spawned: it waits until its link and monitor are in
/// place, then runs the registered function (or exits with undef).
otp::proc spawned(spawnable fn, term args, term mfa) {
  co_await otp::receive<spawn_go>();
  if (!fn)
    throw exit_error(
        from_term<exit_reason>(term::tuple({term::atom("undef"), term::list({std::move(mfa)})})));
  co_await fn(std::move(args));
}

}  // namespace

otp::proc io_server() {
  for (;;) {
    term m = co_await otp::receive<term>();
    const auto* t = m.get_if<tuple_value>();
    if (t == nullptr || t->items.size() != 4 || !t->items[0].is_atom("io_request")) continue;
    const auto* req = t->items[3].get_if<tuple_value>();
    const bool put = req != nullptr && !req->items.empty() && req->items[0].is_atom("put_chars");
    if (put) {
      const auto* text = req->items.back().get_if<binary_value>();
      logger::info("io from {}: {}", t->items[1].to_string(),
                   text != nullptr ? std::string(text->bytes.begin(), text->bytes.end())
                                   : t->items[3].to_string());
    }
    try {
      otp::send(from_term<pid>(t->items[1]),
                term::tuple({term::atom("io_reply"), t->items[2],
                             put ? term::atom("ok")
                                 : term::tuple({term::atom("error"), term::atom("enotsup")})}));
    } catch (const term_mismatch&) {  // a From that is not a pid: nobody to answer
    }
  }
}

term spawn_reply_term(ref req, term result, std::int64_t flags) {
  return term::tuple({term::atom("spawn_reply"), to_term(req), std::move(result), term(flags)});
}

void kernel::register_spawnable(std::string module, std::string function, spawnable fn) {
  std::lock_guard lock(spawn_mu_);
  spawnables_[{std::move(module), std::move(function)}] = std::move(fn);
}

void kernel::answer_spawn(pid caller, std::uint64_t id, term result, std::int64_t flags) {
  otp::detail::send_envelope(node_.impl(), caller,
                             otp::detail::make_message<term>(
                                 spawn_reply_term(ref(local_id_, id), std::move(result), flags)));
}

void kernel::request_spawn(const std::string& peer, ref req, pid caller, const std::string& module,
                           const std::string& function, term args, remote_spawn_options o) {
  std::vector<term> opts;
  if (o.link) opts.push_back(term::atom("link"));
  if (o.monitor) opts.push_back(term::atom("monitor"));
  const auto* list = args.get_if<list_value>();
  const auto arity = static_cast<std::int64_t>(list == nullptr ? 0 : list->items.size());
  // The group leader is the node's own io server: a BEAM child that prints
  // gets its answers (the caller would never give them).
  const term control = term::tuple(
      {term(dop::spawn_request), ref_term(req.id()), to_term(caller), to_term(io_server_),
       term::tuple({term::atom(module), term::atom(function), term(arity)}), term::list(opts)});
  std::shared_ptr<connection> c = connection_to(peer);
  bool refused = false;  // a peer without DFLAG_SPAWN would never answer
  const bool queued = enqueue(c, make_frame(control, &args), [&](connection& k) {
    refused = k.st == connection::state::up && (k.flags & kFlagSpawn) == 0;
    if (!refused) k.spawn_requests[req.id()] = caller;
  });
  if (!queued || refused)
    answer_spawn(caller, req.id(), term::atom(refused ? "notsup" : "noconnection"), 0);
}

pid kernel::spawn_waiting(const std::string& module, const std::string& function, term args) {
  spawnable fn;
  {
    std::lock_guard lock(spawn_mu_);
    if (auto it = spawnables_.find({module, function}); it != spawnables_.end()) fn = it->second;
  }
  term mfa = term::tuple({term::atom(module), term::atom(function), args, term::list({})});
  return node_.spawn(spawned, std::move(fn), std::move(args), std::move(mfa));
}

void kernel::refuse_spawns_without_flag(connection& c) {
  if ((c.flags & kFlagSpawn) != 0) return;
  std::map<std::uint64_t, pid> waiting;
  {
    std::lock_guard cl(c.mu);
    waiting.swap(c.spawn_requests);
  }
  for (const auto& [id, caller] : waiting) answer_spawn(caller, id, term::atom("notsup"), 0);
}

void kernel::handle_spawn_request(const std::shared_ptr<connection>& c, const tuple_value& ct,
                                  term args) {
  // {29, ReqId, From, GroupLeader, {Module, Function, Arity}, OptList} (30:
  // the same with a trace token after it, which is not kept)
  const term& req = control_field(ct, 1);
  const pid from = peer_pid_of(*c, control_field(ct, 2));
  const term& mfa = control_field(ct, 4);
  const auto* mfa_t = mfa.get_if<tuple_value>();
  const auto* list = args.get_if<list_value>();
  if (mfa_t == nullptr || mfa_t->items.size() != 3 || !mfa_t->items[0].is<atom_value>() ||
      !mfa_t->items[1].is<atom_value>() || list == nullptr || list->tail != nullptr)
    throw std::runtime_error("a SPAWN_REQUEST without {Module, Function, Arity} and a list");
  bool link = false;
  bool monitor = false;
  if (const auto* opts = control_field(ct, 5).get_if<list_value>()) {
    for (const term& opt : opts->items) {
      const auto* t = opt.get_if<tuple_value>();
      link = link || opt.is_atom("link");
      monitor = monitor || opt.is_atom("monitor") ||
                (t != nullptr && !t->items.empty() && t->items[0].is_atom("monitor"));
    }
  }
  const term& to = control_field(ct, 2);
  pid child;
  try {
    child = spawn_waiting(mfa_t->items[0].get_if<atom_value>()->name,
                          mfa_t->items[1].get_if<atom_value>()->name, std::move(args));
  } catch (const std::exception& e) {  // the process table is full, or the node stops
    logger::warning("distribution: node {} asked for a spawn: {}", c->peer, e.what());
    enqueue(c, make_frame(term::tuple({term(dop::spawn_reply), req, to, term(0),
                                       term::atom("system_limit")}),
                          nullptr));
    return;
  }
  otp::detail::node_impl& n = node_.impl();
  // From here the child runs, or is killed: never left waiting for go.
  try {
    const term child_term = to_term(child);
    const std::uint64_t monitor_id =
        monitor ? kPeerMonitorBit | next_peer_monitor_.fetch_add(1) : 0;
    // The link, the monitor and the reply under one lock: a connection that
    // goes down meanwhile fires them all with noconnection, or none exist.
    const bool up = record_if_up(*c, [&](connection& k) {
      if (link) k.links.insert({child, from});
      if (monitor) {
        k.in_monitors[monitor_id] = {req, child_term, child, from};
        k.in_refs[req.to_string()] = monitor_id;
      }
    });
    if (!up) {  // nobody to tell: the child goes before it starts
      otp::detail::send_signal(n, child, signal_kind::exit, from, 0, exit_reason::kill());
      return;
    }
    if (link) otp::detail::send_signal(n, child, signal_kind::link, from, 0, {});
    if (monitor) otp::detail::send_signal(n, child, signal_kind::monitor, from, monitor_id, {});
    const std::int64_t flags = (link ? kLinked : 0) | (monitor ? kMonitored : 0);
    // The reply goes out before anything the child sends (it waits for go).
    enqueue(c, make_frame(term::tuple({term(dop::spawn_reply), req, to, term(flags), child_term}),
                          nullptr));
  } catch (...) {
    otp::detail::send_signal(n, child, signal_kind::exit, from, 0, exit_reason::kill());
    throw;
  }
  otp::detail::send_envelope(n, child, otp::detail::make_message<spawn_go>());
}

void kernel::handle_spawn_reply(const std::shared_ptr<connection>& c, const tuple_value& ct) {
  // {31, ReqId, To, Flags, Result} (32: the same with a trace token)
  const auto id = ref_id(control_field(ct, 1));
  const auto caller = local_pid(control_field(ct, 2));
  const auto* flags = control_field(ct, 3).get_if<std::int64_t>();
  const term& result = control_field(ct, 4);
  if (!id || !caller || flags == nullptr) return;
  // Checked before the request is taken: a bad reply leaves it to the
  // connection's end (noconnection), not waiting forever.
  const std::optional<pid> child =
      result.is<ext_pid>() ? std::optional<pid>(peer_pid_of(*c, result)) : std::nullopt;
  const bool alive = otp::detail::is_alive(node_.impl(), *caller);
  bool asked = false;
  std::int64_t done = 0;
  {
    // Taking the request and recording the link and monitor in one step: a
    // connection going down meanwhile sees either the request or them.
    std::lock_guard cl(c->mu);
    auto it = c->spawn_requests.find(*id);
    if (it == c->spawn_requests.end() || it->second != *caller) return;  // not asked
    c->spawn_requests.erase(it);
    asked = true;
    if (child && alive && c->st == connection::state::up) {
      if ((*flags & kLinked) != 0) {
        c->links.insert({*caller, *child});
        done |= kLinked;
      }
      if ((*flags & kMonitored) != 0) {
        c->out_monitors[*id] = {*caller, *child, {}};
        done |= kMonitored;
      }
    }
  }
  if (!asked) return;
  if (child && !alive) {
    // The caller is gone: its monitor goes (as erts does); a link answers
    // noproc, which ends the child.
    if ((*flags & kMonitored) != 0)
      enqueue(c, make_frame(term::tuple({term(dop::demonitor_p), to_term(*caller), result,
                                         control_field(ct, 1)}),
                            nullptr));
    if ((*flags & kLinked) != 0)
      otp::detail::send_signal(node_.impl(), *child, signal_kind::link_exit, *caller, 0,
                               exit_reason::noproc());
    return;
  }
  if (child && (*flags & (kLinked | kMonitored)) != done) {
    answer_spawn(*caller, *id, term::atom("noconnection"), 0);  // went down meanwhile
    return;
  }
  if ((done & kLinked) != 0)
    otp::detail::send_signal(node_.impl(), *caller, signal_kind::link, *child, 0, {});
  answer_spawn(*caller, *id, result, done);
}

}  // namespace otp::dist_detail

namespace otp {

task<remote_spawned> spawn_remote(std::string node, std::string module, std::string function,
                                  std::vector<term> args, remote_spawn_options o) {
  std::shared_ptr<dist_detail::kernel> k = dist_detail::kernel_here("spawn_remote");
  if (module.size() > 255 || function.size() > 255)
    throw badarg("spawn_remote: a module or function name longer than 255 bytes");
  if (node == k->name()) {  // this node: a child linked and monitored before it runs
    const pid child = k->spawn_waiting(module, function, term::list(std::move(args)));
    if (o.link) link(child);
    const ref mon = o.monitor ? monitor(child) : ref{};
    send(child, dist_detail::spawn_go{});
    co_return remote_spawned{child, mon};
  }
  // With monitor, the caller holds the monitor from now on (the ref is the
  // request's), under a pid standing for the node until the child is known.
  const ref req = o.monitor
                      ? detail::monitor_without_signal(pid(dist_detail::node_id_of(node, 0), 0, 0))
                      : make_ref();
  k->request_spawn(node, req, self(), module, function, term::list(std::move(args)), o);
  const term tag = to_term(req);
  std::optional<term> reply;
  co_await receive(when(
      [&tag](const term& m) {
        const auto* t = m.get_if<tuple_value>();
        return t != nullptr && t->items.size() == 4 && t->items[0].is_atom("spawn_reply") &&
               t->items[1] == tag;
      },
      [&reply](term&& m) { reply = std::move(m); }));
  const auto& items = reply->get_if<tuple_value>()->items;
  const std::int64_t flags = *items[3].get_if<std::int64_t>();
  if (o.monitor && (flags & 2) == 0) demonitor(req);  // no child, or no monitor of it
  if (!items[2].is<ext_pid>()) throw exit_error(from_term<exit_reason>(items[2]));
  co_return remote_spawned{from_term<pid>(items[2]), o.monitor && (flags & 2) != 0 ? req : ref{}};
}

}  // namespace otp

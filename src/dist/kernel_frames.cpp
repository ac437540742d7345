// Frames: what the kernel writes for the node's remote sends (route), and
// what it does with the frames peers send (control message, then payload).
#include <mutex>
#include <set>

#include "dist/control_ops.hpp"
#include "dist/kernel.hpp"
#include "dist/node_table.hpp"
#include "otp/dist/etf.hpp"
#include "otp/dist/gen_call.hpp"
#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/detail/type_name.hpp"
#include "otp/runtime/logger.hpp"

namespace otp::dist_detail {

namespace {

constexpr std::uint8_t kPassThrough = 'p';

}  // namespace

std::vector<std::uint8_t> make_frame(const term& control, const term* payload) {
  std::vector<std::uint8_t> frame(5);
  frame[4] = kPassThrough;
  auto c = term_to_binary(control);
  frame.insert(frame.end(), c.begin(), c.end());
  if (payload != nullptr) {
    auto p = term_to_binary(*payload);
    frame.insert(frame.end(), p.begin(), p.end());
  }
  const auto len = static_cast<std::uint32_t>(frame.size() - 4);
  frame[0] = static_cast<std::uint8_t>(len >> 24);
  frame[1] = static_cast<std::uint8_t>(len >> 16);
  frame[2] = static_cast<std::uint8_t>(len >> 8);
  frame[3] = static_cast<std::uint8_t>(len);
  return frame;
}

namespace {

const term& element(const tuple_value& t, std::size_t i) {
  if (i >= t.items.size()) throw std::runtime_error("a control message too short");
  return t.items[i];
}

}  // namespace

void kernel::warn_not_a_term(const std::type_info& t, pid to) {
  std::string name = otp::detail::type_name(t);
  {
    std::lock_guard lock(warned_mu_);
    if (!warned_types_.insert(name).second) return;
  }
  logger::error(
      "distribution: a message of type {} was sent to the remote pid {}, but only "
      "otp::term goes over the wire (convert it with otp::to_term): dropped, and every "
      "later one of that type",
      name, to.to_string());
}

void kernel::route(pid to, otp::detail::envelope* e) noexcept {
  using otp::detail::message_header;
  try {
    const auto who = identity_of(to.node());
    if (!who || who->name == self_.name) {
      // A pid of no node, or of an earlier incarnation of this one.
      otp::detail::refuse_envelope(node_.impl(), to, e, exit_reason::noproc());
      return;
    }
    if (!otp::detail::is_message(e)) {
      auto* s = static_cast<otp::detail::signal_envelope*>(e);
      using otp::detail::signal_kind;
      // A link, a monitor or exit/2 connects, as a send does; the ends of
      // links and monitors (EXIT, DOWN, demonitor, unlink) only use a
      // connection there is: without one, they have fired already.
      const bool connects = s->kind == signal_kind::link || s->kind == signal_kind::monitor ||
                            s->kind == signal_kind::exit;
      std::shared_ptr<connection> c;
      if (connects) {
        c = connection_to(who->name);
      } else {
        std::lock_guard lock(table_mu_);
        if (auto it = table_.find(who->name); it != table_.end()) c = it->second;
      }
      if (c == nullptr) {
        otp::detail::refuse_envelope(node_.impl(), to, e, exit_reason::noconnection());
        return;
      }
      std::optional<exit_reason> refused;
      {
        std::lock_guard cl(c->mu);
        // A pid of an earlier incarnation of the peer: no such process.
        // (Creation 0: a pid standing for a registered name, any incarnation.)
        if (c->st == connection::state::up && who->creation != 0 && c->creation != who->creation)
          refused = exit_reason::noproc();
      }
      if (!refused) refused = route_signal(c, to, *s);
      if (refused)
        otp::detail::refuse_envelope(node_.impl(), to, e, *refused);
      else
        otp::detail::destroy_envelope(e);
      return;
    }
    auto* m = static_cast<message_header*>(e);
    if (m->vt != otp::detail::type_key<term>()) {
      warn_not_a_term(*m->vt->type, to);  // once per type
      otp::detail::destroy_envelope(e);
      return;
    }
    term msg = std::move(static_cast<otp::detail::message_envelope<term>*>(m)->value);
    otp::detail::destroy_envelope(e);
    e = nullptr;
    const term control = term::tuple({term(dop::send), term::atom(""), to_term(to)});
    send_frame(who->name, who->creation, make_frame(control, &msg));
  } catch (const std::exception& ex) {
    logger::error("distribution: a message to {} was dropped: {}", to.to_string(), ex.what());
    if (e != nullptr) otp::detail::destroy_envelope(e);
  }
}

void kernel::send_reg(std::string_view to_name, std::string_view peer, const term& msg) {
  if (peer == self_.name) {  // {Name, node()}: this node's own registered process
    const pid to = node_.whereis(to_name);
    if (!to.is_null())
      otp::detail::send_envelope(node_.impl(), to, otp::detail::make_message<term>(msg));
    return;
  }
  const term from = sender();
  const term control =
      term::tuple({term(dop::reg_send), from, term::atom(""), term::atom(std::string(to_name))});
  send_frame(std::string(peer), 0, make_frame(control, &msg));
}

term kernel::sender() const {
  const otp::detail::context& here = otp::detail::ctx();
  if (here.proc != nullptr && here.node == &node_.impl()) return to_term(here.proc->self());
  return term(ext_pid{self_.name, 0, 0, self_.creation});  // this node's "kernel" pid
}

void kernel::add_alias(std::uint64_t id, pid owner) {
  std::lock_guard lock(alias_mu_);
  aliases_[id] = owner;
}

void kernel::remove_alias(std::uint64_t id) {
  std::lock_guard lock(alias_mu_);
  aliases_.erase(id);
}

void kernel::send_alias(const term& alias, const term& msg) {
  const auto* r = alias.get_if<ext_ref>();
  if (r == nullptr) return;     // an alias of nobody
  if (r->node == self_.name) {  // of this node: delivered here while active
    pid to;
    if (const auto id = ref_id(alias)) {
      std::lock_guard lock(alias_mu_);
      if (auto it = aliases_.find(*id); it != aliases_.end()) to = it->second;
    }
    if (!to.is_null())
      otp::detail::send_envelope(node_.impl(), to, otp::detail::make_message<term>(msg));
    return;
  }
  const term from = sender();
  send_frame(r->node, r->creation,
             make_frame(term::tuple({term(dop::alias_send), from, alias}), &msg));
}

void kernel::send_frame(const std::string& peer, std::uint32_t creation,
                        std::span<const std::uint8_t> frame) {
  if (stopping_.load()) return;
  std::shared_ptr<connection> c = connection_to(peer);
  if (creation != 0) {
    std::lock_guard cl(c->mu);
    // A pid of another incarnation of the peer: nobody to deliver it to.
    if (c->st == connection::state::up && c->creation != creation) return;
  }
  enqueue(c, frame);
}

void kernel::answer_net_kernel(const std::shared_ptr<connection>& /*c*/, const term& request) {
  // {'$gen_call', {From, Tag}, {is_auth, Node}}: what net_adm:ping asks.
  const auto call = as_gen_call(request);
  if (!call) return;
  const auto* req = call->request.get_if<tuple_value>();
  if (req != nullptr && !req->items.empty() && req->items[0].is_atom("is_auth"))
    send_reply(*call, term::atom("yes"));
}

void kernel::send_reply(const remote_call& c, term reply) {
  term answer = term::tuple({c.tag, std::move(reply)});
  // An alias-tagged call ([alias|Ref], OTP 24 and later) is answered to the
  // alias, which its node drops once the caller gave up.
  const auto* tag = c.tag.get_if<list_value>();
  if (tag != nullptr && tag->tail != nullptr && tag->items.size() == 1 &&
      tag->items[0].is_atom("alias")) {
    send_alias(*tag->tail, answer);
    return;
  }
  otp::detail::send_envelope(node_.impl(), c.from,
                             otp::detail::make_message<term>(std::move(answer)));
}

void kernel::handle_frame(const std::shared_ptr<connection>& c, std::span<const std::uint8_t> f) {
  try {
    if (f[0] != kPassThrough)
      throw std::runtime_error("a frame that starts with " + std::to_string(f[0]) +
                               ", not 112 (pass-through)");
    auto [control, used] = binary_to_term_used(f.subspan(1));
    const auto rest = f.subspan(1 + used);
    const auto* ct = control.get_if<tuple_value>();
    const auto* op =
        ct != nullptr && !ct->items.empty() ? ct->items[0].get_if<std::int64_t>() : nullptr;
    if (op == nullptr) throw std::runtime_error("a control message that is not {Op, ...}");
    if (*op == dop::spawn_request || *op == dop::spawn_request_tt) {  // its argument list follows
      if (rest.empty()) throw std::runtime_error("a SPAWN_REQUEST without its arguments");
      handle_spawn_request(c, *ct, binary_to_term(rest));
      return;
    }
    if (*op == dop::spawn_reply || *op == dop::spawn_reply_tt) {
      handle_spawn_reply(c, *ct);
      return;
    }
    if (*op != dop::send && *op != dop::reg_send && *op != dop::alias_send) {
      handle_signal(c, *op, *ct);
      return;
    }
    // A message: its payload follows the control message.
    if (rest.empty()) throw std::runtime_error("a message control without its message");
    term payload = binary_to_term(rest);
    pid to;
    if (*op == dop::send) {
      const auto local = local_pid(element(*ct, 2));
      if (!local) return;  // not a pid of this incarnation
      to = *local;
    } else if (*op == dop::reg_send) {
      const auto* name = element(*ct, 3).get_if<atom_value>();
      if (name == nullptr) throw std::runtime_error("REG_SEND to a name that is not an atom");
      to = node_.whereis(name->name);
      if (to.is_null() && name->name == "net_kernel") {
        answer_net_kernel(c, payload);
        return;
      }
    } else if (const auto id = ref_id(element(*ct, 2))) {
      std::lock_guard lock(alias_mu_);
      if (auto it = aliases_.find(*id); it != aliases_.end()) to = it->second;
    }
    // As erts: a message to an unregistered name or an inactive alias is dropped.
    if (!to.is_null())
      otp::detail::send_envelope(node_.impl(), to,
                                 otp::detail::make_message<term>(std::move(payload)));
  } catch (const std::exception& e) {
    logger::error("distribution: node {} sent a bad frame ({}): connection closed", c->peer,
                  e.what());
    take_down(c, "bad_frame");
  }
}

}  // namespace otp::dist_detail

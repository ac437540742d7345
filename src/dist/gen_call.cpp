// gen_server calls and casts across nodes: the messages, the caller's
// monitor and alias, and the answer.
#include "otp/dist/gen_call.hpp"

#include <functional>
#include <optional>

#include "dist/kernel.hpp"
#include "dist/node_table.hpp"
#include "otp/dist/term_codec.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"

namespace otp {

namespace {

/// An alias that takes messages while it lives (also when the calling
/// coroutine is destroyed mid-call).
class active_alias {
 public:
  active_alias(std::shared_ptr<dist_detail::kernel> k, std::uint64_t id, pid owner)
      : k_(std::move(k)), id_(id) {
    k_->add_alias(id_, owner);
  }
  ~active_alias() { k_->remove_alias(id_); }
  active_alias(const active_alias&) = delete;
  active_alias& operator=(const active_alias&) = delete;

 private:
  std::shared_ptr<dist_detail::kernel> k_;
  std::uint64_t id_;
};

}  // namespace

std::optional<remote_call> as_gen_call(const term& msg) {
  const auto* t = msg.get_if<tuple_value>();
  if (t == nullptr || t->items.size() != 3 || !t->items[0].is_atom("$gen_call"))
    return std::nullopt;
  const auto* from = t->items[1].get_if<tuple_value>();
  if (from == nullptr || from->items.size() != 2 || !from->items[0].is<ext_pid>())
    return std::nullopt;
  try {
    return remote_call{from_term<pid>(from->items[0]), from->items[1], t->items[2]};
  } catch (const term_mismatch&) {  // a pid of more node incarnations than are tracked
    return std::nullopt;
  }
}

std::optional<term> as_gen_cast(const term& msg) {
  const auto* t = msg.get_if<tuple_value>();
  if (t == nullptr || t->items.size() != 2 || !t->items[0].is_atom("$gen_cast"))
    return std::nullopt;
  return t->items[1];
}

void reply(const remote_call& c, term reply) {
  dist_detail::kernel_here("reply")->send_reply(c, std::move(reply));
}

namespace {

/// A call to the server the caller monitors with `mref`: `deliver` sends
/// the '$gen_call' message, tagged [alias|mref]; the reply, the DOWN or the
/// timeout ends it.
task<term> call_monitored(std::shared_ptr<dist_detail::kernel> k, ref mref, term request, timeout t,
                          std::string node, std::function<void(term)> deliver) {
  const pid me = self();
  const term tag = term::improper_list({term::atom("alias")}, to_term(mref));
  auto alias = std::make_optional<active_alias>(k, mref.id(), me);
  deliver(term::tuple({term::atom("$gen_call"), term::tuple({to_term(me), tag}), request}));
  const auto is_answer = [&tag](const term& m) {
    const auto* r = m.get_if<tuple_value>();
    return r != nullptr && r->items.size() == 2 && r->items[0] == tag;
  };
  std::optional<term> answer;
  std::optional<exit_reason> ended;
  co_await receive(
      when(is_answer,
           [&answer](term&& m) { answer = std::move(m.get_if<tuple_value>()->items[1]); }),
      when([mref](const down_msg& d) { return d.monitor == mref; },
           [&ended](down_msg&& d) { ended = std::move(d.reason); }),
      after(t, [&ended] { ended = exit_reason::timeout(); }));
  alias.reset();  // a reply from now on is dropped by the kernel
  demonitor_options flush;
  flush.flush = true;
  demonitor(mref, flush);
  if (answer) co_return std::move(*answer);
  // One that arrived before the alias went: not left in the mailbox.
  co_await receive(when(is_answer, [](term&&) {}),
                   after(timeout(std::chrono::milliseconds(0)), [] {}));
  // As gen:do_call: the server's node gone is {nodedown, Node}.
  if (to_term(*ended).is_atom("noconnection"))
    ended = from_term<exit_reason>(term::tuple({term::atom("nodedown"), term::atom(node)}));
  // As a local call: a server that ended normally makes the caller exit.
  if (ended->is_normal())
    ended = from_term<exit_reason>(term::tuple(
        {term::atom("normal"), term::tuple({term::atom("gen_server"), term::atom("call")})}));
  throw exit_error(std::move(*ended));
}

}  // namespace

task<term> gen_call(pid server, term request, timeout t) {
  std::shared_ptr<dist_detail::kernel> k = dist_detail::kernel_here("gen_call");
  const ref mref = monitor(server);
  const auto who = dist_detail::identity_of(server.node());
  co_return co_await call_monitored(std::move(k), mref, std::move(request), t,
                                    who ? who->name : std::string("nonode@nohost"),
                                    [server](term m) { send(server, std::move(m)); });
}

task<term> gen_call(remote_name server, term request, timeout t) {
  std::shared_ptr<dist_detail::kernel> k = dist_detail::kernel_here("gen_call");
  const ref mref = monitor(server);
  co_return co_await call_monitored(
      k, mref, std::move(request), t, server.node,
      [k, server](term m) { k->send_reg(server.name, server.node, m); });
}

void gen_cast(pid server, term request) {
  send(server, term::tuple({term::atom("$gen_cast"), std::move(request)}));
}

void gen_cast(const remote_name& server, term request) {
  dist_detail::kernel_here("gen_cast")
      ->send_reg(server.name, server.node,
                 term::tuple({term::atom("$gen_cast"), std::move(request)}));
}

}  // namespace otp

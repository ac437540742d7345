// The non-template parts of the gen_server engine and client.
#include "otp/behaviours/gen_server.hpp"

#include <cstdlib>
#include <memory>
#include <variant>

#include "otp/runtime/detail/type_name.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/report.hpp"

namespace otp::detail {

namespace {

// A call's span ends when the coroutine handle_call `t` does.
task<void> end_span_after(task<void> t, telemetry::detail::open_span span) {
  try {
    co_await std::move(t);
  } catch (...) {
    span.failed(std::current_exception());
    throw;
  }
  span.stop();
}

}  // namespace

void server_base::traced_call(std::string_view request, void (*run)(void*), void* ctx) {
  telemetry::detail::open_span span({"otp", "gen_server", "call"},
                                    {{"server", require_process("gen_server").self()},
                                     {"server_name", std::string_view(info.name)},
                                     {"request", request}});
  try {
    run(ctx);
  } catch (...) {
    span.failed(std::current_exception());
    throw;
  }
  if (pending)
    pending.emplace(end_span_after(take_pending(), std::move(span)));
  else
    span.stop();
}

void server_base::apply(server_result r) {
  switch (r.get_kind()) {
    case server_result::kind::noreply:
      if (r.next_timeout())
        next_timeout = *r.next_timeout();
      else
        next_timeout.reset();
      hibernate_next = r.hibernates();
      next_continue = r.take_continue();
      break;
    case server_result::kind::stop:
      stopping = true;
      stop_reason = r.reason();
      break;
    case server_result::kind::ignore:
      if (in_init) {
        ignored = true;
      } else {
        stopping = true;
        stop_reason = exit_reason::other("{bad_return_value,ignore}");
      }
      break;
    case server_result::kind::init_error:
      stopping = true;
      if (in_init) {
        init_error = r.reason();
      } else {
        stop_reason =
            exit_reason::other("{bad_return_value,{error," + r.reason().to_string() + "}}");
      }
      break;
  }
}

void server_base::on_system(system_msg& m) {
  switch (m.op) {
    case sys_op::run:
      m.fn(*this, m.caller, m.tag);
      break;
    case sys_op::suspend:
      suspended = true;
      send_reply(m.caller, m.tag, std::monostate{});
      break;
    case sys_op::resume:
      suspended = false;
      send_reply(m.caller, m.tag, std::monostate{});
      break;
    case sys_op::terminate:
      stopping = true;
      stop_reason = m.reason;
      break;
  }
}

namespace {

/// An error report from the server `me` runs, with `what` after its name.
report server_error(const process& me, const behaviour_info& info, std::string_view what) {
  report r;
  r.what = report::kind::error;
  r.from = me.self();
  r.headline = "** " + std::string(info.kind) + " " +
               (info.name.empty() ? me.self().to_string() : info.name) + " " + std::string(what);
  return r;
}

}  // namespace

void server_base::unexpected(const any_message& m) {
  process& me = require_process("gen_server");
  if (!reports_enabled(*me.node)) return;
  report r = server_error(me, info, "received an unexpected message (dropped)");
  r.fields.emplace_back("message_type", type_name(m.type()));
  r.fields.emplace_back("callback", type_name(state_type()));
  emit_report(*me.node, r);
}

void server_base::refuse_call(const any_message& m) {
  process& me = require_process("gen_server");
  const call_traits& call = *m.envelope()->vt->call;
  const call_header& h = call.header(m.envelope());
  const std::string request = type_name(*call.request);
  const std::string server = type_name(state_type());
  send_refusal(h.caller, h.tag, exit_reason::other("{bad_call," + request + "," + server + "}"));
  if (!reports_enabled(*me.node)) return;
  report r = server_error(me, info, "received a call it does not handle (refused)");
  r.fields.emplace_back("request", request);
  r.fields.emplace_back("addressed_to", type_name(*call.server));
  r.fields.emplace_back("caller", h.caller.to_string());
  r.fields.emplace_back("callback", server);
  emit_report(*me.node, r);
}

void server_base::report_crash(const exit_reason& reason) {
  if (reason.is_normal_termination()) return;
  process& me = require_process("gen_server");
  if (!reports_enabled(*me.node)) return;
  proc_lib::crash_report(reason, last_type != nullptr ? type_name(*last_type) : "none",
                         format_state());
}

std::string format_opaque_state(const std::type_info& type) {
  return std::string("#") + type.name();
}

std::string format_status_crashed() {
  const exit_reason r = exit_reason::from_exception(std::current_exception());
  const exception_info* e = r.exception();
  return "{format_status_crashed," + (e != nullptr ? e->type : std::string("unknown")) + ",\"" +
         (e != nullptr ? e->what : std::string()) + "\"}";
}

std::optional<pid> claim_name(const server_name& name) {
  const pid me = self();
  if (name.is_via()) {
    if (name.via()->register_name(me)) return std::nullopt;
    return name.via()->whereis_name();
  }
  if (pid holder = whereis(name.local()); !holder.is_null()) return holder;
  try {
    register_name(name.local(), me);
  } catch (const badarg&) {
    return whereis(name.local());
  }
  return std::nullopt;
}

task<std::optional<pid>> claim_name_after_orphans(const server_name& name) {
  // How long a start waits for an orphaned holder of its name to exit: its
  // parent's exit signal is already queued, so this is the holder's own
  // terminate (bounded by its shutdown spec, 5 s for a worker by default).
  constexpr std::chrono::milliseconds kOrphanHolderWait{5000};
  std::optional<pid> holder = claim_name(name);
  for (int tries = 0; holder && tries < 3 && link_parent_gone(*holder); ++tries) {
    const ref mon = monitor(*holder);
    const bool gone = co_await receive(when([mon](const down_msg& d) { return d.monitor == mon; },
                                            [](down_msg&&) { return true; }),
                                       after(kOrphanHolderWait, [] { return false; }));
    if (!gone) {
      demonitor(mon, {.flush = true});
      break;
    }
    holder = claim_name(name);
  }
  co_return holder;
}

void release_name(const server_name& name) noexcept {
  try {
    const pid me = self();
    if (name.is_via()) {
      name.via()->unregister_name(me);
    } else if (name.is_local() && whereis(name.local()) == me) {
      unregister_name(name.local());
    }
  } catch (...) {
    // The name is gone already: nothing to release.
  }
}

void require_own_name(const server_name& name) {
  if (name.empty() || name.whereis() == self()) return;
  exit(exit_reason::other(name.is_via() ? "process_not_registered_via" : "process_not_registered"));
}

exit_reason reason_of_current_exception() noexcept {
  // from_exception tells an exit_error apart itself: one rethrow, not two.
  return exit_reason::from_exception(std::current_exception());
}

inbound classify(const any_message& m, const void* family, pid parent) noexcept {
  const message_vtable* vt = m.envelope()->vt;
  if (vt->family == family) return inbound::request;
  if (vt->call != nullptr) return inbound::foreign_call;
  if (vt == type_key<system_msg>()) return inbound::system;
  if (vt == type_key<exit_msg>()) {
    // From the parent, or from no process (the node stopping, node::exit):
    // the server ends with that reason.
    const pid from = static_cast<message_envelope<exit_msg>*>(m.envelope())->value.from;
    if (from.is_null() || from == parent) return inbound::parent_exit;
  }
  return inbound::info;
}

task<void> wait_while_suspended(server_base& loop) {
  auto m = co_await receive(
      [](system_msg&& s) -> std::variant<system_msg, exit_msg> { return std::move(s); },
      when([p = loop.info.parent](const exit_msg& e) { return e.from == p || e.from.is_null(); },
           [](exit_msg&& e) -> std::variant<system_msg, exit_msg> { return std::move(e); }));
  if (auto* s = std::get_if<system_msg>(&m))
    loop.on_system(*s);
  else
    loop.apply(server_result::stop(std::get<exit_msg>(m).reason));
}

void call_server_down(const exit_reason& r) {
  if (r.is_normal()) exit(exit_reason::other("{normal,{gen_server,call}}"));
  exit(r);
}

}  // namespace otp::detail

namespace otp::gen_server {

task<void> stop_server(pid server, exit_reason reason, timeout t) {
  if (server.is_null()) exit(exit_reason::noproc());
  const detail::receive_mark mark = detail::mark_queue();
  const ref mon = monitor(server);
  detail::system_msg m;
  m.caller = self();
  m.tag = mon;
  m.op = detail::sys_op::terminate;
  m.reason = reason;
  send(server, std::move(m));
  std::optional<exit_reason> down =
      co_await receive(
          when([mon](const down_msg& d) { return d.monitor == mon; },
               [](down_msg&& d) { return std::optional<exit_reason>(std::move(d.reason)); }),
          after(t, [] { return std::optional<exit_reason>(); }))
          .starting_at(mark);
  if (!down) {
    demonitor(mon, {.flush = true});
    exit(exit_reason::timeout());
  }
  if (down->is(exit_reason::kind::noproc)) exit(exit_reason::noproc());
  if (!(*down == reason)) exit(std::move(*down));
}

}  // namespace otp::gen_server

// Synchronous start (the parent's wait and the child's ack) and crash reports.
//
// Protocol of a start (proc_lib:start_link in OTP 26, where a failed start is
// synchronous):
//  1. The parent adopts a reply channel (otp/runtime/detail/reply_channel.hpp),
//     marks its queue, then spawns the child with the channel's ref as its
//     monitor (and a link for start_link). The mark comes first, so the ack
//     and the DOWN are both newer than it.
//  2. The child registers its name, runs init, releases the name if init
//     failed, and only then replies its start_result on the channel.
//  3. The parent waits for the ack, the DOWN, or the start timeout (then it
//     unlinks first, so the kill cannot reach it, and kills the child). On
//     anything but ok it waits for the DOWN, so the child is gone when
//     start_link returns, unlinks, and removes the child's exit_msg from its
//     own mailbox. On ok the monitor is dropped (the child drops its side as
//     it acks), except for start_monitor, which hands it to the caller.
#include "otp/behaviours/proc_lib.hpp"

#include "otp/runtime/detail/reply_channel.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/report.hpp"

namespace otp {

namespace detail {

std::vector<pid> ancestors_for_child() {
  process& me = require_process("start_link");
  std::vector<pid> out{me.self()};
  if (auto* info = static_cast<const behaviour_info*>(behaviour_slot(me)))
    out.insert(out.end(), info->ancestors.begin(), info->ancestors.end());
  return out;
}

namespace {

/// Waits for the child's DOWN, then drops the link and any exit_msg it left.
task<exit_reason> reap(pid child, ref mon, bool linked) {
  exit_reason why = co_await receive(when([mon](const down_msg& d) { return d.monitor == mon; },
                                          [](down_msg&& d) { return std::move(d.reason); }));
  if (linked) {
    unlink(child);
    co_await receive(
        when([child](const exit_msg& e) { return e.from == child; }, [](exit_msg&&) {}), after(0));
  }
  co_return why;
}

}  // namespace

task<start_result> sync_start(start_tie tie, const start_options& o,
                              spawned (*spawn)(void* ctx, const spawn_options&, starter),
                              void* ctx) {
  const bool link = tie == start_tie::link;
  const bool keep_monitor = tie == start_tie::monitor;
  process& me = require_process(link ? "start_link" : keep_monitor ? "start_monitor" : "start");
  // The reply channel of the ack: its ref becomes the spawn's monitor.
  const reply_channel ch = reply_channel::adopt(me);
  std::vector<pid> ancestors = ancestors_for_child();
  spawn_options so;
  so.link = link;
  so.monitor = true;
  so.monitor_ref = ch.tag();
  so.max_mailbox = o.max_mailbox;
  const receive_mark mark = mark_queue();
  const spawned s =
      spawn(ctx, so, starter(self(), ch.tag(), std::move(ancestors), link, keep_monitor));

  using outcome = reply_outcome<start_result>;
  outcome w =
      co_await receive_reply<start_result>(on_channel{ch.tag()}, o.start_timeout).starting_at(mark);
  ch.close_alias();
  switch (w.how) {
    case outcome::kind::value:
      if (w.value->is_ok()) {
        if (keep_monitor)
          w.value->monitor = s.monitor;
        else
          ch.close(w.monitor_gone);
        co_return std::move(*w.value);
      }
      co_await reap(s.child, s.monitor, link);
      co_return std::move(*w.value);
    case outcome::kind::down:
    case outcome::kind::refused:
      if (link) {
        unlink(s.child);
        co_await receive(
            when([c = s.child](const exit_msg& e) { return e.from == c; }, [](exit_msg&&) {}),
            after(0));
      }
      co_return start_result::error(std::move(w.reason));
    case outcome::kind::timeout:
      // Unlink first: the kill must not reach a caller that does not trap exits.
      if (link) unlink(s.child);
      exit(s.child, exit_reason::kill());
      co_await reap(s.child, s.monitor, link);
      co_return start_result::error(exit_reason::timeout());
  }
  co_return start_result::error(exit_reason::timeout());
}

}  // namespace detail

void starter::ack(start_result r) {
  if (acked_) return;
  acked_ = true;
  // On ok the starter returns now and its monitor of us is done; otherwise
  // (or for start_monitor) it keeps the monitor to wait for our exit.
  const bool drop_monitor = r.is_ok() && !monitored_;
  detail::send_reply(parent_, tag_, std::move(r), drop_monitor);
}

void starter::fail(exit_reason reason) {
  ack(start_result::error(reason));
  exit(std::move(reason));
}

namespace proc_lib {

namespace {
std::string pid_list(const std::vector<pid>& ps) {
  std::string out = "[";
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (i != 0) out += ",";
    out += ps[i].to_string();
  }
  return out + "]";
}
}  // namespace

void crash_report(const exit_reason& reason, const std::string& last_message,
                  const std::string& state) {
  detail::process& me = detail::require_process("crash_report");
  if (!detail::reports_enabled(*me.node) || reason.is_normal_termination()) return;
  const auto* info = static_cast<const detail::behaviour_info*>(detail::behaviour_slot(me));
  report r;
  r.what = report::kind::crash;
  r.from = me.self();
  r.reason = reason;
  const std::string kind = info != nullptr ? info->kind : "proc_lib";
  const std::string name =
      info != nullptr && !info->name.empty() ? info->name : me.self().to_string();
  r.headline = "** " + kind + " " + name + " terminating";
  r.fields.emplace_back("crasher", me.self().to_string());
  r.fields.emplace_back("registered_name", info != nullptr ? info->name : std::string());
  r.fields.emplace_back("ancestors", info != nullptr ? pid_list(info->ancestors) : "[]");
  r.fields.emplace_back("last_message", last_message);
  r.fields.emplace_back("state", state);
  r.fields.emplace_back("reason", reason.to_string());
  if (const exception_info* ex = reason.exception()) r.fields.emplace_back("exception", ex->type);
  detail::emit_report(*me.node, r);
}

}  // namespace proc_lib
}  // namespace otp

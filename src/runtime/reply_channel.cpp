// The requester's side of a reply channel (otp/runtime/detail/reply_channel.hpp).
#include "otp/runtime/detail/reply_channel.hpp"

#include "otp/runtime/process.hpp"
#include "runtime/node_impl.hpp"

namespace otp::detail {

reply_channel reply_channel::open(process& me, pid to, otp::ref tag, envelope* request) {
  signal_envelope* s = nullptr;
  try {
    process_extras& x = extras_of(me);
    x.monitors.assign(tag.id(), monitor_entry{to});
    x.aliases.try_emplace(tag.id(), {});
    s = make_signal(signal_kind::monitor, me.self());
  } catch (...) {
    if (me.extras != nullptr) {
      me.extras->monitors.erase(tag.id());
      me.extras->aliases.erase(tag.id());
    }
    destroy_envelope(request);
    throw;
  }
  s->ref = tag.id();
  s->payload = request;
  send_envelope(*me.node, to, s);
  return reply_channel(tag);
}

reply_channel reply_channel::adopt(process& me, otp::ref tag) {
  if (tag.is_null()) tag = me.node->new_ref();
  extras_of(me).aliases.try_emplace(tag.id(), {});
  return reply_channel(tag);
}

void reply_channel::close(bool monitor_gone) const noexcept {
  process* me = ctx().proc;
  if (me == nullptr || me->extras == nullptr) return;
  if (monitor_gone)
    me->extras->remove_monitor(tag_.id());
  else
    demonitor(tag_, {.flush = true});
  me->extras->aliases.erase(tag_.id());
}

void reply_channel::close_alias() const noexcept {
  process* me = ctx().proc;
  if (me != nullptr && me->extras != nullptr) me->extras->aliases.erase(tag_.id());
}

bool drop_requester_monitor(pid requester, otp::ref tag) noexcept {
  process* p = ctx().proc;
  if (p == nullptr || p->extras == nullptr) return false;
  const pid* watcher = p->extras->monitored_by.find(tag.id());
  if (watcher == nullptr || *watcher != requester) return false;
  p->extras->monitored_by.erase(tag.id());
  return true;
}

}  // namespace otp::detail

// async_supervisor: the non-template parts. Everything supervisor-side is the
// dynamic supervisor's; these only start tasks through it and link to them.
#include "otp/behaviours/async_supervisor.hpp"

namespace otp {

namespace detail {

task<start_result> start_task_child(async_supervisor::ref sup, child_spec spec, bool link) {
  start_result r = co_await dynamic_supervisor::start_child(std::move(sup), std::move(spec));
  if (r.is_ok() && link) otp::link(r.child);
  co_return r;
}

}  // namespace detail

namespace async_supervisor {

// An async supervisor is a dynamic supervisor: these only forward.
task<started<server>> start_link(dynamic_supervisor_flags flags, start_options o) {
  return dynamic_supervisor::start_link(flags, std::move(o));
}
task<started<server>> start_link(dynamic_supervisor_flags flags) {
  return dynamic_supervisor::start_link(flags);
}
otp::child_spec child_spec(std::string id, dynamic_supervisor_flags flags, start_options o) {
  return dynamic_supervisor::child_spec(std::move(id), flags, std::move(o));
}
task<std::vector<pid>> children(ref sup) {
  const std::vector<child_info> kids = co_await dynamic_supervisor::which_children(std::move(sup));
  std::vector<pid> out;
  out.reserve(kids.size());
  for (const child_info& k : kids)
    if (!k.restarting && !k.child.is_null()) out.push_back(k.child);
  co_return out;
}
task<child_result> terminate_child(ref sup, pid child) {
  return dynamic_supervisor::terminate_child(std::move(sup), child);
}

}  // namespace async_supervisor
}  // namespace otp

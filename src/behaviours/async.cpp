#include "otp/behaviours/async.hpp"

#include <string>

namespace otp::detail {

void async_check(pid owner, bool open, const char* what) {
  const pid me = self();
  if (me != owner)
    throw badarg(std::string(what) + ": only the task's owner " + owner.to_string() +
                 " may use it; called from " + me.to_string());
  if (!open)
    throw badarg(std::string(what) +
                 ": the task is closed (awaited, yielded to a result, shut down, ignored or "
                 "moved from)");
}

bool async_ended_as_asked(const exit_reason& reason, bool brutal_kill) noexcept {
  if (brutal_kill) return reason.is(exit_reason::kind::killed);
  return reason.is_shutdown() && reason.detail().empty();
}

}  // namespace otp::detail

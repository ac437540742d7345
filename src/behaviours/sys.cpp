#include "otp/behaviours/sys.hpp"

namespace otp::sys {

namespace detail {
void callback_failed(const std::string& why) {
  exit(exit_reason::other("{callback_failed,replace_state," + why + "}"));
}
}  // namespace detail

status_info make_status(detail::server_base& b) {
  status_info s;
  s.self = otp::self();
  s.parent = b.info.parent;
  s.ancestors = b.info.ancestors;
  s.name = b.info.name;
  s.behaviour = b.info.kind;
  s.suspended = b.suspended;
  s.messages_handled = b.handled;
  s.state = b.format_state();
  return s;
}

}  // namespace otp::sys

#include "otp/behaviours/async_stream.hpp"

#include <algorithm>

namespace otp::detail {

task<void> flush_exits(std::vector<pid> children) {
  std::sort(children.begin(), children.end());
  bool more = !children.empty();
  while (more)
    more =
        co_await receive(when(
                             [&children](const exit_msg& e) {
                               return std::binary_search(children.begin(), children.end(), e.from);
                             },
                             [](exit_msg&&) { return true; }),
                         after(0, [] { return false; }));
}

task<start_result> started_ok(pid p) { co_return start_result::ok(p); }

}  // namespace otp::detail

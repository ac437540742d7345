// Monitors of processes registered on other nodes.
#include "otp/dist/remote_name.hpp"

#include "dist/kernel.hpp"

namespace otp {

ref monitor(const remote_name& to) {
  return dist_detail::kernel_here("monitor")->monitor_name(to.name, to.node);
}

}  // namespace otp

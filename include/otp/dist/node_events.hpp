// The messages otp::net_kernel sends about other nodes' connections.
#pragma once

#include <string>

namespace otp {

/// A connection to `node` came up: to processes that asked with
/// net_kernel::monitor_nodes. @mirrors {nodeup, Node, [{node_type, T}]}
struct nodeup_msg {
  std::string node;
  bool hidden = false;  ///< the node_type: hidden, or visible
};

/// The connection to `node` went down, or could not be made. `reason` is
/// what net_kernel's nodedown_reason names: connection_setup_failed,
/// connection_closed, net_tick_timeout, disconnect, bad_frame,
/// output_overflow, net_kernel_terminated.
/// @mirrors {nodedown, Node} (monitor_node/2) and {nodedown, Node, Info}
///   (net_kernel:monitor_nodes/2)
struct nodedown_msg {
  std::string node;
  std::string reason;
};

}  // namespace otp

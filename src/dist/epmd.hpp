// The epmd client: registering this node (ALIVE2) and finding another
// node's distribution port (PORT_PLEASE2).
#pragma once

#include <cstdint>
#include <string>

#include "dist/socket.hpp"

namespace otp::dist_detail {

/// A registration: held open for as long as the node is registered (epmd
/// forgets the name when this socket closes).
struct epmd_registration {
  fd_handle socket;
  std::uint32_t creation = 0;  ///< what epmd gave this incarnation
};

/// Registers `alive` (the node name's part before '@') as listening on
/// `port`, with epmd on 127.0.0.1:`epmd_port`. Distribution version 6
/// only; `hidden` registers a hidden node (type 72), else a normal one (77).
/// @throws setup_error when epmd is not reachable or refuses (the name is
///   taken).
epmd_registration epmd_register(std::uint16_t epmd_port, const std::string& alive,
                                std::uint16_t port, bool hidden, deadline until);

/// The distribution port of node `alive` on `host`, from that host's epmd.
/// @throws setup_error when epmd is not reachable, or does not know the
///   name, or the node does not speak version 6.
std::uint16_t epmd_port_please(const std::string& host, std::uint16_t epmd_port,
                               const std::string& alive, deadline until);

}  // namespace otp::dist_detail

// What a net_kernel's options resolve to, as erl resolves its flags.
#pragma once

#include <cstdint>
#include <string>

#include "otp/dist/net_kernel.hpp"

namespace otp::dist_detail {

/// `alive@host`: the host from the name, else this machine's name (its
/// first label with short names). @throws otp::dist_error for an empty or
/// invalid alive part, no host, a dotted host with short names.
std::string full_name(const net_kernel_options& o);

/// The cookie given, else ~/.erlang.cookie's first line, else a new random
/// one written there (mode 0400), as erl does. @throws otp::dist_error
std::string cookie_of(const net_kernel_options& o);

/// The port given, else $ERL_EPMD_PORT, else 4369.
std::uint16_t epmd_port_of(const net_kernel_options& o);

}  // namespace otp::dist_detail

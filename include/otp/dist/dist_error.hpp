// otp::dist_error: distribution could not start.
#pragma once

#include <stdexcept>
#include <string>

namespace otp {

/// Thrown by otp::net_kernel's constructor when distribution cannot start:
/// an invalid node name, no cookie, epmd not reachable or the name taken,
/// no port to listen on. The text names the cause.
/// @mirrors {error, Reason} from net_kernel:start/2
class dist_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace otp

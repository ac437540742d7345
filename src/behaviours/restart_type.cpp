#include "otp/behaviours/restart_type.hpp"

namespace otp {

std::string_view to_string(restart_type t) noexcept {
  switch (t) {
    case restart_type::permanent:
      return "permanent";
    case restart_type::transient:
      return "transient";
    case restart_type::temporary:
      return "temporary";
  }
  return "temporary";
}

}  // namespace otp

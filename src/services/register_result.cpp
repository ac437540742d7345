#include "otp/services/register_result.hpp"

namespace otp {

std::string register_result::to_string() const {
  if (is_ok()) return "ok";
  return "{error,{already_registered," + holder_.to_string() + "}}";
}

}  // namespace otp

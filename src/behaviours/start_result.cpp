#include "otp/behaviours/start_result.hpp"

#include "otp/behaviours/server_name.hpp"
#include "otp/runtime/process.hpp"

namespace otp {

std::string start_result::to_string() const {
  switch (state) {
    case status::ok:
      return "{ok," + child.to_string() + "}";
    case status::ignore:
      return "ignore";
    case status::error:
      break;
  }
  if (is_already_started()) return "{error,{already_started," + child.to_string() + "}}";
  return "{error," + reason.to_string() + "}";
}

pid server_name::whereis() const {
  if (via_ != nullptr) return via_->whereis_name();
  if (!local_.empty()) return otp::whereis(local_);
  return {};
}

std::string server_name::to_string() const {
  if (via_ != nullptr) return via_->to_string();
  if (!local_.empty()) return local_;
  return "undefined";
}

}  // namespace otp

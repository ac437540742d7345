#include "otp/behaviours/start_result.hpp"

#include "otp/behaviours/server_name.hpp"
#include "otp/runtime/process.hpp"

namespace otp {

namespace detail {
std::string info_text(const std::any& info) {
  if (const auto* s = std::any_cast<std::string>(&info)) return "\"" + *s + "\"";
  if (const auto* i = std::any_cast<int>(&info)) return std::to_string(*i);
  if (const auto* l = std::any_cast<long>(&info)) return std::to_string(*l);
  return "_";
}
}  // namespace detail

std::string start_result::to_string() const {
  switch (state) {
    case status::ok:
      if (info.has_value()) return "{ok," + child.to_string() + "," + detail::info_text(info) + "}";
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

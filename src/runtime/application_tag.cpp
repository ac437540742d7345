// The application tag of a process (process_extras::application).
#include "otp/runtime/application_tag.hpp"

#include <memory>

#include "otp/runtime/errors.hpp"
#include "runtime/node_impl.hpp"

namespace otp {

std::optional<std::string> get_application() {
  const detail::process* p = detail::ctx().proc;
  if (p == nullptr || p->extras == nullptr || !p->extras->application) return std::nullopt;
  return *p->extras->application;
}

void detail::set_application(std::string name) {
  if (name.empty()) throw badarg("set_application: the application name is empty");
  process& p = require_process("set_application");
  extras_of(p).application = std::make_shared<const std::string>(std::move(name));
}

}  // namespace otp

#include "otp/runtime/detail/type_name.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace otp::detail {

std::string type_name(const std::type_info& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(
      abi::__cxa_demangle(t.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(t.name());
}

}  // namespace otp::detail

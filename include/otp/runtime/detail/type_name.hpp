// The readable (demangled) name of a C++ type, for reports and exit reasons.
#pragma once

#include <string>
#include <typeinfo>

namespace otp::detail {

/// `t`'s name as C++ spells it ("std::runtime_error"), or the mangled name
/// when it cannot be demangled.
std::string type_name(const std::type_info& t);

}  // namespace otp::detail

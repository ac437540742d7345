#include "otp/runtime/pid.hpp"

#include <ostream>

namespace otp {

std::string pid::to_string() const {
  return "<" + std::to_string(node_) + "." + std::to_string(slot_) + "." + std::to_string(serial_) +
         ">";
}

std::string ref::to_string() const {
  return "#Ref<" + std::to_string(node_) + "." + std::to_string(id_) + ">";
}

std::ostream& operator<<(std::ostream& os, const pid& p) { return os << p.to_string(); }
std::ostream& operator<<(std::ostream& os, const ref& r) { return os << r.to_string(); }

}  // namespace otp

// A list of types, for declaring the messages an overloaded callback takes.
#pragma once

namespace otp {

/// A list of types, for declaring which messages handle_info or
/// handle_continue take when they are overloaded:
/// `using info = otp::types<otp::exit_msg, tick>;`
template <class... T>
struct types {};

}  // namespace otp

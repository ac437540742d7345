// otp::restart_type: permanent, transient or temporary, for a supervisor's
// child and for an application.
#pragma once

#include <cstdint>
#include <string_view>

namespace otp {

/// What the end of a supervisor's child, or of a started application, leads to.
///
/// | value     | a child (its supervisor ...)      | an application (the node ...)          |
/// |-----------|-----------------------------------|----------------------------------------|
/// | permanent | always restarts it                | stops, whatever the reason             |
/// | transient | restarts it after an abnormal end | stops after an abnormal end            |
/// | temporary | never restarts it; it leaves the child list | goes on (the end is reported) |
///
/// A normal end is `normal`, `shutdown` or `{shutdown, _}`.
/// @mirrors restart() of supervisor and restart_type() of application
enum class restart_type : std::uint8_t { permanent, transient, temporary };
inline constexpr restart_type permanent = restart_type::permanent;
inline constexpr restart_type transient = restart_type::transient;
inline constexpr restart_type temporary = restart_type::temporary;

/// `permanent`, `transient` or `temporary`.
std::string_view to_string(restart_type t) noexcept;

}  // namespace otp

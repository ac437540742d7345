// The application a process belongs to: a tag every process inherits from
// the process that spawned it, which the logger attaches to its events.
#pragma once

#include <optional>
#include <string>

namespace otp {

/// The application of the calling process: the tag set by
/// detail::set_application in it or in the process that spawned it (or
/// that process's spawner, and so on). nullopt outside processes and for
/// processes spawned outside any application.
/// @threadsafe Reads the calling process's own state.
/// @mirrors application:get_application/0 (OTP finds it from the group leader)
std::optional<std::string> get_application();

namespace detail {

/// Tags the calling process with application `name`; every process it
/// spawns from now on inherits the tag (those already spawned keep theirs).
/// The application master calls it in its own process before it starts the
/// application's root supervisor, so the whole tree carries the name.
/// @throws otp::badarg when not called from a process (or thread mailbox),
///   or `name` is empty.
/// @threadsafe Touches the calling process's own state only.
/// @mirrors the group leader an application master gives its application
void set_application(std::string name);

}  // namespace detail
}  // namespace otp

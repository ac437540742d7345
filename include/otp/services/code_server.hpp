// The code server: the versions of each module loaded into the program,
// two at most (current and old), as Erlang's code server keeps them.
//
// | function                      | mirrors                           |
// |-------------------------------|-----------------------------------|
// | code::load(name, path)        | code:load_abs/1                   |
// | code::which(name)             | code:which/1, code:is_loaded/1    |
// | code::old_version(name)       | erlang:check_old_code/1           |
// | code::soft_purge(name)        | code:soft_purge/1                 |
// | code::purge(name)             | code:purge/1                      |
// | code::revert(name)            | release_handler's rollback of a   |
// |                               | failed install (the old release)  |
//
// A module's library is unloaded (dlclose) only when nothing references it:
// not the code server, no process running it, no state it made.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "otp/services/code_error.hpp"

namespace otp::code {

/// One loaded version of a module.
struct module_info {
  std::string name;       ///< the module's name
  std::string vsn;        ///< its version string
  std::string path;       ///< the shared library it came from
  std::string interface;  ///< the interface it implements (Api::name)
  int processes = 0;      ///< processes running this version now
};

/// Loads the shared library at `path` (built with otp_add_module) as the
/// current version of module `name`; the current one becomes old. An old
/// version still there is purged first: its processes are killed (their
/// supervisors restart them on the current code).
/// Call from a process or a thread holding an otp::mailbox when an old
/// version may have processes (they are killed with otp::exit).
/// @returns the version loaded.
/// @throws code_error when the library cannot be opened, has no module
///   entry point, was built by another compiler or library version, names
///   another module, or implements another interface than the versions
///   loaded before; nothing changes then.
/// @mirrors code:load_abs/1 (which refuses when old code is left;
///   code:purge/1 first is what this does)
module_info load(std::string_view name, const std::string& path);

/// The current version of `name`, or nullopt when it is not loaded.
/// @mirrors code:which/1
std::optional<module_info> which(std::string_view name);

/// The old version of `name`, or nullopt when there is none.
/// @mirrors erlang:check_old_code/1
std::optional<module_info> old_version(std::string_view name);

/// Drops the old version of `name` unless a process still runs it.
/// @returns false when a process runs it (nothing changes), true otherwise
///   (also when there was no old version).
/// @mirrors code:soft_purge/1
bool soft_purge(std::string_view name);

/// Drops the old version of `name`, killing every process that runs it
/// (exit reason kill). Call from a process or a thread holding an
/// otp::mailbox. @returns true when a process was killed.
/// @mirrors code:purge/1
bool purge(std::string_view name);

/// Makes the old version of `name` current again and drops the version that
/// was current: what a failed release upgrade rolls back to. Processes that
/// run the dropped version are killed (exit reason kill; their supervisors
/// restart them on the restored version). Call from a process or a thread
/// holding an otp::mailbox. @returns false when there is no old version
/// (nothing changes), true otherwise.
/// @mirrors release_handler's rollback of a failed install_release/1 (OTP
///   restarts the node on the old release; this restores the old version)
bool revert(std::string_view name);

}  // namespace otp::code

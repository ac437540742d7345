// otp::server_ref<S>: a typed handle on a gen_server whose callback type is S.
#pragma once

#include <utility>

#include "otp/behaviours/server_name.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

/// Addresses a gen_server of callback type S: by pid, or by name (resolved
/// at each use, so a name keeps working across restarts). call and cast
/// accept only the requests S handles (checked at compile time).
/// @threadsafe Value type.
/// @mirrors ServerRef of gen_server:call/3 (Pid | Name | {via, M, Name})
template <class S>
class server_ref {
 public:
  server_ref() = default;
  explicit server_ref(pid p) : pid_(p) {}
  explicit server_ref(server_name name) : name_(std::move(name)) {}

  /// The pid now behind the ref: the pid itself, or the name's holder (null
  /// pid when nobody holds the name).
  pid resolve() const { return pid_.is_null() ? name_.whereis() : pid_; }
  /// The pid given at construction (null for a named ref).
  pid get_pid() const noexcept { return pid_; }
  const server_name& name() const noexcept { return name_; }

  friend bool operator==(const server_ref& a, const server_ref& b) {
    return a.pid_ == b.pid_ && a.name_.to_string() == b.name_.to_string();
  }

 private:
  pid pid_;
  server_name name_;
};

/// A named ref: `otp::whereis<Counter>("counter")`. Resolved at each use.
/// @mirrors calling gen_server:call/2 with a registered name
template <class S>
server_ref<S> whereis(server_name name) {
  return server_ref<S>(std::move(name));
}

/// What gen_server::start_link returns: the start_result, and ref(), a
/// server_ref<S> on the started pid.
template <class S>
using started = started_with<server_ref<S>>;

}  // namespace otp

// otp::server_name and otp::via_name: how a behaviour process can be named.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "otp/runtime/pid.hpp"

namespace otp {

/// A name service usable for `{via, Module, Name}` names: one name in some
/// registry (otp::registry provides them; users may write their own).
///
/// Implementations must be thread-safe: any process may resolve the name.
/// @mirrors the callback module of `{via, Module, Name}` (register_name/2,
///   unregister_name/1, whereis_name/1)
class via_name_base {
 public:
  virtual ~via_name_base() = default;
  /// Registers the calling process `p` under this name.
  /// @returns false when the name is taken (then nothing changed).
  virtual bool register_name(pid p) const = 0;
  /// Removes the name if `p` holds it.
  virtual void unregister_name(pid p) const = 0;
  /// The holder of the name, or the null pid.
  virtual pid whereis_name() const = 0;
  /// For reports: e.g. `{via,registry,order_42}`.
  virtual std::string to_string() const = 0;
};

/// A `{via, Module, Name}` name: a shared handle to a via_name_base.
/// @threadsafe Immutable value.
struct via_name {
  std::shared_ptr<const via_name_base> impl;
};

/// The name a behaviour process is started with: none, a locally registered
/// name (`{local, Name}`) or a via name (`{via, Module, Name}`).
/// @mirrors ServerName of gen_server:start_link/4
class server_name {
 public:
  server_name() = default;
  /// `{local, Name}`. An empty string means no name.
  // NOLINTNEXTLINE(google-explicit-constructor): implicit on purpose
  server_name(std::string local) : local_(std::move(local)) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  server_name(const char* local) : local_(local) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design
  server_name(via_name via) : via_(std::move(via.impl)) {}

  bool empty() const noexcept { return local_.empty() && via_ == nullptr; }
  bool is_local() const noexcept { return !local_.empty(); }
  bool is_via() const noexcept { return via_ != nullptr; }
  const std::string& local() const noexcept { return local_; }
  const via_name_base* via() const noexcept { return via_.get(); }
  std::shared_ptr<const via_name_base> via_handle() const noexcept { return via_; }

  /// The current holder of the name (null pid when none).
  pid whereis() const;
  /// `Name`, `{via,...}`, or `undefined` when empty.
  std::string to_string() const;

 private:
  std::string local_;
  std::shared_ptr<const via_name_base> via_;
};

}  // namespace otp

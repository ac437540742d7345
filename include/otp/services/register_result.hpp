// otp::register_result: the outcome of registering a key in an otp::registry.
#pragma once

#include <string>

#include "otp/runtime/pid.hpp"

namespace otp {

/// The outcome of registry::register_key: the entry was added, or the
/// (unique) key is held by a live process, whose pid it carries.
///
/// | status             | Elixir                                 |
/// |--------------------|----------------------------------------|
/// | ok                 | `{:ok, owner}`                         |
/// | already_registered | `{:error, {:already_registered, Pid}}` |
///
/// @threadsafe Value type.
/// @mirrors the return value of Registry.register/3
class [[nodiscard]] register_result {
 public:
  enum class status : unsigned char { ok, already_registered };

  static register_result ok() noexcept { return register_result(status::ok, pid()); }
  /// `{:error, {:already_registered, Holder}}`.
  static register_result already_registered(pid holder) noexcept {
    return register_result(status::already_registered, holder);
  }

  status state() const noexcept { return state_; }
  bool is_ok() const noexcept { return state_ == status::ok; }
  bool is_already_registered() const noexcept { return state_ == status::already_registered; }
  explicit operator bool() const noexcept { return is_ok(); }
  /// The process holding the key (already_registered); the null pid for ok.
  pid holder() const noexcept { return holder_; }

  /// Erlang-like text: `ok` or `{error,{already_registered,<0.4.1>}}`.
  std::string to_string() const;

  friend bool operator==(const register_result&, const register_result&) noexcept = default;

 private:
  register_result(status s, pid holder) noexcept : state_(s), holder_(holder) {}

  status state_;
  pid holder_;
};

}  // namespace otp

// The application environment: configuration values by application and key.
//
// | here                                  | OTP / Elixir                          |
// |---------------------------------------|---------------------------------------|
// | get_env<T>(app, key)                  | application:get_env/2, Application.get_env/2 |
// | get_env<T>(app, key, default)         | application:get_env/3                 |
// | fetch_env<T>(app, key)                | Application.fetch_env!/2              |
// | put_env(app, key, value)              | application:set_env/3                 |
// | get_all_env(app)                      | application:get_all_env/1             |
//
// Values are JSON values (nlohmann::json): scalars, arrays and objects. A
// value is read into a C++ type through nlohmann-json's conversion: the
// built-in types, and any user type with a `from_json(const json&, T&)`
// found by argument-dependent lookup (or NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE):
//
//   struct repo_config { std::string path; int pool_size; };
//   NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(repo_config, path, pool_size)
//   auto repo = otp::fetch_env<repo_config>("shop", "repo");
//
// Every function has a form for the calling process's node (any process or
// thread with an otp::mailbox) and a form taking the node, for main() before
// it has a mailbox.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "otp/runtime/detail/type_name.hpp"
#include "otp/runtime/node.hpp"

namespace otp {

/// A missing key, or a value that does not convert to the type asked for.
/// what(): "application shop: key port: expected int, got \"x\"" or
/// "application shop: key port: not set".
class env_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
/// The raw value of `app`'s `key`, or nullopt when unset.
std::optional<nlohmann::json> env_value(node_impl& n, std::string_view app, std::string_view key);
/// The node of the calling process or mailbox thread. @throws otp::badarg elsewhere.
node_impl& env_node();
/// get_env / fetch_env of node `n`.
template <class T>
std::optional<T> get_env_of(node_impl& n, std::string_view app, std::string_view key);
template <class T>
T fetch_env_of(node_impl& n, std::string_view app, std::string_view key);
[[noreturn]] void throw_env_error(std::string_view app, std::string_view key,
                                  std::string_view expected, const nlohmann::json* got);

template <class T>
T env_as(std::string_view app, std::string_view key, const nlohmann::json& v) {
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw_env_error(app, key, type_name(typeid(T)), &v);
  }
}

template <class T>
std::optional<T> get_env_of(node_impl& n, std::string_view app, std::string_view key) {
  auto v = env_value(n, app, key);
  if (!v) return std::nullopt;
  return env_as<T>(app, key, *v);
}

template <class T>
T fetch_env_of(node_impl& n, std::string_view app, std::string_view key) {
  auto v = env_value(n, app, key);
  if (!v) throw_env_error(app, key, type_name(typeid(T)), nullptr);
  return env_as<T>(app, key, *v);
}
}  // namespace detail

/// The value of `key` in application `app`'s environment, as a T; nullopt
/// when the key is not set (or the application is not loaded).
/// @throws otp::env_error when the value does not convert to T.
/// @mirrors application:get_env/2
template <class T>
std::optional<T> get_env(node& n, std::string_view app, std::string_view key) {
  return detail::get_env_of<T>(n.impl(), app, key);
}
template <class T>
std::optional<T> get_env(std::string_view app, std::string_view key) {
  return detail::get_env_of<T>(detail::env_node(), app, key);
}

/// The value of `key`, or `def` when the key is not set.
/// @throws otp::env_error when the value does not convert to T.
/// @mirrors application:get_env/3
template <class T>
T get_env(node& n, std::string_view app, std::string_view key, T def) {
  auto v = get_env<T>(n, app, key);
  return v ? std::move(*v) : std::move(def);
}
template <class T>
T get_env(std::string_view app, std::string_view key, T def) {
  auto v = detail::get_env_of<T>(detail::env_node(), app, key);
  return v ? std::move(*v) : std::move(def);
}

/// The value of `key`, which must be set.
/// @throws otp::env_error naming the application, the key and T when the
///   key is not set or does not convert to T.
/// @mirrors Application.fetch_env!/2
template <class T>
T fetch_env(node& n, std::string_view app, std::string_view key) {
  return detail::fetch_env_of<T>(n.impl(), app, key);
}
template <class T>
T fetch_env(std::string_view app, std::string_view key) {
  return detail::fetch_env_of<T>(detail::env_node(), app, key);
}

/// Sets `key` of `app` (loaded or not: the value is kept for when it loads,
/// as OTP keeps it). Does not call config_change (see application::change_config).
/// @mirrors application:set_env/3 (Elixir's Application.put_env/3)
void put_env(node& n, std::string_view app, std::string_view key, nlohmann::json value);
void put_env(std::string_view app, std::string_view key, nlohmann::json value);

/// Removes `key` from `app`'s environment. @mirrors application:unset_env/2
void unset_env(node& n, std::string_view app, std::string_view key);
void unset_env(std::string_view app, std::string_view key);

/// The whole environment of `app` (a JSON object; empty when none).
/// @mirrors application:get_all_env/1
nlohmann::json get_all_env(node& n, std::string_view app);
nlohmann::json get_all_env(std::string_view app);

}  // namespace otp

// What otp::config::load's sources share: the merger that checks each
// contribution against its application's schema and merges it into the
// configuration, and the helpers that name values. Private to src/services.
//
// Invariants of an entry built here (see otp::config::entry):
//   1. When value is a non-empty object, parts holds exactly one origin per
//      leaf of value (a non-object, or an empty object), keyed by its JSON
//      pointer below the key; otherwise parts is empty.
//   2. A later contribution wins at every leaf it holds; a leaf it does not
//      hold keeps its value and origin (tables merge key by key).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "otp/services/config.hpp"

namespace otp::config::detail {

/// `key` as TOML writes it: bare when it is made of A-Z a-z 0-9 _ -, else quoted.
std::string toml_key(std::string_view key);

/// `key` escaped as one JSON pointer token (`~` -> `~0`, `/` -> `~1`).
std::string pointer_token(std::string_view key);

/// Calls f(pointer, dotted_name, leaf) for each leaf of v: v itself when it is
/// not a non-empty object. `pointer` and `name` are those of v; the leaves'
/// extend them (`/a/b`, `name.a.b`).
void for_each_leaf(
    const nlohmann::json& v, const std::string& pointer, const std::string& name,
    const std::function<void(const std::string&, const std::string&, const nlohmann::json&)>& f);

/// An entry holding v, every leaf of which comes from o (invariant 1).
entry make_entry(nlohmann::json v, const origin& o);

/// `one, two, three`: the names, in order, for error messages.
std::string join_names(const std::vector<std::string>& names);

/// The configuration under construction: the schemas (with `logger`
/// added unless given) and each application's entries, starting with its
/// defaults.
class merger {
 public:
  /// @throws otp::badarg for an application named twice, or defaults that are
  ///   neither an object nor null.
  explicit merger(const std::vector<app_schema>& known);

  /// The schema of application `app`, or nullptr when it is not known.
  const app_schema* find(std::string_view app) const;

  /// `unknown application 'x' (known: a, b)`.
  std::string unknown_application(std::string_view app) const;

  /// Merges contribution `c` into key `key` of `app` (a known application).
  /// @param key_where where the key was written, for an unknown-key error.
  /// @throws config_error for an unknown key (declared_keys_only) or a value
  ///   whose type differs from its default's (at `c`'s leaf origin).
  void apply(std::string_view app, const std::string& key, entry c, const std::string& key_where);

  /// The merged configuration (the merger is left empty).
  config_set take() { return std::move(set_); }

 private:
  std::vector<app_schema> schemas_;
  config_set set_;
};

}  // namespace otp::config::detail

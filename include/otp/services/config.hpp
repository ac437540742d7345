// otp::config: the configuration of a release's applications, merged from
// their defaults, a TOML file, environment variables and --set flags, each
// value with the place it came from.
//
//   otp::config::sources s{.file = "order_system.toml",
//                          .environment = otp::config::process_environment(),
//                          .sets = {"order_system.port=8080"}};
//   auto set = otp::config::load({{.name = "order_system",
//                                  .defaults = {{"port", 4000}, {"repo", {{"pool_size", 4}}}},
//                                  .declared_keys_only = true}},
//                                s);
//   nlohmann::json env = otp::config::env_of(set, "order_system");  // {"port": 8080, ...}
//   std::cout << otp::config::print(set);                            // what --print-config shows
//
// | function                 | what it does                                              |
// |--------------------------|-----------------------------------------------------------|
// | load(known, sources)     | merge the sources into one config_set, or throw config_error |
// | env_of(set, app)         | one application's values as a JSON object                 |
// | print(set)               | the merged values as TOML-like text, each with its origin |
// | process_environment()    | this process's OTP__ environment variables                |
//
// Precedence, lowest first: the application's defaults, the config file,
// environment variables, --set flags. A later source replaces a key's value,
// except that two tables (JSON objects) merge key by key, at every depth;
// arrays are replaced whole. docs/guide/config.md is the reference: the file
// format, the environment variable scheme, every error message.
//
// Nothing here depends on a node or a process: plain data in, plain data out.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/services/config_error.hpp"

namespace otp::config {

/// Where a configuration value came from.
/// @threadsafe Value type.
struct origin {
  /// The source, in increasing precedence.
  enum class kind : unsigned char { defaults, file, environment, command_line };

  kind from = kind::defaults;
  /// The place inside that source: empty for defaults, `app.toml:3:7` for
  /// the file (the value's line and column, from 1), the variable's name
  /// (`OTP__ORDER_SYSTEM__PORT`) or the flag (`--set order_system.port=8080`).
  std::string where = {};

  /// `default` for the defaults, else where.
  std::string to_string() const;

  friend bool operator==(const origin&, const origin&) = default;
};

/// `defaults`, `file`, `environment` or `command_line`.
std::string_view to_string(origin::kind k) noexcept;

/// One key's value and where it came from.
///
/// A table value (JSON object) may have been merged from several sources;
/// then `parts` holds the origin of each of its leaves (the values that are
/// not tables, and empty tables), keyed by their JSON pointer below the key
/// (`/pool_size`, `/primary/host`), and `from` is the origin of the last
/// source that set part of it. For any other value `parts` is empty.
/// @threadsafe Value type.
struct entry {
  nlohmann::json value = {};
  origin from = {};
  std::map<std::string, origin, std::less<>> parts = {};

  /// The origin of the leaf at `pointer` (a JSON pointer below the key, ""
  /// for the whole value): its entry in parts, else `from`.
  const origin& origin_of(std::string_view pointer) const;

  friend bool operator==(const entry&, const entry&) = default;
};

/// One application's environment: key -> entry.
using app_env = std::map<std::string, entry, std::less<>>;
/// Every application's environment: application name -> app_env.
using config_set = std::map<std::string, app_env, std::less<>>;

/// What load needs to know about an application.
/// @threadsafe Value type.
struct app_schema {
  /// The application's name, lowercase (`order_system`): its table in the
  /// file, its part of the environment variable names.
  std::string name = {};
  /// Its default environment: a JSON object, key -> value (or null for none).
  /// A key's default also fixes the type its configured values must have.
  nlohmann::json defaults = nlohmann::json::object();
  /// When true, a key absent from the defaults is an error in every source.
  bool declared_keys_only = false;
};

/// The configuration sources of one start of a release.
/// @threadsafe Value type.
struct sources {
  /// The TOML config file, if any.
  std::optional<std::filesystem::path> file = std::nullopt;
  /// Environment variables, name and value; only the names starting with
  /// `OTP__` are read (process_environment() gives this process's).
  std::vector<std::pair<std::string, std::string>> environment = {};
  /// The values of the --set flags, in command-line order: `app.key=value`
  /// or `app.key.subkey=value`.
  std::vector<std::string> sets = {};
};

/// Merges the sources into one configuration of the `known` applications.
///
/// The result has an entry for every known application and for `logger`
/// (always known: the logger validates its own table; a schema named
/// `logger` in `known` replaces the implicit one), holding its defaults
/// overridden, in increasing precedence, by the file, the environment
/// variables (in name order) and the --set flags (in order). The value text of
/// a variable or a flag is read as a TOML value (`8080`, `true`, `[1, 2]`,
/// `"x"`, `{a = 1}`), or taken as a plain string when it is not one.
/// A configured value must have its default's type, at every depth of a
/// table (an integer is accepted, and stored as a float, where the default
/// is a float; a null default accepts any value); array elements are not
/// checked.
///
/// @param known the applications, each named once.
/// @param s the sources.
/// @return application -> key -> value and origin.
/// @throws config_error for the first bad input met, in precedence order:
///   the file cannot be read (`FILE: cannot read: <reason>`) or is not TOML
///   (`FILE:LINE:COLUMN: <parser's message>`); a key outside any
///   application table; an unknown application; an unknown key of an
///   application with declared_keys_only; a value of the wrong type; an
///   environment variable or a --set flag that names no key or, for a flag,
///   has no `=`. docs/guide/config.md shows each message.
/// @throws otp::badarg when an application is named twice in `known` or its
///   defaults are neither an object nor null (a programming error, not bad input).
/// @threadsafe Reads only its arguments (and the file).
/// @mirrors the reading of sys.config and -App Key Value flags at boot
config_set load(const std::vector<app_schema>& known, const sources& s);

/// One application's configured values, without their origins: the JSON
/// object key -> value the application controller uses as its environment.
/// @param set a result of load.
/// @param app the application's name.
/// @return a JSON object (empty when the application has no keys).
/// @throws otp::badarg when `set` holds no application `app`.
/// @threadsafe Reads only its arguments.
/// @mirrors application:get_all_env/1
nlohmann::json env_of(const config_set& set, std::string_view app);

/// The merged configuration as TOML-like text, what a `--print-config` flag
/// shows: a `[app]` header per application in name order, then one line per
/// leaf value in key order, tables flattened to dotted keys, each followed
/// by a comment naming its origin:
///
///     [order_system]
///     port = 8080  # order_system.toml:4:8
///     repo.pool_size = 4  # default
///     repo.url = "sqlite:orders.db"  # OTP__ORDER_SYSTEM__REPO__URL
///
/// Strings, numbers, booleans and arrays are written as TOML writes them,
/// tables inside arrays as inline tables; a key that is not a bare TOML key
/// is quoted. A null value has no TOML form: its line is a comment,
/// `# key = null  # default`. An empty line separates applications.
/// @param set a result of load.
/// @return the text, ending with a newline unless `set` is empty.
/// @threadsafe Reads only its argument.
std::string print(const config_set& set);

/// This process's environment variables whose names start with `OTP__`, in
/// the order of `environ`, ready for sources::environment.
/// @return name and value of each such variable.
/// @threadsafe As getenv: not while another thread changes the environment.
std::vector<std::pair<std::string, std::string>> process_environment();

}  // namespace otp::config

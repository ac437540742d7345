// otp::config::config_error: bad configuration input (a config file, an
// environment variable, a --set flag), said in one line that names where.
#pragma once

#include <stdexcept>
#include <string>

namespace otp::config {

/// A configuration source is wrong: the file cannot be read or is not TOML,
/// a value has the wrong type, an application or a key is unknown, an
/// environment variable or a `--set` flag is malformed.
///
/// what() is one line, `WHERE: MESSAGE`, where WHERE is the place the bad
/// input came from:
///
/// | source                | WHERE                                  |
/// |-----------------------|----------------------------------------|
/// | config file           | `FILE:LINE:COLUMN` (or `FILE` when it cannot be read) |
/// | environment variable  | its name, `OTP__ORDER_SYSTEM__PORT`    |
/// | command line          | the flag, `--set order_system.port=x`  |
///
/// e.g. `app.toml:4:8: order_system.port: expected an integer, got a string`.
/// docs/guide/config.md lists every message.
///
/// @threadsafe Value type.
/// @mirrors the {error, Reason} of application_controller when a sys.config is bad
class config_error : public std::runtime_error {
 public:
  /// @param where the place of the bad input (see the table above).
  /// @param message what is wrong with it. A line break in either (from a
  ///   quoted key, a flag's text) is written `\n`, so what() stays one line.
  config_error(const std::string& where, const std::string& message)
      : std::runtime_error(one_line(where) + ": " + one_line(message)),
        where_(one_line(where)),
        message_(one_line(message)) {}

  /// The place of the bad input: `FILE:LINE:COLUMN`, `FILE`, a variable name or a flag.
  const std::string& where() const noexcept { return where_; }
  /// What is wrong, without the place.
  const std::string& message() const noexcept { return message_; }

 private:
  static std::string one_line(const std::string& s) {
    std::string out;
    for (char ch : s) {
      if (ch == '\n') {
        out += "\\n";
      } else if (ch == '\r') {
        out += "\\r";
      } else {
        out += ch;
      }
    }
    return out;
  }

  std::string where_;
  std::string message_;
};

}  // namespace otp::config

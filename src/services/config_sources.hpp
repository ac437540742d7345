// The three sources otp::config::load merges over the defaults: the TOML
// file, the OTP__ environment variables, the --set flags. Each reads its
// input and hands each key's value to the merger. Private to src/services.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/config_merge.hpp"

namespace otp::config::detail {

/// The value that `text` (an environment variable's or a flag's) means:
/// the TOML value it is (`8080`, `1.5`, `true`, `"x"`, `[1, 2]`,
/// `{a = 1}`, `1979-05-27`), else the text itself as a string.
nlohmann::json parse_value_text(const std::string& text);

/// Reads the TOML file at `path` into m, an application table at a time.
/// @throws config_error when it cannot be read, is not TOML, has a key
///   outside any application table or an unknown application, or as
///   merger::apply throws.
void apply_file(merger& m, const std::filesystem::path& path);

/// Merges the OTP__ variables of `vars` into m, in name order.
/// @throws config_error naming the variable.
void apply_environment(merger& m, const std::vector<std::pair<std::string, std::string>>& vars);

/// Merges each `app.key[.sub...]=value` of `sets` into m, in order.
/// @throws config_error naming the flag.
void apply_sets(merger& m, const std::vector<std::string>& sets);

}  // namespace otp::config::detail

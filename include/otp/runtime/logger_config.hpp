// otp::logger::configure: the logger's levels and handlers from a JSON
// section (the `logger` section of a configuration file).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <stdexcept>

namespace otp::logger {

/// A configuration section the logger refuses. what() names the key path
/// and the problem: `logger.handlers[1].max_bytes: expected an unsigned
/// integer, got "big"`.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Applies the `logger` section `section` (schema in docs/guide/logging.md):
///
/// ```json
/// {"level": "notice",
///  "module_levels": {"order_system.payment": "debug"},
///  "handlers": [{"id": "console", "type": "console", "level": "info"},
///               {"id": "file", "type": "file", "path": "x.log",
///                "max_bytes": 10485760, "max_files": 5},
///               {"id": "json", "type": "json", "path": "x.jsonl"}],
///  "burst_limit_enable": true,
///  "burst_limit_max_count": 500, "burst_limit_window_time_ms": 1000}
/// ```
///
/// Every key is optional. "level" sets the primary level; "module_levels"
/// replaces all module levels; "handlers" replaces all handlers (those
/// added by add_handler too; an empty list logs nowhere); the burst_limit
/// keys are the defaults of the handlers listed here, which may override
/// each. All of it takes effect at once, after the whole section was
/// checked and every file opened.
/// @throws otp::logger::config_error for an unknown key, a value of the
///   wrong type or range, an unknown level or handler type, a duplicate
///   handler id, or a file that cannot be opened; nothing changed then.
/// @threadsafe Yes (configurations applied concurrently take effect one
///   after the other).
/// @mirrors the kernel application's logger and logger_level parameters
void configure(const nlohmann::json& section);

}  // namespace otp::logger

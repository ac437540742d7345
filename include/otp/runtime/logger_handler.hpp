// otp::logger handlers: where log events go (console, rotating file, JSON
// lines, or the program's own), each with its level and burst limit.
//
// | API                                  | OTP                                   |
// |--------------------------------------|---------------------------------------|
// | add_handler(id, handler, config)     | logger:add_handler/3                  |
// | remove_handler(id)                   | logger:remove_handler/1               |
// | set_handler_level(id, level)         | logger:set_handler_config(Id, level, L) |
// | handler_dropped(id)                  | the drop counters of logger_olp       |
// | flush()                              | logger_std_h:filesync/1, for every handler |
// | console_handler() / file_handler()   | logger_std_h (standard_error / file)  |
// | json_handler(path)                   | logger_std_h with a JSON formatter    |
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "otp/runtime/log_event.hpp"
#include "otp/runtime/log_level.hpp"

namespace otp::logger {

/// A destination for log events. The logger calls log() synchronously on
/// the thread that logs (a scheduler, when a process logs), after the
/// level checks and the burst limit passed.
/// @threadsafe Implementations must accept concurrent calls from several
///   threads (the built-in ones lock around the write only).
/// @mirrors a logger handler module (its log/2 callback)
class handler {
 public:
  virtual ~handler() = default;
  /// Writes `event`. Its views are valid only during the call. An exception
  /// is caught by the logger and the event is lost for this handler.
  virtual void log(const log_event& event) = 0;
  /// Writes out what is buffered. Default: nothing.
  virtual void flush() {}
};

/// How the logger treats one handler.
/// @mirrors the level and overload-protection keys of logger:handler_config()
struct handler_config {
  /// Events less severe than this are not passed to the handler.
  log_level level = log_level::all;
  /// Whether the burst limit applies.
  bool burst_limit_enable = true;
  /// Events passed per window at most; the rest are dropped and counted.
  std::uint32_t burst_limit_max_count = 500;
  /// The window. After one ended with drops, the handler's next event is
  /// preceded by a warning saying how many were dropped. On a manual node
  /// (node_options::manual) the window is measured in its virtual time.
  std::chrono::milliseconds burst_limit_window_time{1000};
};

/// Installs `h` under `id`. False (and nothing changes) when `id` is taken.
/// The default configuration has one handler, "default": console_handler()
/// at level all.
/// @throws otp::badarg for an empty id or a null handler.
/// @threadsafe Yes; events being logged meanwhile reach the old set or the new.
/// @mirrors logger:add_handler/3
bool add_handler(std::string_view id, std::shared_ptr<handler> h, handler_config config = {});
/// Removes the handler `id` (after its flush()). False when there is none.
/// @threadsafe Yes. @mirrors logger:remove_handler/1
bool remove_handler(std::string_view id);
/// Sets the level of handler `id`. False when there is none.
/// @threadsafe Yes. @mirrors logger:set_handler_config(Id, level, Level)
bool set_handler_level(std::string_view id, log_level level);
/// The level of handler `id`, or nullopt when there is none. @threadsafe Yes.
std::optional<log_level> handler_level(std::string_view id);
/// How many events handler `id` has dropped by its burst limit since it was
/// added; nullopt when there is no such handler. @threadsafe Yes.
std::optional<std::uint64_t> handler_dropped(std::string_view id);
/// Flushes every handler (and writes pending "dropped" notices). Call it
/// before the program exits. @threadsafe Yes.
void flush();

/// Human-readable lines on standard error (never standard output):
/// `2024-05-01T12:00:00.123456Z error <0.12.0> counter@shop file.cpp:42 text k=v`,
/// the name and application when the caller has them. A report writes its
/// headline, then one indented `key: value` line per field and its stack trace.
/// @mirrors logger_std_h on standard_error with the default formatter
std::shared_ptr<handler> console_handler();
/// The console format to a file that rotates: when a write would pass
/// `max_bytes`, x.log becomes x.1.log (x.1.log becomes x.2.log, ...) and at
/// most `max_files` old files are kept. Creates missing directories.
/// @throws otp::badarg when the file cannot be opened (the message names it),
///   or max_bytes is 0.
/// @mirrors logger_std_h with file, max_no_bytes and max_no_files
std::shared_ptr<handler> file_handler(const std::string& path, std::size_t max_bytes,
                                      std::size_t max_files);
/// One JSON object per line, for log shippers: time (ISO 8601 UTC), level,
/// msg, logger, pid, registered_name, application, file, line, function,
/// then each metadata key; a report adds report (its kind), reason and
/// stacktrace and has its fields as keys. Empty values are left out.
/// `path` empty: standard error, else that file (appended).
/// @throws otp::badarg when the file cannot be opened.
std::shared_ptr<handler> json_handler(const std::string& path = {});
/// A handler calling `f` for each event (a capturing sink for tests, or a
/// bridge to another log system). `f` must accept concurrent calls.
/// @throws otp::badarg when `f` is empty.
std::shared_ptr<handler> callback_handler(std::function<void(const log_event&)> f);

/// The one-line console text of `event` (no newline), as console_handler
/// writes it; multi-line for a report. @threadsafe Yes.
std::string format_console(const log_event& event);
/// The JSON-lines text of `event` (no newline), as json_handler writes it.
/// @threadsafe Yes.
std::string format_json(const log_event& event);

}  // namespace otp::logger

// otp::logger::log_event: what the logger hands to each handler, and
// otp::logger::call_site, where a log call was made.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <version>

#include "otp/runtime/log_level.hpp"
#include "otp/runtime/pid.hpp"

#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

namespace otp {
struct report;
}

namespace otp::logger {

/// The source position of a log call: file, line and function, captured as
/// a default argument so it names the caller.
///
/// Built from std::source_location where the standard library offers it
/// (Clang 15 and later); Clang 14 with libstdc++ has no
/// std::source_location, and there the same compiler builtins fill it.
/// @threadsafe Plain value; the strings are static.
struct call_site {
  const char* file = "";
  std::uint32_t line = 0;
  const char* function = "";

#if defined(__cpp_lib_source_location)
  /// The position of the expression that evaluates this default argument.
  static constexpr call_site current(
      std::source_location at = std::source_location::current()) noexcept {
    return {at.file_name(), at.line(), at.function_name()};
  }
#else
  static constexpr call_site current(const char* file = __builtin_FILE(),
                                     std::uint32_t line = __builtin_LINE(),
                                     const char* function = __builtin_FUNCTION()) noexcept {
    return {file, line, function};
  }
#endif
};

/// One key/value pair of metadata.
using metadata_item = std::pair<std::string_view, std::string_view>;

/// One log event, as a handler receives it: the message already formatted,
/// and the metadata the logger attached.
///
/// Every view is valid only during the handler's call: a handler that keeps
/// an event copies what it needs.
/// @threadsafe Plain value.
/// @mirrors logger:log_event()
struct log_event {
  log_level level = log_level::notice;
  /// When the event was made (wall clock).
  std::chrono::system_clock::time_point time;
  /// The named logger it was logged through ("" for the default one;
  /// "otp" for the runtime's own events and reports).
  std::string_view logger;
  /// The formatted message; for a report, its headline.
  std::string_view message;
  /// The calling process, or a null pid outside processes.
  pid process;
  /// The calling process's registered name, or "".
  std::string_view registered_name;
  /// The calling process's application (see otp::get_application), or "".
  std::string_view application;
  /// Where the call was made.
  call_site at;
  /// The caller's key/value pairs; for a report, the report's fields.
  std::span<const metadata_item> metadata;
  /// The report this event carries, or null (see otp::report).
  const report* report = nullptr;
  /// For a report whose reason is an exception: its symbolised stack trace
  /// (else "").
  std::string_view stacktrace;
};

}  // namespace otp::logger

// The logger's inside: interned named loggers and their thresholds, and the
// handler set every event is dispatched to.
//
// Invariants:
//  1. The primary level and each module_entry::threshold are atomics read
//     with relaxed loads by any thread; they are written only under
//     levels_mu (logger.cpp), so an entry's threshold is always its module
//     level when set and the primary level otherwise.
//  2. module_entry objects are never freed (named loggers keep pointers).
//  3. The handler set is immutable once published; add/remove/configure
//     publish a new one under the set's mutex. A dispatch copies the
//     shared_ptr under that mutex and nothing else: formatting and writing
//     happen outside it, under each sink's own lock.
//  4. A handler's level is an atomic; its burst limiter has its own small
//     mutex around a few integer updates (no formatting, no I/O).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "otp/runtime/log_event.hpp"
#include "otp/runtime/logger.hpp"
#include "otp/runtime/logger_handler.hpp"

namespace otp::logger::detail {

inline constexpr std::int8_t kNoModuleLevel = -2;

struct module_entry {
  std::string name;
  std::atomic<std::int8_t> threshold{static_cast<std::int8_t>(log_level::notice)};
  std::int8_t module_level = kNoModuleLevel;  // under levels_mu
};

/// The named logger "otp": the runtime's own events and reports.
const module_entry& otp_logger();

/// The time a burst window is measured in: the virtual milliseconds of the
/// calling thread's manual node, else steady-clock milliseconds.
std::int64_t burst_clock_ms() noexcept;

/// Sends `ev` to every handler whose level passes and whose burst limit
/// admits it. Never throws.
void dispatch(const log_event& ev, std::int64_t now_ms) noexcept;
/// True when some handler's level lets `level` through.
bool any_handler_passes(log_level level) noexcept;

/// A handler as installed: its sink, level and burst limiter.
struct installed_handler;
/// Builds an installed handler (checked arguments).
std::shared_ptr<installed_handler> make_installed(std::string id, std::shared_ptr<handler> h,
                                                  const handler_config& config);
/// Replaces the whole handler set (configure). Ids must be distinct.
void replace_handlers(std::vector<std::shared_ptr<installed_handler>> list);
/// Replaces the primary level and all module levels at once (configure).
void replace_levels(log_level primary,
                    const std::vector<std::pair<std::string, log_level>>* module_levels);

}  // namespace otp::logger::detail

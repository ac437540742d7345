// otp::telemetry: events a program emits and handlers attached to them, in
// the style of Erlang's `telemetry` library.
//
//   otp::telemetry::attach("log-payments", {"payment", "processed"},
//                          [](const otp::telemetry::event& e) {
//                            record(*e.measurement("amount_cents"));
//                          });
//   otp::telemetry::execute({"payment", "processed"}, {{"amount_cents", 1250}},
//                           {{"customer", customer_id}});
//
// | otp                                     | telemetry (Erlang)                        |
// |-----------------------------------------|-------------------------------------------|
// | attach(id, name, fn)                    | telemetry:attach/4 (config: fn's captures) |
// | attach_many(id, names, fn)              | telemetry:attach_many/4                   |
// | detach(id)                              | telemetry:detach/1                        |
// | list_handlers(prefix)                   | telemetry:list_handlers/1                 |
// | execute(name, measurements, metadata)   | telemetry:execute/3                       |
// | span(prefix, metadata, fn)              | telemetry:span/3                          |
//
// Handlers run synchronously in the thread that calls execute, in the order
// they were attached. A handler that throws is detached, and the failure is
// logged once (an error report). The handlers are process-wide: every node
// of the program shares them, as a BEAM node's handlers serve all its
// processes.
//
// An event's name, measurements and metadata are views into the caller's
// arguments, valid during the handler call only: a handler that keeps one
// copies it. execute with no handler attached to any event is one atomic
// load; with handlers attached elsewhere, a hash lookup (`make bench`,
// workload telemetry).
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::telemetry {

/// A metadata value. Strings are views, valid during the handler call.
using value = std::variant<bool, std::int64_t, double, std::string_view, pid, exit_reason>;

/// A measurement: a name and a number, its unit given by the event's
/// documentation (durations are in nanoseconds).
struct measurement {
  template <class N>
  requires std::is_arithmetic_v<N>
  constexpr measurement(std::string_view k, N v) noexcept : key(k), value(static_cast<double>(v)) {}
  std::string_view key;
  double value;
};
/// A metadata entry: a name and a value.
struct metadata_entry {
  std::string_view key;
  telemetry::value value;
};

/// One emitted event, as a handler sees it.
struct event {
  std::span<const std::string_view> name;
  std::span<const measurement> measurements;
  std::span<const metadata_entry> metadata;

  /// The measurement named `key`, or nullopt.
  std::optional<double> measurement_of(std::string_view key) const noexcept;
  /// The metadata value named `key`, or null.
  const value* metadata_of(std::string_view key) const noexcept;
  /// The name joined with dots, e.g. "payment.processed".
  std::string name_string() const;
};

/// A handler: called with each event it is attached to.
using handler = std::function<void(const event&)>;

/// An attached handler, as list_handlers describes it.
struct handler_info {
  std::string id;
  std::vector<std::string> event_name;
};

/// Attaches `fn` to the event named `name` under the unique id `id`.
/// Returns false (and attaches nothing) when a handler with that id exists
/// (`{error, already_exists}`).
/// @throws badarg for an empty name or an empty segment.
/// @mirrors telemetry:attach/4
bool attach(std::string id, std::vector<std::string> name, handler fn);
/// Attaches `fn` to each of `names` under one id; false, attaching nothing,
/// when the id exists. @throws badarg as attach, or for no names.
/// @mirrors telemetry:attach_many/4
bool attach_many(std::string id, std::vector<std::vector<std::string>> names, handler fn);
/// Detaches the handler `id` from every event; false when there is none
/// (`{error, not_found}`).
/// @mirrors telemetry:detach/1
bool detach(std::string_view id);
/// The handlers attached to events whose name starts with `prefix` (all
/// for an empty prefix), one entry per event for attach_many, in the order
/// they were attached.
/// @mirrors telemetry:list_handlers/1
std::vector<handler_info> list_handlers(const std::vector<std::string>& prefix = {});

namespace detail {
extern std::atomic<std::size_t> attached;  // handlers attached, over all events
void dispatch(std::span<const std::string_view> name, std::span<const measurement> m,
              std::span<const metadata_entry> md);
std::int64_t next_span_context() noexcept;
std::int64_t monotonic_ns() noexcept;
}  // namespace detail

/// Emits the event `name` to the handlers attached to it, in the calling
/// thread. A handler that throws is detached and logged; execute itself
/// never throws.
/// @mirrors telemetry:execute/3
inline void execute(std::initializer_list<std::string_view> name,
                    std::initializer_list<measurement> measurements = {},
                    std::initializer_list<metadata_entry> metadata = {}) {
  if (detail::attached.load(std::memory_order_relaxed) == 0) return;
  detail::dispatch(name, measurements, metadata);
}
/// execute with a name, measurements and metadata built at run time.
void execute(std::span<const std::string_view> name, std::span<const measurement> measurements,
             std::span<const metadata_entry> metadata);

/// Runs `fn()` as a span: emits `prefix ++ [start]` (measurements
/// monotonic_time and system_time, in ns), then `prefix ++ [stop]`
/// (duration and monotonic_time, ns) and returns fn's result; or, when fn
/// throws, `prefix ++ [exception]` (duration, monotonic_time) with metadata
/// kind ("exit" for an otp exit, else "error") and reason (an exit_reason,
/// whose exception() holds the throw's stack trace), and rethrows. Every
/// event carries `metadata` and telemetry_span_context (an integer unique
/// to the span). @throws badarg for a prefix of more than 8 segments.
/// @mirrors telemetry:span/3
template <class F>
decltype(auto) span(std::initializer_list<std::string_view> prefix,
                    std::initializer_list<metadata_entry> metadata, F&& fn);

}  // namespace otp::telemetry

#include "otp/runtime/detail/telemetry_span.hpp"

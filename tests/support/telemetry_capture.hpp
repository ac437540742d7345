// Telemetry helpers for tests: handlers detached when a test ends, and a
// thread-safe recorder of the events a handler saw, copied.
//
// | name              | what it is                                                   |
// |-------------------|--------------------------------------------------------------|
// | telemetry_ids     | detaches the handler ids it holds when destroyed             |
// | seen_event        | one event's name, measurements and metadata, as strings      |
// | telemetry_copy(e) | a seen_event of `e` (pids and exit reasons printed)          |
// | event_recorder    | attaches to some event names; keeps what it saw, any thread  |
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "otp/runtime/telemetry.hpp"

namespace otp_test {

/// Detaches the handler ids it holds when the test ends (handlers are
/// process-wide).
struct telemetry_ids {
  std::vector<std::string> ids;
  ~telemetry_ids() {
    for (const auto& id : ids) otp::telemetry::detach(id);
  }
};

/// What a handler saw of one event, copied.
struct seen_event {
  std::string name;
  std::vector<std::pair<std::string, double>> measurements;
  std::vector<std::pair<std::string, std::string>> metadata;

  /// The metadata value named `key` as text, or nullopt.
  std::optional<std::string> meta(const std::string& key) const {
    for (const auto& [k, v] : metadata)
      if (k == key) return v;
    return std::nullopt;
  }
  /// The measurement named `key`, or nullopt.
  std::optional<double> measure(const std::string& key) const {
    for (const auto& [k, v] : measurements)
      if (k == key) return v;
    return std::nullopt;
  }
};

inline seen_event telemetry_copy(const otp::telemetry::event& e) {
  seen_event s{e.name_string(), {}, {}};
  for (const auto& m : e.measurements) s.measurements.emplace_back(m.key, m.value);
  for (const auto& m : e.metadata) {
    std::string v;
    if (const auto* sv = std::get_if<std::string_view>(&m.value)) v = *sv;
    if (const auto* i = std::get_if<std::int64_t>(&m.value)) v = std::to_string(*i);
    if (const auto* p = std::get_if<otp::pid>(&m.value)) v = p->to_string();
    if (const auto* r = std::get_if<otp::exit_reason>(&m.value)) v = r->to_string();
    s.metadata.emplace_back(m.key, v);
  }
  return s;
}

/// Records every event of the names it is attached to, from any thread;
/// detaches when destroyed.
class event_recorder {
 public:
  event_recorder(std::string id, std::vector<std::vector<std::string>> names) : id_(std::move(id)) {
    otp::telemetry::attach_many(id_, std::move(names), [this](const otp::telemetry::event& e) {
      seen_event s = telemetry_copy(e);
      std::lock_guard lk(mu_);
      seen_.push_back(std::move(s));
    });
  }
  event_recorder(const event_recorder&) = delete;
  event_recorder& operator=(const event_recorder&) = delete;
  ~event_recorder() { otp::telemetry::detach(id_); }

  /// The events seen so far named `name` ("otp.pool.checkout"), oldest first.
  std::vector<seen_event> named(const std::string& name) const {
    std::lock_guard lk(mu_);
    std::vector<seen_event> out;
    for (const auto& s : seen_)
      if (s.name == name) out.push_back(s);
    return out;
  }
  /// Every event seen so far, oldest first.
  std::vector<seen_event> all() const {
    std::lock_guard lk(mu_);
    return seen_;
  }

 private:
  std::string id_;
  mutable std::mutex mu_;
  std::vector<seen_event> seen_;
};

}  // namespace otp_test

// The observer's crash feed: a logger handler (otp/runtime/logger_handler.hpp)
// that keeps the newest crash, supervisor and error reports.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "otp/runtime/report.hpp"
#include "tools/observer_parts.hpp"

namespace otp::observer_detail {

namespace {

std::string obs_iso_time(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

void crash_feed::log(const logger::log_event& event) {
  const otp::report* r = event.report;
  if (r == nullptr) return;
  if (r->what != report::kind::crash && r->what != report::kind::supervisor &&
      r->what != report::kind::error)
    return;
  json fields = json::object();
  for (const auto& [k, v] : r->fields) fields[k] = v;
  const std::string name = r->field("name");
  json entry{
      {"time", obs_iso_time(event.time)}, {"kind", report::kind_name(r->what)},
      {"pid", r->from.to_string()},       {"name", name.empty() ? r->field("supervisor") : name},
      {"headline", r->headline},          {"reason", r->reason.to_string()},
      {"fields", std::move(fields)}};
  std::lock_guard l(mu_);
  if (ring_.size() >= keep_) ring_.erase(ring_.begin());
  ring_.push_back(std::move(entry));
}

json crash_feed::recent() const {
  std::lock_guard l(mu_);
  json out = json::array();
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) out.push_back(*it);
  return out;
}

json crash_feed::last_crash_of(pid p) const {
  const std::string text = p.to_string();
  std::lock_guard l(mu_);
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
    const json& e = *it;
    if (e["kind"] == "crash" && e["pid"] == text) return e;
    if (e["kind"] == "supervisor" && e["fields"].value("pid", "") == text) return e;
  }
  return nullptr;
}

}  // namespace otp::observer_detail

// Metric definitions (otp/tools/metrics.hpp): building and checking them,
// and reading an event's measurement and tags for a reporter.
#include "otp/tools/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <variant>

#include "otp/runtime/errors.hpp"

namespace otp::metrics {

namespace {

enum class dimension : std::uint8_t { none, time, bytes };

dimension dimension_of(unit u) noexcept {
  switch (u) {
    case unit::nanosecond:
    case unit::microsecond:
    case unit::millisecond:
    case unit::second:
      return dimension::time;
    case unit::byte:
    case unit::kilobyte:
    case unit::megabyte:
      return dimension::bytes;
    case unit::none:
      break;
  }
  return dimension::none;
}

// The size of one `u` in the dimension's smallest unit (ns or bytes).
double scale_of(unit u) noexcept {
  switch (u) {
    case unit::microsecond:
    case unit::kilobyte:
      return 1e3;
    case unit::millisecond:
    case unit::megabyte:
      return 1e6;
    case unit::second:
      return 1e9;
    default:
      return 1.0;
  }
}

bool is_label_name(std::string_view s) noexcept {
  if (s.empty() || (s.size() >= 2 && s[0] == '_' && s[1] == '_')) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::vector<std::string> split_name(std::string_view name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = name.find('.', start);
    parts.emplace_back(name.substr(start, dot == std::string_view::npos ? name.npos : dot - start));
    if (parts.back().empty())
      throw badarg("metrics: empty segment in the name '" + std::string(name) + "'");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() < 2)
    throw badarg("metrics: the name '" + std::string(name) +
                 "' needs an event name and a measurement (at least two segments)");
  return parts;
}

definition make(kind k, std::string_view name, options o) {
  std::vector<std::string> parts = split_name(name);
  definition d;
  d.kind = k;
  d.name = std::string(name);
  d.measurement = o.measurement.empty() ? parts.back() : std::move(o.measurement);
  parts.pop_back();
  d.event_name = o.event_name.empty() ? std::move(parts) : std::move(o.event_name);
  d.measure = std::move(o.measure);
  for (const std::string& t : o.tags)
    if (!is_label_name(t)) throw badarg("metrics: '" + t + "' is not a valid tag (label) name");
  d.tags = std::move(o.tags);
  d.tag_values = std::move(o.tag_values);
  d.keep = std::move(o.keep);
  if (dimension_of(o.unit.from) != dimension_of(o.unit.to))
    throw badarg("metrics: '" + d.name + "' converts between units of different kinds");
  d.unit = o.unit;
  d.description = std::move(o.description);
  if (k == kind::distribution) {
    d.buckets = o.buckets.empty()
                    ? std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
                    : std::move(o.buckets);
    if (std::adjacent_find(d.buckets.begin(), d.buckets.end(), std::greater_equal<>()) !=
        d.buckets.end())
      throw badarg("metrics: the buckets of '" + d.name + "' are not strictly ascending");
  }
  if (k == kind::summary) {
    d.quantiles =
        o.quantiles.empty() ? std::vector<double>{0.5, 0.9, 0.99} : std::move(o.quantiles);
    for (double q : d.quantiles)
      if (!(q > 0.0 && q < 1.0))
        throw badarg("metrics: a quantile of '" + d.name + "' is outside (0, 1)");
  }
  return d;
}

void append_value(std::string& out, const telemetry::value& v) {
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          std::array<char, 32> buf{};
          const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), x);
          out.append(buf.data(), r.ptr);
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          out += x;
        } else {
          out += x.to_string();
        }
      },
      v);
}

}  // namespace

std::string_view to_string(kind k) noexcept {
  switch (k) {
    case kind::counter:
      return "counter";
    case kind::sum:
      return "sum";
    case kind::last_value:
      return "last_value";
    case kind::summary:
      return "summary";
    case kind::distribution:
      return "distribution";
  }
  return "?";
}

std::string_view to_string(unit u) noexcept {
  switch (u) {
    case unit::none:
      return "";
    case unit::nanosecond:
      return "nanoseconds";
    case unit::microsecond:
      return "microseconds";
    case unit::millisecond:
      return "milliseconds";
    case unit::second:
      return "seconds";
    case unit::byte:
      return "bytes";
    case unit::kilobyte:
      return "kilobytes";
    case unit::megabyte:
      return "megabytes";
  }
  return "?";
}

definition counter(std::string_view name, options o) {
  return make(kind::counter, name, std::move(o));
}
definition sum(std::string_view name, options o) { return make(kind::sum, name, std::move(o)); }
definition last_value(std::string_view name, options o) {
  return make(kind::last_value, name, std::move(o));
}
definition summary(std::string_view name, options o) {
  return make(kind::summary, name, std::move(o));
}
definition distribution(std::string_view name, options o) {
  return make(kind::distribution, name, std::move(o));
}

double convert(double value, conversion c) noexcept {
  if (c.from == c.to) return value;
  return value * scale_of(c.from) / scale_of(c.to);
}

std::optional<double> measure(const definition& d, const telemetry::event& e) {
  if (d.kind == kind::counter) return 1.0;
  std::optional<double> v = d.measure ? d.measure(e) : e.measurement_of(d.measurement);
  if (v) *v = convert(*v, d.unit);
  return v;
}

bool tag_values(const definition& d, const telemetry::event& e, std::vector<std::string>& out) {
  out.resize(d.tags.size());
  std::vector<std::pair<std::string, std::string>> computed;
  if (d.tag_values) computed = d.tag_values(e);
  for (std::size_t i = 0; i < d.tags.size(); ++i) {
    out[i].clear();
    const std::string& tag = d.tags[i];
    const auto c = std::find_if(computed.begin(), computed.end(),
                                [&](const auto& kv) { return kv.first == tag; });
    if (c != computed.end()) {
      out[i] = c->second;
      continue;
    }
    const telemetry::value* v = e.metadata_of(tag);
    if (v == nullptr) return false;
    append_value(out[i], *v);
  }
  return true;
}

}  // namespace otp::metrics

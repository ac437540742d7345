// The observer's tree walk: the roots of every supervision tree, and one page
// of one supervisor's children at a time (the page asks for a supervisor's
// children only when it is expanded). Only processes known to be supervisors
// are asked for children (observer_parts.hpp, invariant 2).
#include <algorithm>
#include <charconv>
#include <set>

#include "otp/behaviours/dynamic_supervisor.hpp"
#include "otp/behaviours/supervisor.hpp"
#include "otp/behaviours/sys.hpp"
#include "otp/runtime/errors.hpp"
#include "tools/observer_parts.hpp"

namespace otp::observer_detail {

namespace {

/// A supervisor as its sys::get_status shows it.
struct obs_supervisor {
  bool dynamic = false;
  std::string strategy;
  long long intensity = -1;
  long long period_ms = -1;
  long long children = -1;
  pid parent;
  std::string name;
  bool suspended = false;
};

long long obs_number_after(const std::string& s, std::string_view tag) {
  const std::size_t at = s.find(tag);
  if (at == std::string::npos) return -1;
  long long v = -1;
  const char* from = s.data() + at + tag.size();
  std::from_chars(from, s.data() + s.size(), v);
  return v;
}

/// The supervisor `p` is, or nullopt when it is none (or does not answer).
/// `behaviour` is what process_info said `p` runs.
std::optional<obs_supervisor> obs_as_supervisor(pid p, std::string_view behaviour,
                                                std::chrono::milliseconds t) {
  if (behaviour != "supervisor") return std::nullopt;
  sys::status_info st;
  try {
    st = sys::get_status(p, timeout(t)).get();
  } catch (const otp::exit_error&) {
    return std::nullopt;
  }
  obs_supervisor s;
  static constexpr std::string_view kStatic = "{supervisor,";
  static constexpr std::string_view kDynamic = "{dynamic_supervisor,";
  if (st.state.starts_with(kStatic)) {
    const std::size_t from = kStatic.size();
    s.strategy = st.state.substr(from, st.state.find(',', from) - from);
  } else if (st.state.starts_with(kDynamic)) {
    s.dynamic = true;
    s.strategy = "one_for_one";
  } else {
    return std::nullopt;  // says "supervisor" but keeps children its own way
  }
  s.intensity = obs_number_after(st.state, "{intensity,");
  s.period_ms = obs_number_after(st.state, "{period,");
  const std::size_t words = st.state.rfind(" children}");
  const std::size_t comma = st.state.rfind(',', words);
  if (words != std::string::npos && comma != std::string::npos)
    s.children = obs_number_after(st.state.substr(comma), ",");
  s.parent = st.parent;
  s.name = st.name;
  s.suspended = st.suspended;
  return s;
}

json obs_supervisor_json(pid p, const obs_supervisor& s) {
  return {{"pid", p.to_string()},      {"name", s.name},           {"dynamic", s.dynamic},
          {"strategy", s.strategy},    {"intensity", s.intensity}, {"period_ms", s.period_ms},
          {"child_count", s.children}, {"suspended", s.suspended}};
}

}  // namespace

json supervision_roots(node& n, const node_sample& sample, std::chrono::milliseconds t) {
  otp::mailbox mb(n);
  std::vector<std::pair<pid, obs_supervisor>> sups;
  std::set<pid> known;
  for (const process_row& r : sample.rows) {
    if (auto s = obs_as_supervisor(r.p, r.info.behaviour, t)) {
      known.insert(r.p);
      sups.emplace_back(r.p, std::move(*s));
    }
  }
  json roots = json::array();
  for (const auto& [p, s] : sups)
    if (s.parent == p || !known.contains(s.parent)) {
      json j = obs_supervisor_json(p, s);
      j["parent"] = s.parent.to_string();
      roots.push_back(std::move(j));
    }
  return {{"sampled_at_ms", sample.at.count()}, {"roots", std::move(roots)}};
}

std::optional<json> supervisor_children(node& n, pid sup, std::size_t offset, std::size_t limit,
                                        std::chrono::milliseconds t) {
  otp::mailbox mb(n);
  const std::optional<otp::process_info> info = n.process_info(sup, timeout(t));
  if (!info) return std::nullopt;
  const std::optional<obs_supervisor> s = obs_as_supervisor(sup, info->behaviour, t);
  if (!s) return std::nullopt;
  std::vector<child_info> children;
  // Bounded like every other question (invariant 1): a suspended supervisor,
  // or one busy stopping a child, must not hold an HTTP worker for good.
  try {
    if (s->dynamic) {
      children = dynamic_supervisor::which_children(dynamic_supervisor::ref(sup), timeout(t)).get();
    } else {
      children = supervisor::which_children(supervisor::ref(sup), timeout(t)).get();
      std::reverse(children.begin(), children.end());  // in start order
    }
  } catch (const otp::exit_error&) {
    if (n.is_alive(sup)) throw;  // alive but silent: the caller says so
    return std::nullopt;
  }
  json page = json::array();
  for (std::size_t i = offset; i < children.size() && page.size() < limit; ++i) {
    const child_info& c = children[i];
    json j{{"id", c.id},
           {"pid", c.child.is_null() ? json(nullptr) : json(c.child.to_string())},
           {"restarting", c.restarting},
           {"type", c.type == child_type::supervisor ? "supervisor" : "worker"},
           {"restarts", c.restarts},
           {"restart", std::string(to_string(c.restart))},
           {"name", ""},
           {"behaviour", ""},
           {"supervisor", nullptr}};
    if (!c.child.is_null()) {
      if (auto ci = n.process_info(c.child, timeout(t))) {
        j["name"] = ci->registered_name;
        j["behaviour"] = ci->behaviour;
        if (c.type == child_type::supervisor)
          if (auto cs = obs_as_supervisor(c.child, ci->behaviour, t))
            j["supervisor"] = obs_supervisor_json(c.child, *cs);
      }
    }
    page.push_back(std::move(j));
  }
  json out = obs_supervisor_json(sup, *s);
  out["total"] = children.size();
  out["offset"] = offset;
  out["children"] = std::move(page);
  return out;
}

}  // namespace otp::observer_detail

// The observer's process views: the list (from the sampler's last sample)
// and one process in detail (asked fresh), and the parsing of what a request
// may name: a pid, a few query values (observer_parts.hpp, invariant 3).
#include <algorithm>
#include <charconv>

#include "otp/behaviours/sys.hpp"
#include "otp/runtime/errors.hpp"
#include "tools/observer_parts.hpp"

namespace otp::observer_detail {

namespace {

bool obs_read_u32(std::string_view& s, std::uint32_t& out, bool last) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  if (ec != std::errc() || ptr == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(ptr - s.data()));
  if (last) return s.empty();
  if (s.empty() || s.front() != '.') return false;
  s.remove_prefix(1);
  return true;
}

json obs_pid_list(const std::vector<pid>& ps) {
  json out = json::array();
  for (pid p : ps) out.push_back(p.to_string());
  return out;
}

json obs_row_json(const process_row& r) {
  const otp::process_info& i = r.info;
  return {{"pid", r.p.to_string()},
          {"name", i.registered_name},
          {"behaviour", i.behaviour},
          {"status", to_string(i.status)},
          {"message_queue_len", i.message_queue_len},
          {"reductions", i.reductions},
          {"memory", i.memory},
          {"reductions_delta", r.reductions_delta},
          {"memory_delta", r.memory_delta},
          {"message_queue_delta", r.mailbox_delta},
          {"links", i.links.size()},
          {"monitors", i.monitors.size() + i.monitored_by.size()}};
}

}  // namespace

std::optional<pid> parse_pid(std::string_view s) {
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  std::uint32_t node = 0, slot = 0, serial = 0;
  if (!obs_read_u32(s, node, false) || !obs_read_u32(s, slot, false) ||
      !obs_read_u32(s, serial, true) || serial == 0)
    return std::nullopt;
  return pid(node, slot, serial);
}

std::optional<std::string> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out.push_back(' ');
      } else if (raw[i] == '%') {
        if (i + 2 >= raw.size()) return std::nullopt;
        unsigned v = 0;
        auto [p, ec] = std::from_chars(raw.data() + i + 1, raw.data() + i + 3, v, 16);
        if (ec != std::errc() || p != raw.data() + i + 3) return std::nullopt;
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back(raw[i]);
      }
    }
    return out;
  }
  return std::string();  // no such key: "", not a malformed one
}

std::optional<std::size_t> query_number(std::string_view text, std::size_t fallback,
                                        std::size_t max) {
  if (text.empty()) return fallback;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) return max;
  return std::min(v, max);
}

bool known_sort(std::string_view sort) {
  for (std::string_view k : {"", "reductions", "mailbox", "memory", "reductions_delta",
                             "mailbox_delta", "memory_delta", "name"})
    if (sort == k) return true;
  return false;
}

json process_list(const node_sample& s, std::string_view sort, std::string_view filter,
                  std::size_t offset, std::size_t limit) {
  std::vector<const process_row*> rows;
  rows.reserve(s.rows.size());
  for (const process_row& r : s.rows)
    if (filter.empty() || r.info.registered_name.find(filter) != std::string::npos ||
        r.p.to_string().find(filter) != std::string::npos)
      rows.push_back(&r);
  // Largest first; equal keys in pid order, so pages do not shuffle.
  const auto by = [&](auto key) {
    std::sort(rows.begin(), rows.end(), [&](const process_row* a, const process_row* b) {
      const auto ka = key(*a), kb = key(*b);
      return ka != kb ? ka > kb : a->p < b->p;
    });
  };
  if (sort == "mailbox") {
    by([](const process_row& r) { return r.info.message_queue_len; });
  } else if (sort == "memory") {
    by([](const process_row& r) { return r.info.memory; });
  } else if (sort == "reductions_delta") {
    by([](const process_row& r) { return r.reductions_delta; });
  } else if (sort == "memory_delta") {
    by([](const process_row& r) { return r.memory_delta; });
  } else if (sort == "mailbox_delta") {
    by([](const process_row& r) { return r.mailbox_delta; });
  } else if (sort == "name") {
    std::sort(rows.begin(), rows.end(), [](const process_row* a, const process_row* b) {
      return a->info.registered_name != b->info.registered_name
                 ? a->info.registered_name < b->info.registered_name
                 : a->p < b->p;
    });
  } else {
    by([](const process_row& r) { return r.info.reductions; });
  }
  json page = json::array();
  for (std::size_t i = offset; i < rows.size() && page.size() < limit; ++i)
    page.push_back(obs_row_json(*rows[i]));
  return {{"sampled_at_ms", s.at.count()},
          {"total", rows.size()},
          {"offset", offset},
          {"processes", std::move(page)}};
}

std::optional<json> process_detail(node& n, pid p, const crash_feed& feed,
                                   std::chrono::milliseconds per_process) {
  otp::mailbox mb(n);
  const std::optional<otp::process_info> info = n.process_info(p, timeout(per_process));
  if (!info) {
    if (!n.is_alive(p)) return std::nullopt;
    return json{{"pid", p.to_string()}, {"answering", false}};
  }
  process_row row{p, *info};
  json out = obs_row_json(row);
  out["answering"] = true;
  out["trap_exit"] = info->trap_exit;
  out["hibernated"] = info->hibernated;
  out["links"] = obs_pid_list(info->links);
  out["monitors"] = obs_pid_list(info->monitors);
  out["monitored_by"] = obs_pid_list(info->monitored_by);
  out["last_crash"] = feed.last_crash_of(p);
  out["status_info"] = nullptr;
  out["ancestors"] = json::array();
  // Invariant 2: only a behaviour answers system messages.
  if (!info->behaviour.empty()) {
    try {
      const sys::status_info st = sys::get_status(p, timeout(per_process)).get();
      out["ancestors"] = obs_pid_list(st.ancestors);
      out["status_info"] = {{"parent", st.parent.to_string()},
                            {"name", st.name},
                            {"behaviour", st.behaviour},
                            {"suspended", st.suspended},
                            {"messages_handled", st.messages_handled},
                            {"state", st.state}};
    } catch (const otp::exit_error& e) {
      out["status_info"] = {{"error", e.reason().to_string()}};
    }
  }
  return out;
}

}  // namespace otp::observer_detail

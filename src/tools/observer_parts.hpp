// The observer's parts, each an owned object or a set of functions with its
// own file: the sampler (observer_sampler.cpp), the crash feed
// (observer_crashes.cpp), the process views (observer_processes.cpp), the
// tree walk (observer_tree.cpp) and the page (generated from
// observer_page.html). observer.cpp owns them and routes requests to them.
//
// Invariants:
//  1. Every introspection runs on a thread that is not a process (a worker
//     of the HTTP server or the sampler's thread), through an otp::mailbox
//     it owns, and waits at most the configured process timeout per process.
//  2. Only a process whose process_info names a behaviour gets a system
//     message (sys::get_status), and only one whose get_status says
//     "supervisor" and whose status text is a supervisor's or a dynamic
//     supervisor's is asked for its children: a plain process or a plain
//     server is never asked.
//  3. A pid comes from a request only as text parsed to three numbers; no
//     other request text reaches the node.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "otp/runtime/logger_handler.hpp"
#include "otp/runtime/mailbox.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/statistics.hpp"

namespace otp::observer_detail {

using json = nlohmann::json;

/// "<0.12.3>" or "0.12.3" as a pid; nullopt for anything else.
std::optional<pid> parse_pid(std::string_view s);
/// The value of `key` in a query string ("a=1&b=2"), %XX and '+' decoded;
/// "" without one; nullopt for a malformed %-escape.
std::optional<std::string> query_value(std::string_view query, std::string_view key);
/// `text` as an unsigned number, at most `max` (a larger one, however many
/// digits, is `max`); `fallback` when empty; nullopt when it is not digits only.
std::optional<std::size_t> query_number(std::string_view text, std::size_t fallback,
                                        std::size_t max);
/// True for "" and the sorts process_list knows.
bool known_sort(std::string_view sort);

/// One process as the sampler last saw it.
struct process_row {
  pid p;
  otp::process_info info;
  std::uint64_t reductions_delta = 0;  ///< since the sample before
  std::int64_t memory_delta = 0;
  std::int64_t mailbox_delta = 0;
};

/// Every process at one moment.
struct node_sample {
  std::chrono::milliseconds at{0};  ///< node time
  std::vector<process_row> rows;
  std::size_t memory = 0;           ///< bytes, the processes' estimates summed
  std::size_t not_answering = 0;    ///< processes that missed the timeout
  otp::node_statistics stats;       ///< otp::statistics at the sample
  std::vector<double> utilisation;  ///< per scheduler, since the sample before
  double reductions_per_s = 0;      ///< dispatches per second, same interval
};

/// Samples the node every `every` on its own thread; keeps the last sample
/// whole and `keep` samples' totals for the charts. Waits at most 50 ms (or
/// `per_process`, when shorter) for each process.
class sampler {
 public:
  sampler(node& n, std::chrono::milliseconds every, std::size_t keep,
          std::chrono::milliseconds per_process);
  ~sampler();
  sampler(const sampler&) = delete;
  sampler& operator=(const sampler&) = delete;

  /// The last sample (empty rows before the first); never null.
  std::shared_ptr<const node_sample> latest() const;
  /// {"interval_ms", "samples": [{"t_ms", "processes", "memory_bytes",
  /// "run_queue", "messages_queued", "scheduler_utilisation"}...]}, oldest first.
  json history() const;

 private:
  void run();
  void take(otp::mailbox& mb);

  node& node_;
  std::chrono::milliseconds every_;
  std::size_t keep_;
  std::chrono::milliseconds per_process_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool sampled_ = false;  // the first sample was taken (or tried)
  std::shared_ptr<const node_sample> latest_;
  std::vector<json> ring_;  // totals, oldest at ring_start_
  std::size_t ring_start_ = 0;
  std::unordered_map<std::uint64_t, int> quiet_;  // sampler thread only
  std::thread thread_;
};

/// A logger handler keeping the last crash, supervisor and error reports.
class crash_feed : public logger::handler {
 public:
  explicit crash_feed(std::size_t keep) : keep_(keep) {}
  void log(const logger::log_event& event) override;

  /// The reports kept, newest first: [{"time", "kind", "pid", "name",
  /// "headline", "reason", "fields": {...}}].
  json recent() const;
  /// The newest crash report about `p`, or null.
  json last_crash_of(pid p) const;

 private:
  std::size_t keep_;
  mutable std::mutex mu_;
  std::vector<json> ring_;  // oldest first, at most keep_
};

/// What /api/processes answers: rows sorted by `sort` (mailbox, reductions,
/// memory, their `_delta` forms, or name), those whose name contains
/// `filter`, `limit` of them from `offset`.
json process_list(const node_sample& s, std::string_view sort, std::string_view filter,
                  std::size_t offset, std::size_t limit);
/// One process's detail; nullopt when it is not alive.
std::optional<json> process_detail(node& n, pid p, const crash_feed& feed,
                                   std::chrono::milliseconds per_process);

/// The roots of every supervision tree (supervisors whose parent is not one).
json supervision_roots(node& n, const node_sample& s, std::chrono::milliseconds per_process);
/// One page of the children of supervisor `sup`; nullopt when `sup` is not a
/// live supervisor (invariant 2).
/// @exits otp::exit_error (`timeout`) when `sup` lives but does not list its
///   children within `per_process` (it is suspended, say).
std::optional<json> supervisor_children(node& n, pid sup, std::size_t offset, std::size_t limit,
                                        std::chrono::milliseconds per_process);

/// The page, embedded from observer_page.html at build time.
std::string_view page_html() noexcept;

}  // namespace otp::observer_detail

// otp::observer: a live view of a node in the browser, and its JSON API, served
// by the node's own program over HTTP (otp/tools/http_server.hpp).
//
// | what                                   | mirrors                                   |
// |----------------------------------------|-------------------------------------------|
// | observer obs(node, {...})              | observer:start/0, observer_cli:start/0    |
// | GET /                                  | the observer window (one embedded page)   |
// | GET /api/system                        | the System tab; erlang:statistics/1       |
// | GET /api/processes?sort=&limit=&...    | the Processes tab; observer_cli's top     |
// | GET /api/processes/<pid>               | erlang:process_info/1 + sys:get_status/1  |
// | GET /api/tree                          | the Applications tab's supervision trees  |
// | GET /api/children/<pid>?offset=&limit= | supervisor:which_children/1, one page     |
// | GET /api/history                       | the Load Charts tab (server-kept history) |
// | GET /api/crashes                       | the crash and supervisor reports logged   |
// | GET /api/tables                        | the Table Viewer (says why it is empty)   |
// | POST /api/kill/<pid>                   | exit(Pid, Reason) from the Processes tab  |
// | POST /api/suspend/<pid>                | sys:suspend/1                             |
// | POST /api/resume/<pid>                 | sys:resume/1                              |
// | GET /metrics                           | a Prometheus scrape (when given one)      |
//
// docs/guide/observability.md ("Observer") shows each answer's JSON.
//
// Off unless a program constructs one. It listens on 127.0.0.1 by default;
// any other address needs a bearer token, which every /api/ and /metrics
// request must then carry (the page itself, static, loads without it and
// takes the token from its URL's fragment, #token=..., never sent). Nothing taken from a request is
// ever run or opened as a file: a request names processes by pid only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "otp/runtime/node.hpp"

namespace otp {

/// How an observer listens and what it allows.
/// @threadsafe Plain value.
/// @mirrors the options of observer_cli:start/1 and LiveDashboard's router
struct observer_options {
  /// TCP port; 0 picks a free one (see observer::port()).
  int port = 0;
  /// The address to listen on. Anything but a loopback address (127.x.y.z,
  /// ::1, localhost) needs a token.
  std::string bind = "127.0.0.1";
  /// When not empty, every request must carry `Authorization: Bearer <token>`
  /// (401 otherwise).
  std::string token{};
  /// Serve the kill, suspend and resume actions (403 without).
  bool allow_actions = false;
  /// The text /metrics serves (Prometheus exposition format 0.0.4), e.g. a
  /// prometheus_exporter's scrape(); empty: /metrics answers 404.
  std::function<std::string()> metrics{};
  /// How often the server samples the node for the charts and the process
  /// table's deltas, and how many samples it keeps (600 x 1 s: 10 minutes).
  std::chrono::milliseconds sample_every{1000};
  std::size_t history_size = 600;
  /// Crash and supervisor reports kept for /api/crashes.
  std::size_t crash_feed_size = 100;
  /// The longest one process may take to answer an introspection request
  /// (a process busy in a long computation answers at its next scheduling
  /// point); it is reported as not answering after that. The sampler waits
  /// at most 50 ms (or this, when shorter), and asks a process that did not
  /// answer again only every tenth sample.
  std::chrono::milliseconds process_timeout{250};
  /// Threads that answer requests (1..16).
  int workers = 2;
};

/// A running observer: an HTTP server on its own threads, a sampler thread,
/// and a logger handler that keeps the recent crash reports. Destroying it
/// stops all three. Construct it after the node and destroy it before.
/// @threadsafe port() and url() from any thread.
/// @mirrors observer:start/0 and observer:stop/0 (RAII)
///
/// @code
/// otp::node node;
/// otp::observer obs(node, {.port = 8080});
/// std::printf("observer at %s\n", obs.url().c_str());
/// @endcode
class observer {
 public:
  /// Starts serving `n` as `o` says.
  /// @throws otp::badarg when `o.bind` is not a loopback address and
  ///   `o.token` is empty, or `o.workers`/`o.history_size` is out of range;
  ///   std::runtime_error when the address cannot be bound.
  explicit observer(node& n, observer_options o = {});
  /// Stops the server, the sampler and the crash feed.
  ~observer();
  observer(const observer&) = delete;
  observer& operator=(const observer&) = delete;

  /// The port it listens on.
  int port() const noexcept;
  /// `http://<bind>:<port>/`, the page's address.
  std::string url() const;

  struct impl;  ///< defined in src/tools/observer.cpp

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace otp

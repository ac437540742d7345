// otp::http_server: the tools layer's HTTP server, on Boost.Beast over Asio
// (docs/decisions/0004-async-http-server.md). The observer serves its page and
// API on it; the order system's endpoint and payment gateway run on it too.
// Beast and Asio stay inside src/tools/http_server.cpp: this header holds
// only the standard library.
//
// One I/O thread reads and writes every connection without blocking, so an
// idle or slow client costs a socket and a few hundred bytes, never a
// thread. A request is handed to a worker thread only once it has been read
// whole and has passed the limits; handlers may block (they call the node's
// processes), the I/O thread never does.
//
// Answers the server gives itself (bodies are {"error", "message"} JSON):
//
// | what                                              | answer                          |
// |---------------------------------------------------|---------------------------------|
// | request line or a header field malformed          | 400 bad_request, closed         |
// | a path escape that is not %XX                     | 400 bad_request                 |
// | no route for the path                             | 404 not_found                   |
// | a route for the path, not for the method          | 405 method_not_allowed + Allow  |
// | more than max_headers header fields               | 431 too_many_headers, closed    |
// | request line and headers over max_header_bytes    | 431 header_too_large, closed    |
// | Content-Length (or chunks) over max_body_bytes    | 413 payload_too_large, closed   |
// |   (checked before the body is read)               |                                 |
// | Content-Encoding other than identity              | 415 unsupported_encoding, closed|
// | a body not declared application/json (json_only)  | 415 unsupported_media_type      |
// | max_queued requests already wait for a worker     | 503 busy + Retry-After: 1       |
// | max_connections already open                      | 503 busy, closed at once        |
// | a handler that throws                             | 500 internal_error, no text     |
// | nothing sent on an open connection                | closed after the idle timeout   |
// | a request not whole within read_timeout_s         | closed (slowloris ends there)   |
// | an answer not taken within read_timeout_s         | closed                          |
//
// `Expect: 100-continue` is honoured (the 100 is sent after the header
// checks pass, so a refused body is never sent).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otp {

/// What an http_server accepts. Sizes in bytes, times in seconds.
/// @threadsafe Plain value.
/// @mirrors the limits of inets httpd (max_body_size, max_header_size,
///   keep_alive_timeout, max_keep_alive_request, max_clients)
struct http_limits {
  std::size_t max_body_bytes = 64 * 1024;
  /// Request line and header fields together.
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_headers = 64;
  /// A request (line, headers, body) must arrive whole within this, counted
  /// from its first byte; the answer must be taken within it too.
  int read_timeout_s = 5;
  /// A connection with no request under way is closed after this.
  int idle_timeout_s = 5;
  /// Requests one keep-alive connection may carry before it is closed.
  std::size_t keep_alive_max_requests = 1000;
  /// Open connections; one more is answered 503 and closed.
  std::size_t max_connections = 10000;
  /// Whole requests waiting for a worker; one more is answered 503.
  std::size_t max_queued = 1024;
  /// A request with a body must declare Content-Type application/json.
  bool json_only = true;
};

/// A request as a handler sees it: read whole, within the limits.
/// @threadsafe Plain value, owned by the worker running the handler.
/// @mirrors the request record (mod) inets httpd hands a callback module
struct http_request {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< the target up to '?', as sent (not decoded)
  std::string query;   ///< after '?', as sent; empty without one
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// The decoded path segment a route's ":name" matched; empty for routes without one.
  std::string param;

  /// The first header field named `name` (any case), or "" without one.
  std::string header(std::string_view name) const;
};

/// A handler's answer. Defaults: 200, empty JSON body.
/// @threadsafe Plain value, owned by the worker running the handler.
/// @mirrors the {proceed, [{response, ...}]} answer of an inets httpd module
struct http_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;

  /// Adds the header field `name: value` to the answer (no check, no merging).
  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  /// Sets status and an {"error": error, "message": message} body.
  void error(int status, std::string_view error, std::string_view message);
};

/// Runs on a worker thread; fills the response. An exception is answered 500.
using http_handler = std::function<void(const http_request&, http_response&)>;

/// The server. Routes are added before start(); stop() may come from any
/// thread but a worker, and returns once no thread of the server runs.
/// @threadsafe route, bind and start from one thread before serving; stop
///   and open_connections from any thread but a worker.
/// @mirrors inets httpd (httpd:start_service/1, httpd:stop_service/1)
class http_server {
 public:
  /// A server with its limits and `workers` threads that run handlers
  /// (values below 1 mean 1). Nothing listens before bind() and start().
  http_server(http_limits limits, int workers);
  /// Stops (as stop()).
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Adds a route. `pattern` is a path ("/health") or a path whose last
  /// segment is a parameter ("/orders/:id", matching one non-empty segment,
  /// handed to the handler decoded in http_request::param).
  void route(std::string method, std::string pattern, http_handler handler);

  /// Binds `host`:`port` (0: any free port) with SO_REUSEADDR.
  /// @returns the bound port, or -1 when it cannot be bound.
  int bind(const std::string& host, int port);

  /// Starts accepting on the bound port. Requires a successful bind().
  void start();

  /// Closes the listening socket and every connection at once (a request
  /// being read is dropped; one queued for a worker is dropped unanswered),
  /// then waits for the handlers already running to return. Idempotent.
  void stop();

  /// Connections open now.
  std::size_t open_connections() const;

  struct impl;  ///< defined in http_server.cpp

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace otp

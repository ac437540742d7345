// The HTTP endpoint: the order system's API on otp/tools/http_server.hpp.
//
// | request              | answer                                                         |
// |----------------------|----------------------------------------------------------------|
// | POST /orders         | 202 {"id"}; 400 {"error"} malformed or out of bounds (see    |
// |                      | order_limits); 429 + Retry-After; 503 + Retry-After          |
// | GET /orders/{id}     | 200 {"id","state","reason","charge_id","attempts",...}; 404    |
// | GET /health          | 200 {"status": "ok"}                                           |
// | GET /stats           | 200 counts, failures by reason, restarts, circuit state, risk |
// |                      | rules (module version, counts; null without them), ...        |
// | POST /admin/chaos    | only with endpoint_options::admin (404 otherwise):            |
// |                      | {"rate": 0..1000 kills/s}: 200; 400 bad rate; 404 no chaos    |
// | POST /admin/upgrade  | only with admin: {"file": a module file in the modules        |
// |                      | directory, "extra": text for code_change, "permanent": bool   |
// |                      | (both optional)}: installs it into the risk server (risk.hpp).|
// |                      | 200 {"module","vsn","processes","left_out","suspended_us",    |
// |                      | "rolled_back": false,"permanent"}; 409 the same with "error", |
// |                      | "rolled_back": true (it failed and was undone); 400 a bad     |
// |                      | body or file name; 404 no risk rules; 422 the library cannot  |
// |                      | be loaded, or another upgrade runs                            |
// | POST /admin/downgrade| only with admin: {"extra", "permanent"} (optional): back to   |
// |                      | the rules' old version; answers as /admin/upgrade (409: none  |
// |                      | changed, e.g. no old version)                                 |
//
// Every route also has the limits of otp/tools/http_server.hpp (400, 404, 405,
// 413, 415, 431, 503 busy, timeouts); no response carries an internal error's
// text, but for the /admin answers, which give the operator the code
// server's and code_change's reason (a library that cannot be loaded, a
// code_change that threw).
//
// The endpoint is a gen_server that owns the HTTP server; stopping it (or
// killing it) closes the listening socket and every connection at once, and
// never waits for a slow or idle client, which holds no thread. Handlers run
// on the server's worker threads, which are not processes: each request that
// reaches the node gets an otp::mailbox for its duration, so handlers can
// call the service's processes like any process would. An order is stored (pending) before the
// 202 is sent, then its process is started; if that start fails the
// reconciler starts it later, so a 202 always means the order will finish.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "catalogue.hpp"
#include "order.hpp"
#include "otp/otp.hpp"
#include "otp/tools/http_server.hpp"
#include "risk.hpp"

namespace order_system {

using otp::http_limits;
using otp::http_request;
using otp::http_response;
using otp::http_server;

/// Bounds on the fields of POST /orders (a 400 outside them).
struct order_limits {
  static constexpr std::size_t kMaxText = 200;  ///< customer, card_token, item codes
  static constexpr std::int64_t kMaxAmountCents = 100'000'000;
  static constexpr std::int64_t kMaxQuantity = 10'000;
  static constexpr std::size_t kMaxLines = 100;
};

/// Where the endpoint listens and how it is reached.
struct endpoint_options {
  std::string host = "127.0.0.1";
  /// 0 for any free port. After the first start the chosen port is kept in
  /// `bound_port`, and a restarted endpoint listens on it again.
  int port = 0;
  /// Threads that run request handlers (connections take none).
  int threads = 16;
  /// Serve the /admin routes (the demo's chaos switch and code upgrade).
  /// Off by default: an upgrade loads code into the service.
  bool admin = false;
  http_limits limits;
  std::shared_ptr<std::atomic<int>> bound_port = std::make_shared<std::atomic<int>>(0);
};

/// Counts the requests working on the node, and closes: after close(), no
/// request enters. Thread-safe.
class request_gate {
 public:
  /// False once closed; otherwise counts the caller in (leave() when done).
  bool enter() {
    std::lock_guard l(mu_);
    if (closed_) return false;
    ++inside_;
    return true;
  }
  void leave() {
    std::lock_guard l(mu_);
    if (--inside_ == 0) cv_.notify_all();
  }
  /// Closes, then waits up to `limit` for the requests inside to leave.
  void close(std::chrono::milliseconds limit) {
    std::unique_lock l(mu_);
    closed_ = true;
    cv_.wait_for(l, limit, [this] { return inside_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int inside_ = 0;
};

/// The endpoint gen_server.
class endpoint {
 public:
  endpoint(endpoint_options o, otp::node* node, std::shared_ptr<const order_context> ctx,
           std::shared_ptr<const catalogue> cat, risk_options risk);
  ~endpoint();
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  /// Binds the port and starts serving. Stops with `{bind_failed, Port}`
  /// when the port cannot be bound.
  otp::server_result init();
  void terminate(const otp::exit_reason&) { stop(); }

 private:
  void stop();

  endpoint_options o_;
  otp::node* node_;
  std::shared_ptr<const order_context> ctx_;
  std::shared_ptr<const catalogue> cat_;
  risk_options risk_;
  std::unique_ptr<http_server> server_;
  std::shared_ptr<request_gate> gate_ = std::make_shared<request_gate>();
};

}  // namespace order_system

// The tools layer's HTTP server (include/otp/tools/http_server.hpp), as the order system runs it,
// against idle, slow, oversized, malformed and excess clients on real sockets.
#include "otp/tools/http_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/loopback.hpp"

namespace {

using otp::http_limits;
using otp::http_request;
using otp::http_response;
using otp::http_server;
using namespace std::chrono_literals;

/// A server on a free loopback port with a few routes: GET /health,
/// GET /echo/:id (answers the decoded id), POST /echo (answers the body),
/// GET /throw (throws), GET /block (waits for release()).
class test_server {
 public:
  explicit test_server(http_limits l = {}, int workers = 4) : server_(l, workers) {
    server_.route("GET", "/health",
                  [](const http_request&, http_response& r) { r.body = R"({"status":"ok"})"; });
    server_.route("GET", "/echo/:id",
                  [](const http_request& q, http_response& r) { r.body = q.param; });
    server_.route("POST", "/echo",
                  [](const http_request& q, http_response& r) { r.body = q.body; });
    server_.route("GET", "/throw",
                  [](const http_request&, http_response&) { throw std::runtime_error("secret"); });
    server_.route("GET", "/block", [this](const http_request&, http_response& r) {
      std::unique_lock l(mu_);
      ++blocked_;
      cv_.notify_all();
      cv_.wait(l, [this] { return released_; });
      r.body = "released";
    });
    port_ = server_.bind("127.0.0.1", 0);
    if (port_ <= 0) throw std::runtime_error("cannot bind");
    server_.start();
  }
  ~test_server() {
    release();
    server_.stop();
  }

  int port() const { return port_; }
  http_server& server() { return server_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(5, 0);
    return c;
  }
  /// Waits until `n` handlers are inside GET /block.
  void wait_blocked(int n) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return blocked_ >= n; });
  }
  void release() {
    std::lock_guard l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  http_server server_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  int blocked_ = 0;
  bool released_ = false;
};

/// A raw connection with a receive timeout.
struct raw_conn {
  int fd;
  explicit raw_conn(int port, int timeout_s = 5) : fd(order_system::connect_loopback(port)) {
    timeval tv{timeout_s, 0};
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~raw_conn() {
    if (fd >= 0) ::close(fd);
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;
  bool send(const std::string& s) const {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  /// Reads until the peer closes or the timeout passes; `closed` tells which.
  std::string read_all(bool* closed = nullptr) const {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = n == 0 || errno == ECONNRESET;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  /// Reads until `needle` has arrived (or the peer closes or times out).
  std::string read_until(const std::string& needle) const {
    std::string out;
    char buf[4096];
    while (out.find(needle) == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

// Rule: idle and half-sent connections hold no thread: with one worker and
// 1,000 of them open, a request is answered at once.
TEST(HttpServer, ThousandsOfIdleOrSlowConnectionsDoNotDelayARequest) {
  test_server s({}, 1);
  std::vector<std::unique_ptr<raw_conn>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<raw_conn>(s.port()));
    ASSERT_GE(idle.back()->fd, 0);
    if (i % 2 == 0) {
      ASSERT_TRUE(idle.back()->send("POST /echo HTTP/1.1\r\nHost: x\r\nConte"));
    }
  }
  auto c = s.client();
  c.set_read_timeout(2, 0);
  const auto r = c.Get("/health");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(s.server().open_connections(), 1000u);
}

// Rule: a request must arrive whole within read_timeout_s of its first byte,
// however steadily its bytes trickle in (slowloris), while a connection with
// nothing under way may stay for idle_timeout_s.
TEST(HttpServer, ASlowRequestIsClosedAtTheReadTimeoutNotReprievedByEachByte) {
  test_server s({.read_timeout_s = 1, .idle_timeout_s = 30});
  raw_conn slow(s.port());
  const auto t0 = std::chrono::steady_clock::now();
  const std::string req = "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  bool closed = false;
  for (int i = 0; !closed && i < 100; ++i) {
    // The client's own pace (one byte every 100 ms), not a synchronisation.
    (void)slow.send(i < static_cast<int>(req.size()) ? req.substr(i, 1) : "a");
    pollfd p{slow.fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char b;
      closed = ::recv(slow.fd, &b, 1, MSG_DONTWAIT) <= 0;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

// Rule: a connection that sends nothing is closed after idle_timeout_s.
TEST(HttpServer, AnIdleConnectionIsClosedAfterTheIdleTimeout) {
  test_server s({.idle_timeout_s = 1});
  raw_conn idle(s.port(), 10);
  bool closed = false;
  EXPECT_EQ(idle.read_all(&closed), "");
  EXPECT_TRUE(closed);
}

// Rule: one connection over max_connections is answered 503 busy and closed.
TEST(HttpServer, ConnectionsOverTheLimitAre503) {
  test_server s({.max_connections = 3});
  std::vector<std::unique_ptr<raw_conn>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw_conn>(s.port()));
    // A round trip on each proves the server has accepted it.
    ASSERT_TRUE(held.back()->send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_NE(held.back()->read_until("ok\"}").find("200 OK"), std::string::npos);
  }
  raw_conn extra(s.port());
  const std::string reply = extra.read_all();
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
  EXPECT_NE(reply.find("\"busy\""), std::string::npos) << reply;
}

// Rule: when max_queued requests already wait for a worker, one more is 503
// busy with Retry-After, and those waiting are answered once a worker frees.
TEST(HttpServer, RequestsOverTheQueueAre503Busy) {
  test_server s({.max_queued = 1}, 1);
  raw_conn running(s.port());
  ASSERT_TRUE(running.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"));
  s.wait_blocked(1);
  // The worker is held: of three more requests one is queued and two refused.
  std::vector<std::unique_ptr<raw_conn>> more;
  std::vector<pollfd> fds;
  for (int i = 0; i < 3; ++i) {
    more.push_back(std::make_unique<raw_conn>(s.port()));
    ASSERT_TRUE(more.back()->send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    fds.push_back({more.back()->fd, POLLIN, 0});
  }
  int answered = 0;
  while (answered < 2) {
    for (auto& p : fds) p.revents = 0;
    ASSERT_GT(::poll(fds.data(), fds.size(), 5000), 0) << "no refusal within 5 s";
    answered = 0;
    for (const auto& p : fds) answered += (p.revents & POLLIN) != 0;
  }
  ASSERT_EQ(answered, 2);
  std::size_t waiting = 0;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if ((fds[i].revents & POLLIN) == 0) {
      waiting = i;
      continue;
    }
    const std::string r = more[i]->read_until("}");
    EXPECT_EQ(r.rfind("HTTP/1.1 503", 0), 0u) << r;
    EXPECT_NE(r.find("Retry-After: 1"), std::string::npos) << r;
    EXPECT_NE(r.find("\"busy\""), std::string::npos) << r;
  }
  s.release();
  EXPECT_NE(running.read_until("released").find("released"), std::string::npos);
  EXPECT_NE(more[waiting]->read_until("ok\"}").find("200 OK"), std::string::npos);
}

// Rule: unknown paths are 404, a known path with another method 405 with
// Allow, a malformed escape 400, and a route's parameter arrives decoded.
TEST(HttpServer, RoutingAnswersAreDefined) {
  test_server s;
  auto c = s.client();
  const auto missing = c.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  const auto wrong = c.Delete("/health");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "GET");
  raw_conn bad(s.port());
  ASSERT_TRUE(bad.send("GET /echo/a%2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(bad.read_until("}").rfind("HTTP/1.1 400", 0), 0u);
  const auto decoded = c.Get("/echo/a%20b%2Fc");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->body, "a b/c");
  const auto deeper = c.Get("/echo/a/b");
  ASSERT_TRUE(deeper);
  EXPECT_EQ(deeper->status, 404);
}

// Rule: a handler that throws is answered 500 without the exception's text.
TEST(HttpServer, AThrowingHandlerIs500WithoutItsText) {
  test_server s;
  const auto r = s.client().Get("/throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("secret"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("internal_error"), std::string::npos) << r->body;
}

// Rule: the body limit holds for chunked bodies too (413, before the rest is read).
TEST(HttpServer, AChunkedBodyOverTheLimitIs413) {
  test_server s({.max_body_bytes = 1000});
  raw_conn c(s.port());
  std::string req =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += "200\r\n" + std::string(0x200, 'a') + "\r\n";
  ASSERT_TRUE(c.send(req));
  EXPECT_EQ(c.read_until("}").rfind("HTTP/1.1 413", 0), 0u);
}

// Rule: Expect: 100-continue gets its 100 once the header passed the checks,
// and none when it did not.
TEST(HttpServer, ExpectContinueIsAnsweredAfterTheChecks) {
  test_server s({.max_body_bytes = 100});
  raw_conn ok(s.port());
  ASSERT_TRUE(
      ok.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(ok.read_until("\r\n\r\n").rfind("HTTP/1.1 100 Continue", 0), 0u);
  ASSERT_TRUE(ok.send("{}"));
  EXPECT_NE(ok.read_until("{}").find("200 OK"), std::string::npos);
  raw_conn big(s.port());
  ASSERT_TRUE(
      big.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(big.read_until("}").rfind("HTTP/1.1 413", 0), 0u);
}

// Rule: requests pipelined on one connection are answered in order.
TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  test_server s;
  raw_conn c(s.port());
  ASSERT_TRUE(c.send(
      "GET /echo/first HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/second HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string replies = c.read_until("second");
  const auto first = replies.find("first");
  ASSERT_NE(first, std::string::npos) << replies;
  EXPECT_LT(first, replies.find("second"));
}

// Rule: stop() closes the port and every connection at once, whatever the
// clients are doing, and returns without waiting for them.
TEST(HttpServer, StopClosesEveryConnectionAtOnce) {
  auto s = std::make_unique<test_server>(http_limits{.read_timeout_s = 60, .idle_timeout_s = 60});
  const int port = s->port();
  raw_conn half(port, 10);
  ASSERT_TRUE(half.send("POST /echo HTTP/1.1\r\nHost: x\r\n"));
  raw_conn idle(port, 10);
  ASSERT_TRUE(s->client().Get("/health"));  // the server is serving
  const auto t0 = std::chrono::steady_clock::now();
  s->server().stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  bool closed = false;
  (void)half.read_all(&closed);
  EXPECT_TRUE(closed);
  (void)idle.read_all(&closed);
  EXPECT_TRUE(closed);
  const int again = order_system::connect_loopback(port);
  EXPECT_LT(again, 0) << "the port still accepts";
  if (again >= 0) ::close(again);
}

}  // namespace

#include "otp/tools/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_set>

#include "otp/runtime/detail/thread_name.hpp"

namespace otp {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string http_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

void http_response::error(int s, std::string_view e, std::string_view message) {
  status = s;
  content_type = "application/json";
  body = nlohmann::json{{"error", e}, {"message", message}}.dump();
}

namespace {

struct route_entry {
  std::string method;
  std::string prefix;  // the whole path, or the part before ":name"
  bool has_param = false;
  http_handler handler;

  bool matches_path(std::string_view path) const {
    if (!has_param) return path == prefix;
    if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
    return path.find('/', prefix.size()) == std::string_view::npos;
  }
};

/// Decodes %XX escapes. @returns false for a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex(in[i + 1]);
    const int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && beast::iequals(s.substr(0, prefix.size()), prefix);
}

/// True for errors that only mean the peer went away or a deadline passed.
bool connection_ended(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == beast::error::timeout ||
         ec == asio::error::operation_aborted || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::bad_descriptor || ec == http::error::partial_message;
}

}  // namespace

class session;

struct http_server::impl {
  http_limits lim;
  std::vector<route_entry> routes;

  std::mutex sessions_mu;
  std::unordered_set<session*> sessions;

  std::mutex jobs_mu;
  std::condition_variable jobs_cv;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
  std::vector<std::thread> workers;
  int worker_count;

  // Declared after what sessions use: the I/O context destroys the sessions
  // its queued handlers still hold, and they unregister themselves.
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry{ioc};
  std::thread io_thread;
  bool stopped = false;

  impl(http_limits l, int w) : lim(l), worker_count(w) {}
  ~impl() { stop(); }

  void accept();
  void refuse(tcp::socket& s);
  void close_all();
  void stop();

  /// Queues `job` for a worker. @returns false when the queue is full or the server stops.
  bool submit(std::function<void()> job) {
    std::lock_guard l(jobs_mu);
    if (stopping || jobs.size() >= lim.max_queued) return false;
    jobs.push_back(std::move(job));
    jobs_cv.notify_one();
    return true;
  }

  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock l(jobs_mu);
        jobs_cv.wait(l, [this] { return stopping || !jobs.empty(); });
        if (stopping) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job();
    }
  }

  std::size_t open() {
    std::lock_guard l(sessions_mu);
    return sessions.size();
  }
};

/// One connection. Lives on the I/O thread; a worker holds it only to post
/// the answer back.
class session : public std::enable_shared_from_this<session> {
 public:
  session(http_server::impl& s, tcp::socket sock) : s_(s), stream_(std::move(sock)) {
    std::lock_guard l(s_.sessions_mu);
    s_.sessions.insert(this);
  }
  ~session() {
    std::lock_guard l(s_.sessions_mu);
    s_.sessions.erase(this);
  }

  void start() { wait_for_request(); }

  /// Closes the socket: every pending operation ends. I/O thread only.
  void close_socket() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  void send(http_response r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "otp");
    if (!r.body.empty() || r.status >= 200) res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(s_.lim.read_timeout_s));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec) return self->close_socket();
                        if (!self->keep_alive_) return self->linger();
                        self->wait_for_request();
                      });
  }

 private:
  // Waits (up to the idle timeout) for the first byte of the next request.
  void wait_for_request() {
    if (buf_.size() > 0) return read_header();  // a pipelined request is here already
    stream_.expires_after(std::chrono::seconds(s_.lim.idle_timeout_s));
    stream_.async_read_some(buf_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close_socket();
                              self->buf_.commit(n);
                              self->read_header();
                            });
  }

  // The whole request must arrive within the read timeout from here.
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(s_.lim.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(s_.lim.max_body_bytes));
    stream_.expires_after(std::chrono::seconds(s_.lim.read_timeout_s));
    http::async_read_header(
        stream_, buf_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(const beast::error_code& ec) {
    if (ec == http::error::header_limit)
      return fail(431, "header_too_large",
                  "the request line and headers may hold at most " +
                      std::to_string(s_.lim.max_header_bytes) + " bytes");
    // Beast checks a Content-Length against the body limit with the header.
    if (ec == http::error::body_limit) return too_large();
    if (connection_ended(ec)) return close_socket();
    if (ec) return fail(400, "bad_request", "the request could not be read");
    const auto& req = parser_->get();
    version_ = req.version();
    if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) > s_.lim.max_headers)
      return fail(431, "too_many_headers",
                  "at most " + std::to_string(s_.lim.max_headers) + " header fields");
    const auto encoding = req[http::field::content_encoding];
    if (!encoding.empty() && !beast::iequals(encoding, "identity"))
      return fail(415, "unsupported_encoding", "compressed bodies are not accepted");
    const auto length = parser_->content_length();
    if (length && *length > s_.lim.max_body_bytes) return too_large();
    const bool has_body = (length && *length > 0) || parser_->chunked();
    const auto method = req.method();
    const bool writes =
        method == http::verb::post || method == http::verb::put || method == http::verb::patch;
    if (s_.lim.json_only && (has_body || writes) &&
        !starts_with_nocase(req[http::field::content_type], "application/json"))
      return fail(415, "unsupported_media_type", "the body must be application/json");
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(stream_, *cont,
                               [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
                                 if (e) return self->close_socket();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_request();
    http::async_read(stream_, buf_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec == http::error::body_limit) return self->too_large();
                       if (connection_ended(ec)) return self->close_socket();
                       if (ec) return self->fail(400, "bad_request", "the body could not be read");
                       self->on_request();
                     });
  }

  void on_request() {
    stream_.expires_never();
    ++served_;
    auto req = parser_->release();
    parser_.reset();
    keep_alive_ = req.keep_alive() && served_ < s_.lim.keep_alive_max_requests;
    auto hr = std::make_shared<http_request>();
    hr->method = std::string(req.method_string());
    const std::string_view target = req.target();
    const auto q = target.find('?');
    hr->path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) hr->query = std::string(target.substr(q + 1));
    for (const auto& f : req)
      hr->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    hr->body = std::move(req.body());

    const route_entry* found = nullptr;
    std::string allow;
    for (const route_entry& r : s_.routes) {
      if (!r.matches_path(hr->path)) continue;
      if (r.method == hr->method) {
        found = &r;
        break;
      }
      allow += (allow.empty() ? "" : ", ") + r.method;
    }
    http_response res;
    if (found == nullptr && allow.empty()) {
      res.error(404, "not_found", "no such resource");
      return send(std::move(res));
    }
    if (found == nullptr) {
      res.error(405, "method_not_allowed", "allowed: " + allow);
      res.set_header("Allow", allow);
      return send(std::move(res));
    }
    if (found->has_param &&
        !percent_decode(std::string_view(hr->path).substr(found->prefix.size()), hr->param)) {
      res.error(400, "bad_request", "the path holds a malformed %-escape");
      return send(std::move(res));
    }
    const bool queued = s_.submit([self = shared_from_this(), hr, h = &found->handler] {
      http_response out;
      try {
        (*h)(*hr, out);
      } catch (...) {
        out = {};
        out.error(500, "internal_error", "the request could not be handled");
      }
      asio::post(self->s_.ioc,
                 [self, out = std::move(out)]() mutable { self->send(std::move(out)); });
    });
    if (!queued) {
      res.error(503, "busy", "the server has too many requests waiting; retry later");
      res.set_header("Retry-After", "1");
      send(std::move(res));
    }
  }

  void too_large() {
    fail(413, "payload_too_large",
         "the body may hold at most " + std::to_string(s_.lim.max_body_bytes) + " bytes");
  }

  // Answers and closes: the rest of the request is not read.
  void fail(int status, std::string_view error, const std::string& message) {
    keep_alive_ = false;
    http_response res;
    res.error(status, error, message);
    send(std::move(res));
  }

  // After the last answer: stop sending, then read and drop what the client
  // still sends for up to a second, so the answer is not lost to a reset.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(1));
    drain();
  }
  void drain() {
    buf_.clear();
    stream_.async_read_some(buf_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close_socket();
                              self->drain();
                            });
  }

  http_server::impl& s_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  std::size_t served_ = 0;
  bool keep_alive_ = false;
};

void http_server::impl::accept() {
  acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket sock) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {  // out of descriptors, say: try again shortly rather than spin
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    if (open() >= lim.max_connections) {
      refuse(sock);
    } else {
      beast::error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      std::make_shared<session>(*this, std::move(sock))->start();
    }
    accept();
  });
}

void http_server::impl::refuse(tcp::socket& s) {
  static const std::string busy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: 59\r\n\r\n"
      R"({"error":"busy","message":"too many connections are open"})";
  beast::error_code ec;
  s.non_blocking(true, ec);
  (void)s.write_some(asio::buffer(busy), ec);
  s.close(ec);
}

void http_server::impl::close_all() {
  beast::error_code ec;
  acceptor.close(ec);
  accept_retry.cancel();
  std::lock_guard l(sessions_mu);
  for (session* s : sessions) s->close_socket();
}

void http_server::impl::stop() {
  if (stopped) return;
  stopped = true;
  if (io_thread.joinable()) {
    asio::post(ioc, [this] {
      close_all();
      ioc.stop();
    });
    io_thread.join();
  } else {
    close_all();
  }
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard l(jobs_mu);
    stopping = true;
    dropped.swap(jobs);
  }
  jobs_cv.notify_all();
  for (auto& w : workers) w.join();
  workers.clear();
}

http_server::http_server(http_limits limits, int workers)
    : impl_(std::make_unique<impl>(limits, workers < 1 ? 1 : workers)) {}

http_server::~http_server() = default;

void http_server::route(std::string method, std::string pattern, http_handler handler) {
  route_entry r{std::move(method), std::move(pattern), false, std::move(handler)};
  const auto colon = r.prefix.rfind("/:");
  if (colon != std::string::npos) {
    r.prefix.resize(colon + 1);
    r.has_param = true;
  }
  impl_->routes.push_back(std::move(r));
}

int http_server::bind(const std::string& host, int port) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return -1;
  const tcp::endpoint ep(address, static_cast<unsigned short>(port));
  tcp::acceptor& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    a.close(ec);
    return -1;
  }
  return a.local_endpoint().port();
}

void http_server::start() {
  impl& i = *impl_;
  for (int w = 0; w < i.worker_count; ++w)
    i.workers.emplace_back([&i] {
      detail::name_this_thread("otp-http-work");
      i.work();
    });
  i.accept();
  i.io_thread = std::thread([&i] {
    detail::name_this_thread("otp-http-io");
    i.ioc.run();
  });
}

void http_server::stop() { impl_->stop(); }

std::size_t http_server::open_connections() const { return impl_->open(); }

}  // namespace otp

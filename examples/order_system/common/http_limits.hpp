// Limits every HTTP server of the order system applies (order_service's
// endpoint and the payment gateway), on cpp-httplib.
//
// | what                                  | answer                                    |
// |---------------------------------------|-------------------------------------------|
// | body larger than max_body_bytes       | 413 {"error": "payload_too_large"}        |
// | Content-Encoding other than identity  | 415 {"error": "unsupported_encoding"}     |
// | POST body not application/json       | 415 {"error": "unsupported_media_type"}   |
// | more than max_headers header fields   | 431 {"error": "too_many_headers"}         |
// | a handler that throws                 | 500 {"error": "internal_error"}, no text  |
// | a connection idle or slow to send     | closed after read_timeout                 |
//
// The body limit and the encoding check run before the body is read, so an
// oversized or compressed body is never read or inflated. A header line
// longer than 8 KiB is refused by httplib itself (400). Known limit of the
// thread-per-connection server: header fields are counted once httplib has
// parsed them all, and each open connection holds one of the server's
// threads until its read timeout (see the closing note of issue 12).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace order_system {

struct http_limits {
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_headers = 64;
  int read_timeout_s = 5;        ///< a request must arrive within this
  int keep_alive_timeout_s = 5;  ///< an idle keep-alive connection is closed after this
  std::size_t keep_alive_max_requests = 1000;
};

namespace detail {
inline void json_error(httplib::Response& res, int status, const std::string& error,
                       const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", error}, {"message", message}}.dump(),
                  "application/json");
}
}  // namespace detail

/// Applies `l` to `svr` (before it listens).
inline void apply_limits(httplib::Server& svr, const http_limits& l) {
  svr.set_payload_max_length(l.max_body_bytes);
  svr.set_read_timeout(l.read_timeout_s, 0);
  svr.set_write_timeout(l.read_timeout_s, 0);
  svr.set_keep_alive_timeout(l.keep_alive_timeout_s);
  svr.set_keep_alive_max_count(l.keep_alive_max_requests);
  svr.set_pre_routing_handler([l](const httplib::Request& req, httplib::Response& res) {
    using R = httplib::Server::HandlerResponse;
    if (req.headers.size() > l.max_headers) {
      detail::json_error(res, 431, "too_many_headers",
                         "at most " + std::to_string(l.max_headers) + " header fields");
      return R::Handled;
    }
    const std::string encoding = req.get_header_value("Content-Encoding");
    if (!encoding.empty() && encoding != "identity") {
      detail::json_error(res, 415, "unsupported_encoding", "compressed bodies are not accepted");
      return R::Handled;
    }
    if (req.has_header("Content-Length")) {
      const std::string len = req.get_header_value("Content-Length");
      const bool digits = !len.empty() && len.size() <= 12 &&
                          len.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoull(len) > l.max_body_bytes) {
        detail::json_error(
            res, 413, "payload_too_large",
            "the body may hold at most " + std::to_string(l.max_body_bytes) + " bytes");
        return R::Handled;
      }
    }
    if (req.method == "POST") {
      const std::string type = req.get_header_value("Content-Type");
      if (type.rfind("application/json", 0) != 0) {
        detail::json_error(res, 415, "unsupported_media_type", "the body must be application/json");
        return R::Handled;
      }
    }
    return R::Unhandled;
  });
  svr.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        detail::json_error(res, 500, "internal_error", "the request could not be handled");
      });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      detail::json_error(res, 413, "payload_too_large", "the body is too large");
    else if (res.status == 404)
      detail::json_error(res, 404, "not_found", "no such resource");
    else if (res.status >= 400)
      detail::json_error(res, res.status, "bad_request", "the request could not be read");
  });
}

}  // namespace order_system

// A headless Chromium driven through chromedriver over the W3C WebDriver
// protocol (https://www.w3.org/TR/webdriver2/), for the tests of pages the
// library serves: cpp-httplib for HTTP and nlohmann/json for the bodies.
#pragma once

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "support/os_process.hpp"

namespace otp_test {

/// True when both Chromium and its driver are installed (Debian's paths).
inline bool browser_installed() {
  return std::filesystem::exists("/usr/bin/chromium") &&
         std::filesystem::exists("/usr/bin/chromedriver");
}

/// A loopback TCP port free at the time of the call.
inline int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

/// Standard base64 to bytes (a WebDriver screenshot is a base64 PNG).
inline std::string base64_decode(const std::string& in) {
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (const char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (v < 0) continue;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

/// One chromedriver and one browser session in it; both end with the object.
class webdriver {
 public:
  using json = nlohmann::json;

  /// Starts chromedriver on a free port and a headless Chromium session of
  /// `width` x `height` pixels. @throws std::runtime_error when either fails.
  explicit webdriver(int width = 1400, int height = 1000)
      : port_(free_loopback_port()),
        driver_("/usr/bin/chromedriver", {"--port=" + std::to_string(port_)}),
        http_("127.0.0.1", port_) {
    http_.set_read_timeout(60, 0);
    const std::string ready = "ChromeDriver was started successfully";
    for (;;) {
      const std::optional<std::string> line = driver_.read_line(std::chrono::seconds(20));
      if (!line) throw std::runtime_error("chromedriver did not start");
      if (line->starts_with(ready)) break;
    }
    const json caps{
        {"capabilities",
         {{"alwaysMatch",
           {{"browserName", "chrome"},
            {"goog:chromeOptions",
             {{"binary", "/usr/bin/chromium"},
              {"args",
               {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=" + std::to_string(width) + "," + std::to_string(height)}}}}}}}}};
    session_ = command("POST", "/session", caps)["sessionId"];
    command("POST", path("/timeouts"), {{"script", 30000}, {"implicit", 0}});
  }
  ~webdriver() {
    try {
      command("DELETE", path(""), nullptr);
    } catch (const std::exception&) {  // the driver is killed next anyway
    }
  }
  webdriver(const webdriver&) = delete;
  webdriver& operator=(const webdriver&) = delete;

  /// Opens `url` and returns once the page has loaded.
  void navigate(const std::string& url) { command("POST", path("/url"), {{"url", url}}); }

  /// Runs `body` (a function body, `return ...;`) in the page; returns its value.
  json execute(const std::string& body) {
    return command("POST", path("/execute/sync"), {{"script", body}, {"args", json::array()}});
  }

  /// Waits in the browser until the expression `condition` is truthy (it is
  /// tried every 50 ms, a throw counting as false) or `limit` passes.
  /// @returns the truthy value, or null after `limit`.
  json wait_for(const std::string& condition, std::chrono::milliseconds limit) {
    const std::string script =
        "const done = arguments[arguments.length - 1];"
        "const end = Date.now() + " +
        std::to_string(limit.count()) +
        ";"
        "(function poll() {"
        "  let v = null;"
        "  try { v = (" +
        condition +
        "); } catch (e) { v = null; }"
        "  if (v) return done(v);"
        "  if (Date.now() > end) return done(null);"
        "  setTimeout(poll, 50);"
        "})();";
    return command("POST", path("/execute/async"), {{"script", script}, {"args", json::array()}});
  }

  /// Clicks the first element `css` selects. @returns false when there is
  /// none, or it went stale (the page replaced it) before the click.
  bool click(const std::string& css) {
    const auto found = raw("POST", path("/element"), {{"using", "css selector"}, {"value", css}});
    if (!found.first) return false;
    const std::string id = found.second.begin().value();
    return raw("POST", path("/element/" + id + "/click"), json::object()).first;
  }

  /// The window's screenshot, as PNG bytes.
  std::string screenshot_png() { return base64_decode(command("GET", path("/screenshot"), {})); }

 private:
  std::string path(const std::string& tail) const { return "/session/" + session_ + tail; }

  /// {succeeded, value}
  std::pair<bool, json> raw(const std::string& method, const std::string& p, const json& body) {
    httplib::Result r = method == "GET"      ? http_.Get(p)
                        : method == "DELETE" ? http_.Delete(p)
                                             : http_.Post(p, body.dump(), "application/json");
    if (!r) throw std::runtime_error("chromedriver did not answer " + method + " " + p);
    json v = json::parse(r->body, nullptr, false);
    json value = v.is_object() && v.contains("value") ? v["value"] : json();
    return {r->status == 200, value};
  }
  json command(const std::string& method, const std::string& p, const json& body) {
    auto [ok, value] = raw(method, p, body);
    if (!ok) throw std::runtime_error(method + " " + p + ": " + value.dump());
    return value;
  }

  int port_;
  os_process driver_;
  httplib::Client http_;
  std::string session_;
};

}  // namespace otp_test

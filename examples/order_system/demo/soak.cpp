#include "soak.hpp"

#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/loopback.hpp"

namespace order_demo {

namespace {

using json = nlohmann::json;

std::string valid_order(std::int64_t amount, std::int64_t quantity, const std::string& customer) {
  return json{{"customer", customer},
              {"items", json::array({{{"item", "SKU-0001"}, {"quantity", quantity}}})},
              {"amount_cents", amount},
              {"card_token", "tok_visa"}}
      .dump();
}

}  // namespace

hostile_clients::hostile_clients(int port, int slow_connections) : port_(port) {
  for (int i = 0; i < slow_connections; ++i) threads_.emplace_back([this] { slowloris(); });
  threads_.emplace_back([this] { abuse(); });
}

hostile_clients::~hostile_clients() { stop(); }

void hostile_clients::stop() {
  stopping_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::map<int, std::int64_t> hostile_clients::answers() const {
  std::lock_guard l(mu_);
  return answers_;
}

std::vector<std::string> hostile_clients::failures() const {
  std::lock_guard l(mu_);
  return failures_;
}

void hostile_clients::record(int status, const std::string& what, bool must_refuse) {
  ++sent_;
  std::lock_guard l(mu_);
  ++answers_[status];
  if (status == 500 || (must_refuse && status >= 200 && status < 300))
    if (failures_.size() < 20) failures_.push_back(what + " -> " + std::to_string(status));
}

void hostile_clients::slowloris() {
  const std::string request =
      "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n{\"customer\": \"slow\"";
  while (!stopping_.load()) {
    const int fd = order_system::connect_loopback(port_);
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (std::size_t i = 0; i < request.size() && !stopping_.load(); ++i) {
      if (::send(fd, &request[i], 1, MSG_NOSIGNAL) != 1) break;  // the server closed it
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    ::close(fd);
  }
}

void hostile_clients::abuse() {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(10, 0);
  c.set_connection_timeout(2, 0);
  const std::string huge(1 << 20, 'x');
  std::uint64_t n = 0;
  while (!stopping_.load()) {
    const auto status = [](const httplib::Result& r) { return r ? r->status : 0; };
    switch (n++ % 7) {
      case 0:
        record(status(c.Post("/orders", huge, "application/json")), "1 MiB body", true);
        break;
      case 1: {
        httplib::Headers h{{"Content-Encoding", "gzip"}};
        record(status(c.Post("/orders", h, valid_order(500, 1, "gz"), "application/json")),
               "gzip body", true);
        break;
      }
      case 2:
        record(status(c.Post("/orders", "{\"customer\": [", "application/json")), "malformed JSON",
               true);
        break;
      case 3:
        record(status(c.Post("/orders", valid_order(INT64_MAX, 1, "big"), "application/json")),
               "int64 max amount", true);
        break;
      case 4:
        record(status(c.Post("/orders", valid_order(500, INT64_MAX, "many"), "application/json")),
               "int64 max quantity", true);
        break;
      case 5:
        record(status(c.Get("/orders/%FF%00")), "GET /orders/%FF%00", true);
        break;
      default:
        record(status(c.Post("/orders", valid_order(500, 1, "text"), "text/plain")),
               "text/plain body", true);
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::int64_t rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      std::int64_t kb = -1;
      in >> kb;
      return kb;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

service_sampler::service_sampler(int port, std::function<pid_t()> service_pid)
    : port_(port), pid_(std::move(service_pid)), thread_([this] { run(); }) {}

service_sampler::~service_sampler() { stop(); }

void service_sampler::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

std::int64_t service_sampler::kills() const {
  std::lock_guard l(mu_);
  return kills_done_ + kills_now_;
}

void service_sampler::run() {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(5, 0);
  while (!stopping_.load()) {
    if (const pid_t p = pid_(); p > 0) {
      const std::int64_t kb = rss_kb(p);
      if (kb > 0) {
        last_rss_kb_ = kb;
        if (kb > peak_rss_kb_.load()) peak_rss_kb_ = kb;
      }
    }
    if (auto r = c.Get("/stats"); r && r->status == 200) {
      const json s = json::parse(r->body, nullptr, false);
      if (s.is_object()) {
        const std::int64_t procs = s.value("processes", std::int64_t{0});
        if (procs > peak_processes_.load()) peak_processes_ = procs;
        const std::int64_t k = s.value("crashes_injected", std::int64_t{0});
        std::lock_guard l(mu_);
        if (k < kills_now_) kills_done_ += kills_now_;  // the service started again
        kills_now_ = k;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace order_demo

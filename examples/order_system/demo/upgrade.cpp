#include "upgrade.hpp"

#include <httplib.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>

namespace order_demo {

using json = nlohmann::json;

upgrade_steps::upgrade_steps(int port, std::function<std::size_t()> sent, std::size_t total,
                             std::function<int()> restarts)
    : port_(port), sent_(std::move(sent)), total_(total), restarts_(std::move(restarts)) {
  steps_.push_back({"order_risk_v2.so", "1", "2", 200, 0, 0, false, 0, {}});
  steps_.push_back({"order_risk_v3.so", "2", "3", 409, 0, 0, false, 0, {}});
  thread_ = std::thread([this] { run(); });
}

upgrade_steps::~upgrade_steps() { finish(); }

void upgrade_steps::finish() {
  finishing_.store(true);
  if (thread_.joinable()) thread_.join();
}

void upgrade_steps::run() {
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const std::size_t at = total_ * (i + 1) / (steps_.size() + 1);
    // Polled: the orders sent is a counter of the clients, and a step
    // runs once it passes `at` (or at once when the clients are done).
    while (!finishing_.load() && sent_() < at)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard l(mu_);
    post(steps_[i], !finishing_.load());
  }
}

void upgrade_steps::post(step& s, bool under_load) {
  s.sent_at = sent_();
  s.restarts_at = restarts_();
  s.under_load = under_load;
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(60, 0);
  const json req = {{"file", s.file}};
  const auto res = c.Post("/admin/upgrade", req.dump(), "application/json");
  if (!res) return;
  s.status = res->status;
  s.body = json::parse(res->body, nullptr, false);
}

std::vector<std::string> upgrade_steps::lines() const {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  for (const step& s : steps_) {
    char head[160];
    std::snprintf(head, sizeof head, "order_risk %s -> %s at %zu orders sent%s: ", s.from, s.to,
                  s.sent_at, s.under_load ? "" : " (after the orders, not under load)");
    std::string line = head;
    if (s.status == 0) {
      out.push_back(line + "no answer");
      continue;
    }
    const json& b = s.body;
    const auto us = b.is_object() ? b.value("suspended_us", std::int64_t{-1}) : -1;
    char tail[200];
    std::snprintf(tail, sizeof tail,
                  "%d, version %s running, %" PRId64 " process(es) suspended %.2f ms", s.status,
                  b.is_object() ? b.value("vsn", "?").c_str() : "?",
                  b.is_object() ? b.value("processes", std::int64_t{0}) : 0,
                  static_cast<double>(us) / 1000.0);
    line += tail;
    if (b.is_object() && b.value("rolled_back", false)) line += ", rolled back";
    if (b.is_object() && b.contains("error")) line += " (" + b.value("error", "") + ")";
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> upgrade_steps::failures(const json& risk) const {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  // Version 2 runs after the first step, unless the service was started
  // again since (it then loads the configured version 1).
  const auto want_vsn = [this](int restarts) {
    return restarts > steps_.front().restarts_at ? std::string("1") : std::string("2");
  };
  for (const step& s : steps_) {
    const bool rolled_back = s.body.is_object() && s.body.value("rolled_back", false);
    const std::string want = want_vsn(s.restarts_at);
    const bool on_want = s.body.is_object() && s.body.value("vsn", "") == want;
    if (s.status != s.want_status || !on_want || rolled_back != (s.want_status == 409))
      out.push_back(std::string("upgrade to ") + s.file + " answered " + std::to_string(s.status) +
                    " " + s.body.dump() + ", expected " + std::to_string(s.want_status) +
                    (s.want_status == 409 ? " rolled back to version " : " running version ") +
                    want);
  }
  const std::string vsn = risk.is_object() ? risk.value("vsn", "") : "";
  const std::string want = want_vsn(restarts_());
  if (vsn != want)
    out.push_back("the risk rules run version \"" + vsn + "\" at the end, not " + want);
  return out;
}

std::vector<std::string> upgrade_steps::warnings() const {
  std::lock_guard l(mu_);
  if (restarts_() == steps_.front().restarts_at) return {};
  return {
      "the service was started again after the upgrade: it runs the configured version 1 "
      "of the risk rules (an upgrade lasts as long as the OS process)"};
}

}  // namespace order_demo

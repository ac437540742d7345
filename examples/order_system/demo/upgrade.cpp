#include "upgrade.hpp"

#include <httplib.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>

namespace order_demo {

using json = nlohmann::json;

namespace {
/// The version `risk` (GET /stats' "risk") says runs, or empty.
std::string running_vsn(const json& risk) {
  const std::string v = risk.is_object() ? risk.value("vsn", "") : "";
  return v == "unknown" ? std::string() : v;
}
}  // namespace

upgrade_steps::upgrade_steps(int port, std::function<std::size_t()> sent, std::size_t total,
                             std::function<int()> restarts)
    : port_(port),
      sent_(std::move(sent)),
      total_(total),
      restarts_(std::move(restarts)),
      restarts_at_start_(restarts_()) {
  httplib::Client c("127.0.0.1", port_);
  const auto res = c.Get("/stats");
  const json stats = res ? json::parse(res->body, nullptr, false) : json();
  vsn_at_start_ = running_vsn(stats.is_object() && stats.contains("risk") ? stats["risk"] : json());
  if (vsn_at_start_.empty()) vsn_at_start_ = "1";  // unreadable: what the configuration names
  steps_.push_back({"upgrade", "order_risk_v2.so", false, false, 0, 0, false, 0, {}});
  steps_.push_back({"downgrade", "", false, false, 0, 0, false, 0, {}});
  steps_.push_back({"upgrade", "order_risk_v2.so", true, false, 0, 0, false, 0, {}});
  steps_.push_back({"upgrade", "order_risk_v3.so", false, true, 0, 0, false, 0, {}});
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
  json req = {{"permanent", s.permanent}};
  if (std::string(s.what) == "upgrade") req["file"] = s.file;
  // A service being started again (its tree gave up) refuses connections
  // for a moment: ask again, as the clients do, for up to a minute, and
  // count the restarts as of the answer.
  const auto ask = [&] {
    return c.Post("/admin/" + std::string(s.what), req.dump(), "application/json");
  };
  // So does one whose tree is stopping (503 "the service is stopping").
  auto res = ask();
  for (int tries = 0; (!res || res->status == 503) && tries < 600; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s.restarts_at = restarts_();
    res = ask();
  }
  if (!res) return;
  s.status = res->status;
  s.body = json::parse(res->body, nullptr, false);
}

std::vector<std::string> upgrade_steps::lines() const {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  for (const step& s : steps_) {
    std::string line = std::string(s.what) + (*s.file != '\0' ? " to " : "") + s.file +
                       (s.permanent ? " (permanent)" : "") + " at " + std::to_string(s.sent_at) +
                       " orders sent" +
                       (s.under_load ? "" : " (after the orders, not under load)") + ": ";
    if (s.status == 0) {
      out.push_back(line + "no answer");
      continue;
    }
    const json& b = s.body;
    const bool obj = b.is_object();
    char tail[160];
    std::snprintf(tail, sizeof tail,
                  "%d, version %s running, %" PRId64 " process(es) suspended %.2f ms", s.status,
                  obj ? b.value("vsn", "?").c_str() : "?",
                  obj ? b.value("processes", std::int64_t{0}) : 0,
                  static_cast<double>(obj ? b.value("suspended_us", std::int64_t{0}) : 0) / 1000.0);
    line += tail;
    if (obj && b.value("rolled_back", false)) line += ", rolled back";
    if (obj && b.value("permanent", false)) line += ", made permanent";
    if (obj && b.contains("error")) line += " (" + b.value("error", "") + ")";
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> upgrade_steps::failures(const json& risk) const {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  // What the code server holds, as the steps change it: the version
  // running, the old one (a downgrade goes back to it; "" none), and the
  // one made permanent, which a service started again loads.
  std::string running = vsn_at_start_, old, permanent = vsn_at_start_;
  int restarts = restarts_at_start_;
  const auto restarted = [&](int now) {
    if (now == restarts) return;
    restarts = now;
    running = permanent;
    old.clear();
  };
  for (const step& s : steps_) {
    restarted(s.restarts_at);
    const bool obj = s.body.is_object();
    int want_status = 200;
    bool want_rolled_back = false;
    if (std::string(s.what) == "downgrade") {
      if (old == "1" && running == "2")
        running = "1";
      else
        want_status = 409;  // nothing (or no version 1) to go back to
      old.clear();          // the version left is dropped
    } else if (s.broken) {
      want_status = 409;  // rolled back: the version loaded meanwhile is dropped
      want_rolled_back = true;
      old.clear();
    } else if (s.status == 409 && obj && s.body.value("left_out", 0) > 0) {
      want_status = 409;        // the risk server ended during it (chaos): undone,
      want_rolled_back = true;  // as an install must be
      old.clear();
    } else {
      old = running;
      running = "2";
      if (obj && s.body.value("permanent", false)) permanent = "2";
    }
    const bool ok = s.status == want_status && obj && s.body.value("vsn", "") == running &&
                    s.body.value("rolled_back", false) == want_rolled_back &&
                    (s.body.value("permanent", false) || !s.permanent || want_status != 200 ||
                     s.body.contains("permanent_error"));
    if (!ok)
      out.push_back(std::string(s.what) + " " + s.file + " answered " + std::to_string(s.status) +
                    " " + s.body.dump() + ", expected " + std::to_string(want_status) +
                    " with version " + running + " running");
  }
  restarted(restarts_());
  const std::string vsn = running_vsn(risk);
  if (!vsn.empty() && vsn != running)
    out.push_back("the risk rules run version \"" + vsn + "\" at the end, not " + running);
  return out;
}

std::vector<std::string> upgrade_steps::warnings(const json& risk) const {
  if (!running_vsn(risk).empty()) return {};
  return {"the risk rules' version at the end could not be read from /stats: not checked"};
}

}  // namespace order_demo

// Emitting reports: to the node's handler, or to the logger.
#include "otp/runtime/report.hpp"

#include <vector>

#include "runtime/logger_core.hpp"
#include "runtime/node_impl.hpp"

namespace otp {

std::string report::field(const std::string& key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return {};
}

std::string report::to_string() const {
  std::string out = headline;
  for (const auto& [k, v] : fields) {
    out += "\n    ";
    out += k;
    out += ": ";
    out += v;
  }
  if (const exception_info* ex = reason.exception()) {  // symbolised only when printed
    out += "\n    stacktrace:\n";
    out += ex->stacktrace();
  }
  return out;
}

report report::application_started(pid from, std::string app, std::string node) {
  report r;
  r.what = kind::application;
  r.severity = log_level::info;
  r.from = from;
  r.headline = "application " + app + " started at " + node;
  r.fields.emplace_back("application", std::move(app));
  r.fields.emplace_back("started_at", std::move(node));
  return r;
}

report report::application_exited(pid from, std::string app, exit_reason reason, std::string type) {
  report r;
  r.what = kind::application;
  const bool quiet = reason.is_normal() || reason.to_string() == "stopped" || type == "temporary";
  r.severity = quiet ? log_level::notice : log_level::error;
  r.from = from;
  r.headline = "application " + app + " exited: " + reason.to_string();
  r.fields.emplace_back("application", std::move(app));
  r.fields.emplace_back("exited", reason.to_string());
  r.fields.emplace_back("type", std::move(type));
  r.reason = std::move(reason);
  return r;
}

const char* report::kind_name(kind k) noexcept {
  switch (k) {
    case kind::crash:
      return "crash";
    case kind::supervisor:
      return "supervisor";
    case kind::error:
      return "error";
    case kind::progress:
      return "progress";
    case kind::application:
      return "application";
  }
  return "?";
}

namespace {

// A report as a log event of the "otp" logger: the headline as message, the
// fields as metadata, the stack trace symbolised once for every handler.
void log_report(const report& r) {
  const logger::detail::module_entry& otp = logger::detail::otp_logger();
  if (!logger::detail::allows(&otp, r.severity) || !logger::detail::any_handler_passes(r.severity))
    return;
  std::vector<logger::metadata_item> md;
  md.reserve(r.fields.size());
  for (const auto& [k, v] : r.fields) md.emplace_back(k, v);
  std::string trace;
  if (const exception_info* ex = r.reason.exception()) trace = ex->stacktrace();
  logger::log_event ev;
  ev.level = r.severity;
  ev.time = std::chrono::system_clock::now();
  ev.logger = otp.name;
  ev.message = r.headline;
  ev.process = r.from;
  ev.metadata = md;
  ev.report = &r;
  ev.stacktrace = trace;
  std::string name;
  std::shared_ptr<const std::string> app;
  if (const detail::process* p = detail::ctx().proc; p != nullptr && p->self() == r.from) {
    if (p->has_name.load(std::memory_order_relaxed)) name = p->node->names.name_of(p->slot);
    if (p->extras != nullptr) app = p->extras->application;
  }
  ev.registered_name = name;
  if (app) ev.application = *app;
  logger::detail::dispatch(ev, logger::detail::burst_clock_ms());
}

}  // namespace

namespace detail {

bool reports_enabled(const node_impl& n) noexcept { return n.opts.reports; }

void emit_report(node_impl& n, const report& r) noexcept {
  if (!n.opts.reports) return;
  try {
    if (n.opts.on_report)
      n.opts.on_report(r);
    else
      log_report(r);
  } catch (...) {
    // A failing report handler must not take the reporting process down.
  }
}

}  // namespace detail
}  // namespace otp

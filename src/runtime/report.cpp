// Emitting reports: to the node's handler, or to the log.
#include "otp/runtime/report.hpp"

#include "runtime/log.hpp"
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

namespace detail {

bool reports_enabled(const node_impl& n) noexcept { return n.opts.reports; }

void emit_report(node_impl& n, const report& r) noexcept {
  if (!n.opts.reports) return;
  try {
    if (n.opts.on_report)
      n.opts.on_report(r);
    else
      runtime_log().error("{}", r.to_string());
  } catch (...) {
    // A failing report handler must not take the reporting process down.
  }
}

}  // namespace detail
}  // namespace otp

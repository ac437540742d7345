#include "otp/behaviours/child_spec.hpp"

#include "otp/runtime/messages.hpp"
#include "otp/runtime/receive.hpp"

namespace otp {

std::string shutdown_spec::to_string() const {
  if (brutal_) return "brutal_kill";
  if (grace_.is_infinite()) return "infinity";
  return std::to_string(grace_.ms());
}

shutdown_spec child_spec::effective_shutdown() const {
  if (shutdown) return *shutdown;
  return type == child_type::supervisor ? shutdown_spec(timeout(infinity))
                                        : shutdown_spec(std::chrono::milliseconds(5000));
}

namespace detail {

task<exit_reason> shutdown_child(pid child, shutdown_spec how) {
  const ref mon = monitor(child);
  auto down = [mon] {
    return when([mon](const down_msg& d) { return d.monitor == mon; },
                [](down_msg&& d) { return std::optional<exit_reason>(std::move(d.reason)); });
  };
  std::optional<exit_reason> why;
  if (how.is_brutal_kill()) {
    exit(child, exit_reason::kill());
    why = co_await receive(down());
  } else {
    exit(child, exit_reason::shutdown());
    why = co_await receive(down(), after(how.grace(), [] { return std::optional<exit_reason>(); }));
    if (!why) {
      exit(child, exit_reason::kill());
      why = co_await receive(down());
    }
  }
  // The link: drop it, and the exit_msg the child's death may have queued
  // (its reason is the better one when the monitor only saw noproc).
  unlink(child);
  std::optional<exit_reason> queued = co_await receive(
      when([child](const exit_msg& e) { return e.from == child; },
           [](exit_msg&& e) { return std::optional<exit_reason>(std::move(e.reason)); }),
      after(0, [] { return std::optional<exit_reason>(); }));
  if (why->is(exit_reason::kind::noproc) && queued) co_return std::move(*queued);
  co_return std::move(*why);
}

}  // namespace detail
}  // namespace otp

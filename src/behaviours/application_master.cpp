// An application's master process: starts the root supervisor through the
// spec's start callback, then waits for a stop request or the root's end.
#include <exception>

#include "behaviours/application_controller.hpp"
#include "otp/behaviours/detail/server_main.hpp"
#include "otp/runtime/application_tag.hpp"
#include "otp/runtime/detail/process.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/report.hpp"

namespace otp::detail {

namespace {

/// Calls a prep_stop or stop callback; an exception is reported, not fatal.
void call_back(const std::function<void()>& f, const application_spec& spec, const char* which) {
  if (!f) return;
  try {
    f();
  } catch (...) {
    process& me = require_process("application master");
    if (!reports_enabled(*me.node)) return;
    report r;
    r.what = report::kind::error;
    r.from = me.self();
    r.headline = "** application " + spec.name + ": " + which + " threw";
    r.reason = reason_of_current_exception();
    emit_report(*me.node, r);
  }
}

enum class master_event : std::uint8_t { stop, root_ended, controller_ended };

}  // namespace

proc app_master(std::shared_ptr<const application_spec> spec, pid controller) {
  trap_exit(true);
  set_application(spec->name);  // the whole tree carries the name (get_application, log events)
  start_result r;
  try {
    r = co_await spec->start(start_type::normal);
  } catch (...) {
    r = start_result::error(reason_of_current_exception());
  }
  send(controller, app_master_started{spec->name, self(), r});
  if (!r.is_ok()) co_return;
  const pid root = r.child;
  link(root);  // the start callback should have linked it; a dead root sends EXIT noproc

  exit_reason root_reason;
  const master_event ev =
      co_await receive([](const app_master_stop&) { return master_event::stop; },
                       when([&](const exit_msg& e) { return e.from == root; },
                            [&](exit_msg&& e) {
                              root_reason = std::move(e.reason);
                              return master_event::root_ended;
                            }),
                       when([&](const exit_msg& e) { return e.from == controller; },
                            [](const exit_msg&) { return master_event::controller_ended; }));
  if (ev == master_event::root_ended) {
    call_back(spec->stop, *spec, "stop");
    exit(root_reason);
  }
  call_back(spec->prep_stop, *spec, "prep_stop");
  exit(root, exit_reason::shutdown());  // the root supervisor stops its children in reverse
  co_await receive(when([&](const exit_msg& e) { return e.from == root; }, [](const exit_msg&) {}));
  call_back(spec->stop, *spec, "stop");
}

}  // namespace otp::detail

// Hibernation: the body's frames are destroyed and the process parks with
// its pending body (a detail::hibernation) in its extras; the receive loop
// of the scheduler wakes it through wake_match once a message is queued.
#include "otp/runtime/hibernate.hpp"

#include <utility>

#include "runtime/node_impl.hpp"

namespace otp::detail {

namespace {
/// The match function of a hibernated process: when a message is queued,
/// makes the new body and makes it the process's resume point. Signals alone
/// (already handled by drain) leave it parked.
bool wake_match(void*, process& p) {
  if (p.save_head == nullptr) return false;
  hibernation* next = std::exchange(p.extras->hibernated, nullptr);
  p.rx_match = nullptr;
  p.rx_awaiter = nullptr;
  try {
    task<void> body = next->wake();
    delete next;
    auto h = body.release();
    h.promise().top_of = &p;
    p.top = h;
    p.resume_point = h;
    return true;
  } catch (...) {  // the new frame could not be made: the process ends with why
    delete next;
    set_exit(p, exit_reason::from_exception(std::current_exception()));
    return false;
  }
}
}  // namespace

process& hibernating_process() {
  process& p = require_process("hibernate");
  if (p.external.load(std::memory_order_relaxed))
    throw badarg("hibernate: a thread's mailbox cannot hibernate (only a process can)");
  extras_of(p);  // allocated now, where a failure can still be thrown
  return p;
}

std::coroutine_handle<> hibernate_now(process& p, hibernation* next) noexcept {
  p.extras->hibernated = next;
  if (p.top) {
    auto h = std::exchange(p.top, {});
    h.destroy();  // the whole call stack: the body owns every frame it awaits
  }
  // A message already in the save queue wakes it at once (rx_suspend only
  // looks at what arrives from now on).
  if (p.save_head != nullptr) {
    p.rx_match = &wake_match;
    if (wake_match(nullptr, p)) return p.resume_point;
    finish_process(p);  // the new body could not be made
    return p.node->next_handle();
  }
  return rx_suspend(p, {}, nullptr, &wake_match, timeout(infinity), false);
}

bool is_hibernated(const process& p) noexcept { return p.rx_match == &wake_match; }

}  // namespace otp::detail

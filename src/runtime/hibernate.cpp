// Hibernation: the body's frames are destroyed and the process parks in a
// receive whose awaiter is its pending body (a detail::hibernation) and
// whose match makes that body once a message is queued. The scheduler's
// receive loop then resumes the new body like any completed receive.
#include "otp/runtime/hibernate.hpp"

#include <utility>

#include "runtime/node_impl.hpp"

namespace otp::detail {

namespace {
/// Makes `next`'s body (deleting `next`) the process's body and resume
/// point. False, with the process's exit decided, when it could not.
bool start_next(process& p, hibernation* next) noexcept {
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

/// The match function of a hibernated process (its awaiter is the pending
/// hibernation): wakes it once a message is queued. Signals alone, already
/// handled by drain, leave it parked.
bool wake_match(void* next, process& p) {
  if (p.save_head == nullptr) return false;
  p.rx_match = nullptr;
  p.rx_awaiter = nullptr;
  return start_next(p, static_cast<hibernation*>(next));
}

/// Destroys the current body of `p`: every frame of its call stack.
void drop_body(process& p) noexcept {
  if (p.top) {
    auto h = std::exchange(p.top, {});
    h.destroy();  // the body owns every frame it awaits
  }
  p.resume_point = {};
}
}  // namespace

process& hibernating_process(const char* what) {
  process& p = require_process(what);
  if (p.external.load(std::memory_order_relaxed))
    throw badarg(std::string(what) + ": a thread's mailbox has no call stack to replace");
  return p;
}

std::coroutine_handle<> hibernate_now(process& p, hibernation* next) noexcept {
  drop_body(p);
  // A message already in the save queue wakes it at once (rx_suspend only
  // looks at what arrives from now on).
  if (p.save_head != nullptr) return continue_now(p, next);
  return rx_suspend(p, {}, next, &wake_match, timeout(infinity), false);
}

std::coroutine_handle<> continue_now(process& p, hibernation* next) noexcept {
  drop_body(p);
  if (start_next(p, next)) return p.resume_point;
  finish_process(p);
  return p.node->sched.next_handle();
}

bool is_hibernated(const process& p) noexcept { return p.rx_match == &wake_match; }

void drop_hibernation(process& p) noexcept {
  if (!is_hibernated(p)) return;
  delete static_cast<hibernation*>(std::exchange(p.rx_awaiter, nullptr));
  p.rx_match = nullptr;
}

}  // namespace otp::detail

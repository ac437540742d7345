// Captures the stack at every throw made inside a process, so that an
// exception escaping a process body keeps the trace of where it was thrown
// (by the time unhandled_exception runs, the stack is already unwound).
//
// We interpose __cxa_throw: record raw return addresses (cheap, no
// symbolisation) into a thread-local buffer, then hand over to the C++
// runtime's own __cxa_throw. Symbols are resolved only when a report asks.
#include "runtime/throw_trace.hpp"

#include <dlfcn.h>
#include <execinfo.h>

#include <cstdlib>
#include <typeinfo>

#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/errors.hpp"

namespace otp::detail {

namespace {
thread_local throw_trace t_trace;
}

const throw_trace& last_throw_trace() noexcept { return t_trace; }

}  // namespace otp::detail

namespace {
using cxa_throw_fn = void (*)(void*, void*, void (*)(void*));

cxa_throw_fn real_cxa_throw() {
  static cxa_throw_fn fn = reinterpret_cast<cxa_throw_fn>(dlsym(RTLD_NEXT, "__cxa_throw"));
  return fn;
}
}  // namespace

// The type_info parameter is declared void* as in libstdc++'s own internal
// declaration (ext/concurrence.h), which this must not conflict with.
extern "C" void __cxa_throw(void* obj, void* type, void (*destructor)(void*)) {
  auto& c = otp::detail::ctx();
  // An exit_error carries its exit reason, which never takes the trace of
  // the throw (exit_reason::from_exception returns the reason as it is), so
  // the capture is skipped for it: a call to a crashed server ends its
  // caller this way on every crash.
  const auto* t = static_cast<const std::type_info*>(type);
  if (c.proc != nullptr && *t != typeid(otp::exit_error) && *t != typeid(otp::mailbox_exit)) {
    auto& t = otp::detail::t_trace;
    t.object = obj;
    int n = backtrace(t.frames, static_cast<int>(otp::detail::kMaxThrowFrames));
    t.depth = n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  cxa_throw_fn fn = real_cxa_throw();
  if (fn == nullptr) otp::detail::internal_error("the C++ runtime's __cxa_throw was not found");
  fn(obj, type, destructor);
  __builtin_unreachable();
}

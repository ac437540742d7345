// Configure-time probe (cmake/otp_check_compiler.cmake): does this compiler
// build the coroutine code this library's users write the natural way? Three
// patterns, each run to completion with objects that count their
// constructions and destructions and point into themselves (as std::string's
// small buffer does):
//   1. co_await on a call whose argument is a class temporary,
//   2. co_await on a call taking a capturing lambda,
//   3. co_await in both arms of the conditional operator.
// GCC 12 fails all three (a temporary destroyed twice, moved bitwise, both
// arms of ?: evaluated); a correct compiler prints nothing and exits 0.
// Standalone on purpose: no library headers, so it checks the compiler alone.
#include <coroutine>
#include <cstdio>
#include <exception>
#include <utility>

namespace {

int g_made = 0;    // objects constructed (any constructor)
int g_ended = 0;   // objects destroyed

int g_moved_bitwise = 0;  // objects found at an address they were not built at

// Points into itself, as std::string's small buffer does: a bitwise move
// (which the language never does to such a type) shows as self != this.
struct tracked {
  int value = 0;
  const tracked* self = this;
  explicit tracked(int v) : value(v) { ++g_made; }
  tracked(const tracked& o) : value(o.get()) { ++g_made; }
  tracked(tracked&& o) noexcept : value(o.get()) { ++g_made; }
  tracked& operator=(const tracked&) = delete;
  ~tracked() {
    if (self != this) ++g_moved_bitwise;
    ++g_ended;
    value = -1000;
  }
  int get() const {
    if (self != this) ++g_moved_bitwise;
    return value;
  }
};

// A coroutine that starts at once and keeps its frame until its owner goes.
template <class T>
struct task {
  struct promise_type {
    T result{};
    std::coroutine_handle<> waiter;
    task get_return_object() { return task{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct resume_waiter {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
          if (auto w = h.promise().waiter) return w;
          return std::noop_coroutine();
        }
        void await_resume() noexcept {}
      };
      return resume_waiter{};
    }
    void return_value(T v) { result = std::move(v); }
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
  explicit task(std::coroutine_handle<promise_type> c) : h(c) {}
  task(task&& o) noexcept : h(std::exchange(o.h, {})) {}
  ~task() { if (h) h.destroy(); }
  bool await_ready() { return h.done(); }
  void await_suspend(std::coroutine_handle<> w) { h.promise().waiter = w; }
  T await_resume() { return std::move(h.promise().result); }
};

// Suspends until resumed by hand, as a call waits for its reply.
std::coroutine_handle<> g_parked;
struct park {
  bool await_ready() { return false; }
  void await_suspend(std::coroutine_handle<> h) { g_parked = h; }
  void await_resume() {}
};
void resume_parked() {
  while (g_parked) std::exchange(g_parked, {}).resume();
}

task<int> ask(tracked request) {  // a prvalue argument, as call(ref, request{...})
  co_await park{};
  co_return request.get() + 1;
}

template <class F>
task<int> run(F f) {  // a capturing lambda, as pool.transaction(f)
  co_await park{};
  co_return f();
}

// An awaiter that holds its request, as the awaitable otp::call returns.
struct holding {
  tracked request;
  bool await_ready() { return false; }
  void await_suspend(std::coroutine_handle<> h) { g_parked = h; }
  int await_resume() { return request.get() + 1; }
};
holding hold(tracked r) { return holding{std::move(r)}; }

struct say {  // an aggregate request, as echo::say{"text"}
  tracked text;
};
// An awaiter returning an object, as a call returning std::string.
struct holding_say {
  say request;
  bool await_ready() { return false; }
  void await_suspend(std::coroutine_handle<> h) { g_parked = h; }
  tracked await_resume() { return tracked{request.text.get() + 1}; }
};
template <class R>
holding_say call(int /*server*/, R r) { return holding_say{std::move(r)}; }

task<int> call_with_a_temporary() {
  const int a = co_await ask(tracked{41});
  const int b = co_await hold(tracked{41});
  tracked c = co_await call(0, say{tracked{41}});
  co_return a == b && b == c.get() ? a : -2;
}
task<int> call_with_a_capturing_lambda() {
  co_return co_await run([t = tracked{41}] { return t.get() + 1; });
}
task<int> conditional_awaits(bool cond) {
  co_return cond ? co_await ask(tracked{41}) : co_await ask(tracked{0});
}

// Runs one pattern; true when it gave 42 and destroyed each object it made once.
template <class Make>
bool check(const char* name, Make make) {
  g_made = g_ended = g_moved_bitwise = 0;
  int result = -1;
  {
    task<int> t = make();
    resume_parked();
    if (t.h.done()) result = t.h.promise().result;
  }
  const bool ok = result == 42 && g_made == g_ended && g_moved_bitwise == 0;
  if (!ok)
    std::printf("%s: result %d (want 42), objects constructed %d, destroyed %d, moved bitwise %d\n",
                name, result, g_made, g_ended, g_moved_bitwise);
  return ok;
}

}  // namespace

int main() {
  bool ok = check("co_await on a call with a temporary argument", call_with_a_temporary);
  ok = check("co_await on a call with a capturing lambda", call_with_a_capturing_lambda) && ok;
  ok = check("co_await in both arms of ?:", [] { return conditional_awaits(true); }) && ok;
  return ok ? 0 : 1;
}

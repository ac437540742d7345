// A gen_server walk-through: typed calls and casts, an info message, a
// callback timeout, handle_continue, a deferred reply, and a crash seen by
// the caller. Run: build/default/examples/gen_server_counter
#include <chrono>
#include <cstdio>
#include <optional>
#include <otp/otp.hpp>
#include <stdexcept>

using namespace std::chrono_literals;

// [counter]
struct counter {
  // Requests are types; a call's reply type is declared with `reply`.
  struct get {
    using reply = int;
  };
  struct add {  // no reply: used with cast
    int by;
  };
  struct wait_for {  // replied to later, when the count reaches `target`
    using reply = int;
    int target;
  };
  struct boom {
    using reply = int;
  };
  struct warmed_up {};  // the continue value

  int n;
  bool warm = false;
  std::optional<otp::from<int>> waiter;
  int wait_target = 0;

  explicit counter(int start) : n(start) {}  // init/1, part one

  otp::server_result init() {  // init/1, part two: {ok, State, {continue, warmed_up}}
    return otp::noreply().then_continue(warmed_up{});
  }
  void handle_continue(warmed_up) { warm = true; }  // runs before any message

  int handle_call(get) { return n; }  // {reply, N, State}
  int handle_call(boom) { throw std::runtime_error("asked to crash"); }
  otp::call_result<int> handle_call(wait_for w, otp::from<int> from) {
    if (n >= w.target) return n;
    waiter = from;  // {noreply, State}: otp::reply later
    wait_target = w.target;
    return otp::noreply();
  }

  otp::server_result handle_cast(add a) {
    n += a.by;
    if (waiter && n >= wait_target) {
      otp::reply(*waiter, n);
      waiter.reset();
    }
    return otp::noreply().with_timeout(50ms);  // handle_info(timeout_msg) if idle for 50 ms
  }

  void handle_info(const otp::timeout_msg&) { std::printf("  idle for 50 ms at n=%d\n", n); }
};
// [end]

// [client]
otp::proc client(otp::server_ref<counter> c, otp::pid report_to) {
  // A deferred call: the server answers once the count reaches 20.
  auto pending = otp::send_request(c, counter::wait_for{20});
  otp::cast(c, counter::add{10});
  otp::cast(c, counter::add{5});
  auto got = co_await otp::receive_response(pending, 1000ms);
  std::printf("  wait_for(20) answered %d\n", got.value.value_or(-1));
  co_await otp::receive(otp::after(80ms));  // let the server's 50 ms timeout fire
  // A crash on the server is an exit in the caller, which it may catch.
  try {
    (void)co_await otp::call(c, counter::boom{});
  } catch (const otp::exit_error& e) {
    std::printf("  call(boom) exited the caller with %s\n", e.reason().to_string().c_str());
  }
  otp::send(report_to, 0);
}
// [end]

int main() {
  otp::node node({.on_report = [](const otp::report& r) {
    std::printf("  report: %s\n", r.headline.c_str());
  }});
  otp::mailbox me(node);
  otp::trap_exit(true);  // the server is linked to us and will crash

  // [start]
  auto s = otp::gen_server::start_link<counter>(5).get();  // returns after init
  if (!s) return 1;
  otp::cast(s.ref(), counter::add{1});
  int n = otp::call(s.ref(), counter::get{}).get();  // 6
  // [end]
  std::printf("counter started at 5, after add(1): %d\n", n);

  node.spawn(client, s.ref(), me.self());
  (void)me.receive<int>();
  auto down = me.receive<otp::exit_msg>();  // the server's EXIT: it crashed on boom
  std::printf("server exited: %s\n", down.reason.to_string().c_str());
  return n == 6 && down.reason.is(otp::exit_reason::kind::exception) ? 0 : 1;
}

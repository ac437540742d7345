// The non-template part of every gen_server loop (server_base) and the
// system messages it answers for sys. Not part of the API; see
// otp/behaviours/gen_server.hpp and otp/behaviours/sys.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

#include "otp/behaviours/proc_lib.hpp"
#include "otp/behaviours/server_name.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/runtime/any_message.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/telemetry.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp::detail {

class server_base;

/// System operations every behaviour loop answers (see otp/behaviours/sys.hpp).
enum class sys_op : std::uint8_t {
  run,        // run `fn` on the loop (get_state, replace_state, statistics, ...)
  suspend,    // handle only system messages until resume
  resume,     // back to normal
  terminate,  // stop with `reason` (gen_server:stop)
};

struct system_msg {
  pid caller;
  ref tag;
  sys_op op = sys_op::run;
  exit_reason reason;
  /// Runs in the server; answers the caller itself (send_alias to tag).
  std::function<void(server_base&, pid caller, ref tag)> fn;
};

/// The non-template part of a gen_server loop: bookkeeping shared with sys.
class server_base {
 public:
  server_base() = default;
  server_base(const server_base&) = delete;
  server_base& operator=(const server_base&) = delete;
  virtual ~server_base() = default;
  // On the heap, so that it outlives the frames a hibernation destroys; from
  // the runtime's pools, as the frames are.
  static void* operator new(std::size_t n) { return block_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { block_free(p, n); }

  /// The callback object, type-erased (sys).
  virtual void* state_ptr() noexcept = 0;
  virtual const std::type_info& state_type() const noexcept = 0;
  /// The state as format_status prints it, or its type name.
  virtual std::string format_state() = 0;
  /// Calls code_change(old_vsn) on the state when it has one; false if not.
  virtual bool code_change(const std::string& old_vsn) = 0;

  behaviour_info info;
  std::uint64_t handled = 0;  ///< messages handled (calls, casts, infos)
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
  bool suspended = false;
  bool in_init = true;  ///< init is running: `ignore` is valid
  bool ignored = false;
  /// init returned init_error(R): start_link returns {error, R}, exit normal.
  std::optional<exit_reason> init_error;
  const std::type_info* last_type = nullptr;  ///< type of the message being handled

  // --- outcome of the latest callback (engine use) ---
  std::optional<task<void>> pending;  // a coroutine callback still to await
  /// Moves the pending coroutine callback out, for the loop to await.
  task<void> take_pending() noexcept {
    task<void> t = std::move(*pending);
    pending.reset();
    return t;
  }
  bool stopping = false;
  exit_reason stop_reason;
  std::optional<timeout> next_timeout;
  std::optional<any_message> next_continue;
  /// Hibernate before the next receive: the latest callback returned
  /// hibernate(), or hibernate_after passed. Kept, as a timeout is, across
  /// system messages and refused calls.
  bool hibernate_next = false;
  /// The start option hibernate_after (infinity: never).
  timeout hibernate_after = timeout(infinity);
  /// The start option telemetry_calls: a span around each handle_call.
  bool telemetry_calls = false;

  /// Runs one handle_call, `run(ctx)`, in an otp.gen_server.call span:
  /// start (with the server's pid and name and `request`, a name that
  /// outlives the span), then stop, or exception when run throws; a
  /// coroutine callback left pending ends the span when it ends. Not a
  /// template, so that a server type pays no code for the option it may
  /// not use.
  void traced_call(std::string_view request, void (*run)(void*), void* ctx);

  /// Applies a noreply/stop result. `ignore` is only valid from init.
  void apply(server_result r);
  /// Handles a system message (runs in the loop).
  void on_system(system_msg& m);
  /// Logs a message nobody handles (the default handle_info).
  void unexpected(const any_message& m);
  /// Answers a call meant for another server type (`m` is a call_msg of
  /// another family): the caller's call exits with {bad_call,Request,Server};
  /// this server logs an error report and goes on.
  void refuse_call(const any_message& m);
  /// The crash report for `reason`, if it is abnormal.
  void report_crash(const exit_reason& reason);
};

/// What the state shows as when format_status threw (call it in the catch
/// block): `{format_status_crashed,Type,"what"}`.
std::string format_status_crashed();
/// How a state without format_status is shown: `#` and its type's name.
std::string format_opaque_state(const std::type_info& type);

}  // namespace otp::detail

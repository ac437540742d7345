// otp::circuit_breaker: stops calling a failing dependency for a while, then
// lets one probe through to see whether it has recovered.
//
//   otp::circuit_breaker gateway({.name = "payment_gateway", .max_failures = 5,
//                                 .window = 10s, .reset_timeout = 30s});
//   auto p = gateway.ask();
//   if (!p) return reject(p.retry_after());   // circuit_open: fail fast
//   if (charge(order)) p.success(); else p.failure();
//
// - closed: ask() gives a permit; the max_failures-th failure within
//   `window` moves it to open.
// - open: ask() refuses (circuit_open, with the time left); once
//   reset_timeout has passed it moves to half_open.
// - half_open: ask() gives one permit (the probe) and refuses the others;
//   the probe's success moves it to closed, its failure back to open.
//
// A permit is the right to make one call; its holder reports the outcome with
// success() or failure(). A permit dropped without either counts as a
// failure (the caller threw or its process died mid-call), so a lost probe
// cannot leave the breaker half open for ever. Successes in the closed state
// do not erase earlier failures: only failures older than `window` drop out.
//
// Every state change is handed to `on_state_change` as a circuit_event
// (name, from, to, time, failures in the window), ready for telemetry; it runs
// on the thread that caused the change, after the breaker's lock is released.
//
// The model is Erlang's fuse library (a fuse that blows after a number of
// melts within a window, and heals after a reset time), with the half_open
// probe of the classic circuit-breaker pattern instead of fuse's plain heal.
// Like rate_limiter it is a shared object rather than a process: asking costs
// a lock, not a call.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/services/table.hpp"

namespace otp {

/// closed (calls pass), open (calls are refused), half_open (one probe passes).
enum class circuit_state : unsigned char { closed, open, half_open };

/// `closed`, `open` or `half_open`.
std::string_view to_string(circuit_state s) noexcept;

/// One state change of a circuit breaker.
struct circuit_event {
  std::string name;
  circuit_state from = circuit_state::closed;
  circuit_state to = circuit_state::closed;
  /// When it happened, on the breaker's clock (milliseconds).
  std::chrono::milliseconds at{0};
  /// Failures within the window when it happened.
  std::size_t failures = 0;
};

/// What a breaker keeps in its store: its state, the times of the failures
/// in its window and when it opened (on its clock).
struct circuit_record {
  circuit_state state = circuit_state::closed;
  std::vector<std::chrono::milliseconds> failures;
  std::chrono::milliseconds opened_at{0};
};

/// How a circuit breaker trips and recovers.
struct circuit_breaker_options {
  /// Shown in events and errors.
  std::string name = "circuit";
  /// The failure that opens the circuit: the max_failures-th within `window`. >= 1.
  std::size_t max_failures = 5;
  /// How long a failure counts. > 0 ms.
  std::chrono::milliseconds window{10'000};
  /// How long the circuit stays open before it lets a probe through. > 0 ms.
  std::chrono::milliseconds reset_timeout{30'000};
  /// Called on every state change (may be empty).
  std::function<void(const circuit_event&)> on_state_change;
  /// The clock, in milliseconds (tests pass one they advance by hand); empty
  /// for std::chrono::steady_clock.
  std::function<std::chrono::milliseconds()> now;
  /// Where the state is kept across restarts (none: in this object only).
  /// The breaker reads its record, by name, when made, and writes it on
  /// every change: a server restarted with a breaker of the same name finds
  /// its circuit as the crashed one left it (an open circuit stays open). A
  /// probe in flight when the old breaker went is forgotten: the new one
  /// lets another through. One live breaker per name and table.
  std::optional<table<std::string, circuit_record>> store;
};

class circuit_breaker;
namespace detail {
struct circuit_breaker_state;
}

/// The right to make one call through a circuit breaker, or its refusal.
///
/// Move-only. Report the call's outcome once with success() or failure(); a
/// granted permit destroyed without either reports failure(). A permit
/// shares its breaker's state, so it may outlive the circuit_breaker object
/// (a process killed while its owner is restarted); its report is then
/// ignored, and no on_state_change runs for it.
/// @threadsafe One owner at a time (it may move between threads).
class [[nodiscard]] circuit_permit {
 public:
  circuit_permit() = default;
  circuit_permit(circuit_permit&& o) noexcept;
  circuit_permit& operator=(circuit_permit&& o) noexcept;
  circuit_permit(const circuit_permit&) = delete;
  circuit_permit& operator=(const circuit_permit&) = delete;
  ~circuit_permit();

  /// True when the call may be made; false for `circuit_open`.
  bool granted() const noexcept { return owner_ != nullptr; }
  explicit operator bool() const noexcept { return granted(); }
  /// For a refusal: how long until the breaker will let a probe through
  /// (0 when it is half open with its probe out).
  std::chrono::milliseconds retry_after() const noexcept { return retry_after_; }
  /// Reports that the call succeeded. No effect on a refusal or after a report.
  void success();
  /// Reports that the call failed. No effect on a refusal or after a report.
  void failure();

 private:
  friend class circuit_breaker;
  circuit_permit(std::shared_ptr<detail::circuit_breaker_state> owner, bool probe,
                 std::chrono::milliseconds retry_after)
      : owner_(std::move(owner)), probe_(probe), retry_after_(retry_after) {}
  void report(bool ok);

  std::shared_ptr<detail::circuit_breaker_state> owner_;
  bool probe_ = false;
  std::chrono::milliseconds retry_after_{0};
};

/// The error call() throws when the circuit is open.
/// @mirrors `{error, circuit_open}` / fuse's `blown`
class circuit_open_error : public std::runtime_error {
 public:
  circuit_open_error(const std::string& name, std::chrono::milliseconds retry_after);
  std::chrono::milliseconds retry_after() const noexcept { return retry_after_; }

 private:
  std::chrono::milliseconds retry_after_;
};

/// A circuit breaker. Its permits may outlive it (see circuit_permit).
///
/// @threadsafe Every member, from any thread or process.
class circuit_breaker {
 public:
  /// @throws otp::badarg for max_failures < 1, or window / reset_timeout <= 0.
  explicit circuit_breaker(circuit_breaker_options o);
  ~circuit_breaker();
  circuit_breaker(const circuit_breaker&) = delete;
  circuit_breaker& operator=(const circuit_breaker&) = delete;

  /// Asks to make one call: a granted permit (closed, or the probe when half
  /// open), or a refusal with retry_after (open, or half open with the probe
  /// out). An open circuit whose reset_timeout has passed turns half open here.
  /// @mirrors fuse:ask/2 (ok | blown)
  circuit_permit ask();

  /// Runs `f()` under a permit: a normal return is a success, an exception
  /// a failure (and propagates).
  /// @returns what f returns.
  /// @throws circuit_open_error when refused (f does not run); whatever f throws.
  template <class F>
  std::invoke_result_t<F&> call(F f) {
    circuit_permit p = ask();
    if (!p) throw circuit_open_error(name(), p.retry_after());
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      f();  // an exception leaves p unreported: failure
      p.success();
    } else {
      auto r = f();
      p.success();
      return r;
    }
  }

  /// Records a failure outside a permit (for example a late error report).
  /// @mirrors fuse:melt/1
  void melt();

  /// The state now (an open circuit past its reset_timeout reads half_open).
  circuit_state state() const;

  /// Failures within the window now.
  std::size_t failures() const;

  /// Closes the circuit and forgets every failure.
  /// @mirrors fuse:reset/1
  void reset();

  const std::string& name() const noexcept;

 private:
  std::shared_ptr<detail::circuit_breaker_state> s_;
};

}  // namespace otp

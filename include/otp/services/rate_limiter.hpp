// otp::rate_limiter: a token bucket per key (rate and burst), checked from
// any thread or process without a message round trip.
//
//   otp::rate_limiter limits({.rate_per_second = 50, .burst = 100});
//   auto d = limits.check(client_ip);      // one token
//   if (!d) reply_429(d.retry_after);      // rate_limited: try again in d.retry_after
//
// | member                     | what it does                                           |
// |----------------------------|--------------------------------------------------------|
// | check(key, cost)           | take `cost` tokens from key's bucket, or say how long to wait |
// | peek(key)                  | the tokens key has now, taking none                    |
// | reset(key)                 | key's bucket back to full                              |
// | sweep()                    | forget the buckets that are full again (bounded memory) |
// | size()                     | how many keys have a bucket                            |
//
// Each key's bucket holds at most `burst` tokens and refills continuously at
// `rate_per_second`; a key seen for the first time starts full. The buckets
// are split over independently locked stripes, so checks of different keys
// rarely contend. Given a table, the buckets live there instead: they then
// outlive the limiter object and the process holding it, so a restarted
// server keeps every client's limit. A bucket that has refilled to `burst` is the same as no
// bucket, so sweep() drops those; call it now and then (the order system's
// rate_limiter process does it on a timer).
//
// There is no Erlang/OTP module for this; it plays the part of libraries
// such as Hammer or ExRated (check_rate returning {deny, RetryAfter}), but as
// a shared object rather than a process: a check is a lock and a few
// arithmetic operations, not a call.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "otp/services/table.hpp"

namespace otp {

/// One key's bucket: its tokens when last touched, and when (on the
/// limiter's clock). What a limiter keeps in a table.
struct rate_bucket {
  double tokens = 0;
  std::chrono::milliseconds at{0};
};

/// How a rate_limiter refills.
struct rate_limit {
  /// Tokens added per second; > 0.
  double rate_per_second = 10;
  /// Most tokens a bucket holds (a new key starts with this many); >= 1.
  double burst = 10;
};

/// The outcome of rate_limiter::check: allowed, or rate_limited with the time
/// after which the same check would be allowed.
struct [[nodiscard]] rate_decision {
  /// True when the tokens were taken.
  bool allowed = false;
  /// For a refused check: how long until the bucket holds enough tokens
  /// (rounded up to whole milliseconds, at least 1 ms). Zero when allowed.
  std::chrono::milliseconds retry_after{0};
  /// Tokens left in the bucket after the check.
  double remaining = 0;

  explicit operator bool() const noexcept { return allowed; }
  /// `ok` or `{rate_limited, RetryAfterMs}`.
  std::string to_string() const;
};

/// Token buckets keyed by string.
///
/// @threadsafe Every member, from any thread or process.
class rate_limiter {
 public:
  /// The clock the buckets refill by: any monotonic source of milliseconds.
  using clock_fn = std::function<std::chrono::milliseconds()>;

  /// A limiter refilling by std::chrono::steady_clock.
  /// @throws otp::badarg for rate_per_second <= 0 or burst < 1 (or not finite).
  explicit rate_limiter(rate_limit limit);
  /// A limiter refilling by `now` (for tests: a clock they advance by hand).
  /// @throws otp::badarg as above, or for an empty `now`.
  rate_limiter(rate_limit limit, clock_fn now);
  /// A limiter keeping its buckets in `buckets`, which the callers of check
  /// must be allowed to write (a public table, say, owned by a process that
  /// does nothing else): the buckets outlive this object. `now` as above;
  /// empty: std::chrono::steady_clock.
  /// @throws otp::badarg as above; table_error deleted for a deleted table.
  rate_limiter(rate_limit limit, table<std::string, rate_bucket> buckets, clock_fn now = {});
  ~rate_limiter();
  rate_limiter(const rate_limiter&) = delete;
  rate_limiter& operator=(const rate_limiter&) = delete;

  /// Takes `cost` tokens from `key`'s bucket when it holds that many.
  /// @param key any string (client address, customer id, ...).
  /// @param cost tokens to take; > 0 and <= burst.
  /// @returns allowed with the tokens left, or rate_limited with retry_after.
  /// @throws otp::badarg for cost <= 0 or cost > burst (it could never pass).
  rate_decision check(std::string_view key, double cost = 1);

  /// The tokens `key` holds now (burst for an unknown key); takes none.
  double peek(std::string_view key) const;

  /// Fills `key`'s bucket again (forgets it).
  void reset(std::string_view key);

  /// Forgets every bucket that has refilled to burst. Returns how many it dropped.
  std::size_t sweep();

  /// How many keys have a bucket (a key not yet swept after refilling counts).
  std::size_t size() const;

  /// The limit it was made with.
  const rate_limit& limit() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace otp

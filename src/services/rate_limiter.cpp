// rate_limiter: token buckets in lock stripes.
//
// Invariants:
//  1. A key lives in stripe hash(key) % kStripes; only that stripe's mutex
//     guards its bucket.
//  2. A bucket stores the tokens it held at `at` (the clock's milliseconds);
//     the tokens now are min(burst, tokens + (now - at) * rate). Refill is
//     computed on access, never by a timer.
//  3. An absent bucket means a full one, so dropping a full bucket (sweep,
//     reset) changes no outcome.
#include "otp/services/rate_limiter.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "otp/runtime/errors.hpp"
#include "otp/runtime/telemetry.hpp"

namespace otp {

namespace {

constexpr std::size_t kStripes = 16;

using bucket = rate_bucket;

/// Transparent hashing, so lookups by string_view build no string.
struct key_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view k) const noexcept {
    return std::hash<std::string_view>{}(k);
  }
};

struct stripe {
  mutable std::mutex mu;
  std::unordered_map<std::string, bucket, key_hash, std::equal_to<>> buckets;
};

void check_limit(const rate_limit& l) {
  if (!std::isfinite(l.rate_per_second) || l.rate_per_second <= 0)
    throw badarg("rate_limiter: rate_per_second must be > 0, got " +
                 std::to_string(l.rate_per_second));
  if (!std::isfinite(l.burst) || l.burst < 1)
    throw badarg("rate_limiter: burst must be >= 1, got " + std::to_string(l.burst));
}

}  // namespace

std::string rate_decision::to_string() const {
  if (allowed) return "ok";
  return "{rate_limited," + std::to_string(retry_after.count()) + "}";
}

struct rate_limiter::state {
  rate_limit limit;
  clock_fn now;
  std::array<stripe, kStripes> stripes;
  std::optional<table<std::string, rate_bucket>> tab;  // the buckets, when given one

  stripe& stripe_of(std::string_view key) { return stripes[key_hash{}(key) % kStripes]; }
  const stripe& stripe_of(std::string_view key) const {
    return stripes[key_hash{}(key) % kStripes];
  }

  /// The tokens of `b` at `t` (invariant 2).
  double tokens_at(const bucket& b, std::chrono::milliseconds t) const {
    const double elapsed_s =
        static_cast<double>(std::max<std::int64_t>(0, (t - b.at).count())) / 1000.0;
    return std::min(limit.burst, b.tokens + elapsed_s * limit.rate_per_second);
  }

  /// Takes `cost` tokens from `b` at time `t` if it holds them.
  rate_decision take(bucket& b, std::chrono::milliseconds t, double cost) const {
    b.tokens = tokens_at(b, t);
    b.at = std::max(b.at, t);
    rate_decision d;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      d.allowed = true;
    } else {
      const double wait_ms = (cost - b.tokens) / limit.rate_per_second * 1000.0;
      d.retry_after = std::chrono::milliseconds(
          std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_ms))));
    }
    d.remaining = b.tokens;
    return d;
  }
};

namespace {
std::chrono::milliseconds steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}
}  // namespace

rate_limiter::rate_limiter(rate_limit limit) : rate_limiter(limit, steady_ms) {}

rate_limiter::rate_limiter(rate_limit limit, clock_fn now) : s_(std::make_unique<state>()) {
  check_limit(limit);
  if (!now) throw badarg("rate_limiter: empty clock");
  s_->limit = limit;
  s_->now = std::move(now);
}

rate_limiter::rate_limiter(rate_limit limit, table<std::string, rate_bucket> buckets, clock_fn now)
    : rate_limiter(limit, now ? std::move(now) : clock_fn(steady_ms)) {
  if (!buckets.info())
    throw table_error(table_error::kind::deleted, "rate_limiter: the buckets' table was deleted");
  s_->tab = std::move(buckets);
}

rate_limiter::~rate_limiter() = default;

rate_decision rate_limiter::check(std::string_view key, double cost) {
  if (!std::isfinite(cost) || cost <= 0 || cost > s_->limit.burst)
    throw badarg("rate_limiter::check: cost must be > 0 and <= burst (" +
                 std::to_string(s_->limit.burst) + "), got " + std::to_string(cost));
  const auto t = s_->now();
  rate_decision d;
  if (s_->tab) {
    d = s_->tab->update(
        std::string(key), [&](bucket& b) { return s_->take(b, t, cost); },
        bucket{s_->limit.burst, t});
  } else {
    stripe& st = s_->stripe_of(key);
    std::lock_guard lock(st.mu);
    auto it = st.buckets.find(key);
    if (it == st.buckets.end())
      it = st.buckets.emplace(std::string(key), bucket{s_->limit.burst, t}).first;
    d = s_->take(it->second, t, cost);
  }
  if (!d.allowed)
    telemetry::execute({"otp", "rate_limiter", "rejected"},
                       {{"cost", cost}, {"retry_after_ms", d.retry_after.count()}}, {{"key", key}});
  return d;
}

double rate_limiter::peek(std::string_view key) const {
  const auto t = s_->now();
  if (s_->tab) {
    const auto b = s_->tab->lookup(std::string(key));
    return b ? s_->tokens_at(*b, t) : s_->limit.burst;
  }
  const stripe& st = s_->stripe_of(key);
  std::lock_guard lock(st.mu);
  auto it = st.buckets.find(key);
  return it == st.buckets.end() ? s_->limit.burst : s_->tokens_at(it->second, t);
}

void rate_limiter::reset(std::string_view key) {
  if (s_->tab) return s_->tab->erase(std::string(key));
  stripe& st = s_->stripe_of(key);
  std::lock_guard lock(st.mu);
  if (auto it = st.buckets.find(key); it != st.buckets.end()) st.buckets.erase(it);
}

std::size_t rate_limiter::sweep() {
  const auto t = s_->now();
  if (s_->tab)
    return s_->tab->select_delete([&](const std::string&, const bucket& b) {
      return s_->tokens_at(b, t) >= s_->limit.burst;
    });
  std::size_t dropped = 0;
  for (stripe& st : s_->stripes) {
    std::lock_guard lock(st.mu);
    dropped += std::erase_if(
        st.buckets, [&](const auto& kv) { return s_->tokens_at(kv.second, t) >= s_->limit.burst; });
  }
  return dropped;
}

std::size_t rate_limiter::size() const {
  if (s_->tab) return s_->tab->info().value_or(table_info{}).size;
  std::size_t n = 0;
  for (const stripe& st : s_->stripes) {
    std::lock_guard lock(st.mu);
    n += st.buckets.size();
  }
  return n;
}

const rate_limit& rate_limiter::limit() const noexcept { return s_->limit; }

}  // namespace otp

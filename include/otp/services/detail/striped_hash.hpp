// The objects of a set, bag or duplicate_bag table: hash_store stripes, each
// under its own lock, chosen by the top bits of the key's hash, so the whole
// table is in hash order (stripe by stripe) and a traversal can go on from
// any key. One stripe without write_concurrency, 32 with it (an operation
// on many keys may hold every stripe's lock at once; ThreadSanitizer checks
// at most 64 locks held by a thread).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "otp/runtime/detail/store_lock.hpp"
#include "otp/services/detail/hash_store.hpp"

namespace otp::detail {

template <class K, class V>
class striped_hash {
 public:
  using object = std::pair<K, V>;
  using store = hash_store<K, V>;

  striped_hash(bool write_concurrency, bool read_concurrency) : bits_(write_concurrency ? 5 : 0) {
    stripes_ = std::make_unique<stripe[]>(std::size_t{1} << bits_);
    for (std::size_t i = 0; i < count(); ++i) {
      stripes_[i].mu = std::make_unique<store_lock>(read_concurrency);
      stripes_[i].s = std::make_unique<store>(bits_);
    }
  }

  static std::uint64_t hash(const K& k) { return store::hash(k); }

  /// Calls `f(store&, hash)` on the stripe of `k`, under its lock (for
  /// writing or reading).
  template <class F>
  decltype(auto) with_key(const K& k, bool write, F&& f) {
    const std::uint64_t h = hash(k);
    stripe& st = stripes_[index(h)];
    store_guard lock(*st.mu, write);
    return f(*st.s, h);
  }
  template <class F>
  decltype(auto) with_key(const K& k, bool write, F&& f) const {
    return const_cast<striped_hash*>(this)->with_key(k, write, std::forward<F>(f));
  }

  /// Runs `f()` with every stripe whose index is in `idx` (sorted, unique)
  /// locked for writing: the many-object operations' isolation.
  template <class F>
  decltype(auto) with_stripes(const std::vector<std::size_t>& idx, F&& f) {
    std::vector<std::unique_lock<store_lock>> locks;
    locks.reserve(idx.size());
    for (std::size_t i : idx) locks.emplace_back(*stripes_[i].mu);
    return f();
  }
  store& stripe_of(std::uint64_t h) noexcept { return *stripes_[index(h)].s; }
  store& stripe_at(std::size_t i) noexcept { return *stripes_[i].s; }
  std::size_t index(std::uint64_t h) const noexcept {
    return bits_ == 0 ? 0 : static_cast<std::size_t>(h >> (64 - bits_));
  }

  /// Appends to `out` the objects after key `after` (from the first when
  /// null) in table order, whole keys at a time, stopping once it holds
  /// `max` or more; returns true when the table's end was reached. Each
  /// stripe is read under its lock: a key present for the whole traversal
  /// is returned exactly once.
  bool chunk_after(const K* after, std::size_t max, std::vector<object>& out) const {
    std::size_t si = 0;
    std::uint64_t h = 0;
    if (after != nullptr) {
      h = hash(*after);
      si = index(h);
    }
    for (; si < count(); ++si) {
      const stripe& st = stripes_[si];
      store_guard lock(*st.mu, false);
      const store& s = *st.s;
      std::size_t i = after != nullptr ? s.after_key(h, *after) : s.occupied_from(0);
      after = nullptr;
      for (; i != store::npos; i = s.occupied_from(i + 1)) {
        if (out.size() >= max && !same_key_as_last(s, i, out)) return false;
        out.push_back(s.at(i));
      }
    }
    return true;
  }

  /// Calls `f(store&)` on each stripe in order, under its write lock.
  template <class F>
  void each_stripe_locked(F&& f) {
    for (std::size_t i = 0; i < count(); ++i) {
      store_guard lock(*stripes_[i].mu, true);
      f(*stripes_[i].s);
    }
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count(); ++i) {
      store_guard lock(*stripes_[i].mu, false);
      n += stripes_[i].s->size();
    }
    return n;
  }
  std::size_t bytes() const {
    std::size_t n = sizeof(*this) + count() * sizeof(stripe);
    for (std::size_t i = 0; i < count(); ++i) {
      store_guard lock(*stripes_[i].mu, false);
      n += sizeof(store) + stripes_[i].s->bytes();
    }
    return n;
  }
  std::size_t count() const noexcept { return std::size_t{1} << bits_; }

 private:
  struct alignas(64) stripe {
    std::unique_ptr<store_lock> mu;
    std::unique_ptr<store> s;
  };
  static bool same_key_as_last(const store& s, std::size_t i, const std::vector<object>& out) {
    return !out.empty() && out.back().first == s.at(i).first;
  }

  unsigned bits_;
  std::unique_ptr<stripe[]> stripes_;
};

}  // namespace otp::detail

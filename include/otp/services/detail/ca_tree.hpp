// An ordered_set's objects: a contention-adapting tree.
//
// The keys are cut into ranges, each a base (a B-tree under its own lock),
// found through a route: the sorted keys where one base ends and the next
// begins. A table starts with one base. With write_concurrency, a base
// counts how often a writer found its lock taken (try_lock first): +250
// when it had to wait, -1 when it did not, as ETS's CA tree does; past
// 1000 the base is split at its median key into two, so writers that meet
// there go on in different bases. Without write_concurrency nothing splits.
//
// Departures from ETS's tree, for simplicity: at most kMaxBases bases (a
// many-object operation holds every base's lock, and ThreadSanitizer stops a
// thread holding 64), and bases never join again. A route, once published,
// never changes: a split makes a new one, and the old ones (at most
// kMaxBases) stay until the tree goes, so a thread still reading one is safe.
// A thread that locks a base a split replaced sees it marked split and looks
// again in the newest route.
#pragma once

#include <absl/container/btree_map.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "otp/runtime/detail/store_lock.hpp"
#include "otp/services/detail/counting_allocator.hpp"

namespace otp::detail {

/// `Lock`: a base's lock (store_lock; tests give one whose try_lock fails).
template <class K, class V, class Lock = store_lock>
class ca_tree {
 public:
  using map_type = absl::btree_map<K, V, std::less<K>, counting_allocator<std::pair<const K, V>>>;
  static constexpr std::size_t kMaxBases = 32;

  ca_tree(bool write_concurrency, bool read_concurrency)
      : adaptive_(write_concurrency), read_concurrency_(read_concurrency) {
    auto r = std::make_unique<route>();
    r->bases.push_back(std::make_shared<base>(read_concurrency_));
    route_.store(r.get(), std::memory_order_release);
    routes_.push_back(std::move(r));
  }
  ca_tree(const ca_tree&) = delete;
  ca_tree& operator=(const ca_tree&) = delete;

  /// Calls `f(map&)` on the base that holds key `k`, under its lock (for
  /// writing or reading). A write may split the base afterwards.
  template <class F>
  decltype(auto) with_key(const K& k, bool write, F&& f) {
    for (;;) {
      const route* r = route_.load(std::memory_order_acquire);
      base& b = *r->bases[r->index_of(k)];
      locked l(*this, b, write);
      if (b.split) continue;
      return f(b.map);
    }
  }
  template <class F>
  decltype(auto) with_key(const K& k, bool write, F&& f) const {
    return const_cast<ca_tree*>(this)->with_key(k, write, std::forward<F>(f));
  }

  /// Every base's map, in key order, while with_all holds them.
  struct all_maps {
    std::vector<map_type*> maps;
    const std::vector<K>* splits;
    /// The map that holds key `k`.
    map_type& of(const K& k) const {
      return *maps[static_cast<std::size_t>(std::upper_bound(splits->begin(), splits->end(), k) -
                                            splits->begin())];
    }
  };
  /// Calls `f(const all_maps&)` with every base locked (for writing or
  /// reading) and no split under way.
  template <class F>
  decltype(auto) with_all(bool write, F&& f) const {
    std::lock_guard routes(split_mu_);
    const route* r = route_.load(std::memory_order_acquire);
    std::vector<std::unique_ptr<store_guard<Lock>>> locks;
    all_maps all{{}, &r->splits};
    for (const auto& b : r->bases) {
      locks.push_back(std::make_unique<store_guard<Lock>>(b->mu, write));
      all.maps.push_back(&b->map);
    }
    return f(all);
  }

  /// Appends to `out` the objects after key `after` (from the first when
  /// null), in key order and below `hi` when given, stopping before the
  /// object that would make more than `max`; true when the range's end was
  /// reached. Each base is read under its lock, moving only forward in key
  /// order: a key present for the whole traversal is returned exactly once.
  bool chunk(const K* after, std::size_t max, std::vector<std::pair<K, V>>& out,
             const K* hi) const {
    std::optional<K> from;  // inclusive bound once past the first base
    for (;;) {
      const route* r = route_.load(std::memory_order_acquire);
      const std::size_t i =
          from ? r->index_of(*from) : (after != nullptr ? r->index_of(*after) : 0);
      base& b = *r->bases[i];
      store_guard lock(b.mu, false);
      if (b.split) continue;
      auto it = from ? b.map.lower_bound(*from)
                     : (after != nullptr ? b.map.upper_bound(*after) : b.map.begin());
      for (; it != b.map.end(); ++it) {
        if (hi != nullptr && !(it->first < *hi)) return true;
        if (out.size() >= max) return false;
        out.emplace_back(it->first, it->second);
      }
      if (i + 1 == r->bases.size()) return true;
      from = r->splits[i];
    }
  }

  /// The greatest key below `k` (the last key when null), or nullopt.
  std::optional<K> key_below(const K* k) const {
    std::optional<K> bound;
    if (k != nullptr) bound = *k;
    for (;;) {
      const route* r = route_.load(std::memory_order_acquire);
      const std::size_t i = bound ? r->index_below(*bound) : r->bases.size() - 1;
      base& b = *r->bases[i];
      store_guard lock(b.mu, false);
      if (b.split) continue;
      auto it = bound ? b.map.lower_bound(*bound) : b.map.end();
      if (it != b.map.begin()) return std::prev(it)->first;
      if (i == 0) return std::nullopt;
      bound = r->splits[i - 1];
    }
  }

  std::size_t size() const {
    return with_all(false, [](const all_maps& all) {
      std::size_t n = 0;
      for (const auto* m : all.maps) n += m->size();
      return n;
    });
  }
  /// Bytes of the bases' B-tree nodes and of the route.
  std::size_t bytes() const {
    std::lock_guard routes(split_mu_);
    const route* r = route_.load(std::memory_order_acquire);
    std::size_t n = sizeof(route) + r->splits.size() * sizeof(K);
    for (const auto& b : r->bases) {
      store_guard lock(b->mu, false);
      n += sizeof(base) + b->bytes;
    }
    return n;
  }
  /// Bases in the newest route (1 until a split).
  std::size_t base_count() const { return route_.load(std::memory_order_acquire)->bases.size(); }

 private:
  struct base {
    explicit base(bool read_concurrency) : mu(read_concurrency) {}
    Lock mu;
    std::size_t bytes = 0;  // the map's nodes, counted by its allocator
    map_type map{counting_allocator<std::pair<const K, V>>(&bytes)};
    bool split = false;  // replaced by two bases: look again (under mu)
    int contention = 0;  // under mu, for writers
  };
  struct route {
    std::vector<K> splits;  // bases[i] holds the keys in [splits[i-1], splits[i])
    std::vector<std::shared_ptr<base>> bases;
    std::size_t index_of(const K& k) const {
      return static_cast<std::size_t>(std::upper_bound(splits.begin(), splits.end(), k) -
                                      splits.begin());
    }
    /// The base holding the greatest keys below `k`.
    std::size_t index_below(const K& k) const {
      return static_cast<std::size_t>(std::lower_bound(splits.begin(), splits.end(), k) -
                                      splits.begin());
    }
  };

  /// Holds a base's lock; for a writer of an adaptive tree, counts whether
  /// it had to wait and splits the base when it was contended too often.
  class locked {
   public:
    locked(ca_tree& t, base& b, bool write) : t_(t), b_(b), write_(write) {
      if (!write_) {
        b_.mu.lock_shared();
      } else if (!t_.adaptive_) {
        b_.mu.lock();
      } else if (b_.mu.try_lock()) {
        b_.contention -= kUncontended;
      } else {
        b_.mu.lock();
        b_.contention += kContended;
      }
    }
    locked(const locked&) = delete;
    locked& operator=(const locked&) = delete;
    ~locked() {
      if (!write_) {
        b_.mu.unlock_shared();
        return;
      }
      if (t_.adaptive_ && !b_.split && b_.contention > kSplitAt) t_.try_split(b_);
      b_.mu.unlock();
    }

   private:
    ca_tree& t_;
    base& b_;
    bool write_;
  };

  static constexpr int kContended = 250;
  static constexpr int kUncontended = 1;
  static constexpr int kSplitAt = 1000;

  /// Splits `b` (write-locked, in the newest route) at its median key.
  /// Gives up quietly when another thread holds the routes (with_all, or a
  /// split: taking it here in order would deadlock) or the tree is full.
  void try_split(base& b) noexcept {
    b.contention = 0;
    std::unique_lock routes(split_mu_, std::try_to_lock);
    const route* r = route_.load(std::memory_order_acquire);
    if (!routes.owns_lock() || r->bases.size() >= kMaxBases || b.map.size() < 2) return;
    const auto at =
        static_cast<std::size_t>(std::find_if(r->bases.begin(), r->bases.end(),
                                              [&](const auto& p) { return p.get() == &b; }) -
                                 r->bases.begin());
    if (at == r->bases.size()) return;  // not in the newest route: cannot be (it is not split)
    try {
      auto next = std::make_unique<route>(*r);
      auto low = std::make_shared<base>(read_concurrency_);
      auto high = std::make_shared<base>(read_concurrency_);
      auto mid = std::next(b.map.begin(), static_cast<std::ptrdiff_t>(b.map.size() / 2));
      for (auto it = b.map.begin(); it != mid; ++it) low->map.emplace_hint(low->map.end(), *it);
      for (auto it = mid; it != b.map.end(); ++it) high->map.emplace_hint(high->map.end(), *it);
      next->splits.insert(next->splits.begin() + static_cast<std::ptrdiff_t>(at), mid->first);
      next->bases[at] = std::move(low);
      next->bases.insert(next->bases.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                         std::move(high));
      route_.store(next.get(), std::memory_order_release);
      routes_.push_back(std::move(next));
    } catch (...) {
      return;  // out of memory: the base stays whole
    }
    b.split = true;
    b.map.clear();
  }

  const bool adaptive_;
  const bool read_concurrency_;
  std::atomic<const route*> route_{nullptr};
  mutable std::mutex split_mu_;                 // taken to publish a route, or to hold them all
  std::vector<std::unique_ptr<route>> routes_;  // every route made, under split_mu_
};

}  // namespace otp::detail

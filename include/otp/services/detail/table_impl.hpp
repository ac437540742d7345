// The objects of a table<K, V, Type> and the operations on them, each under
// the lock of the stripe (hash kinds) or of the tree (ordered_set) it
// touches. The checks of access rights are the handle's (table.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "otp/runtime/detail/store_lock.hpp"
#include "otp/services/detail/ca_tree.hpp"
#include "otp/services/detail/striped_hash.hpp"
#include "otp/services/detail/table_core.hpp"

namespace otp::detail {

template <class K, class V, table_type Type>
class table_impl final : public table_core,
                         public std::enable_shared_from_this<table_impl<K, V, Type>> {
 public:
  using object = std::pair<K, V>;
  using map_type = typename ca_tree<K, V>::map_type;
  static constexpr bool ordered = Type == table_type::ordered_set;
  static constexpr bool is_bag = Type == table_type::bag || Type == table_type::duplicate_bag;

  explicit table_impl(const table_options& o)
      : table_core(Type, o),
        hash_(o.write_concurrency, o.read_concurrency),
        tree_(o.write_concurrency, o.read_concurrency) {}

  // --- one key ---

  void insert(K k, V v) {
    if constexpr (ordered) {
      tree_.with_key(k, true, [&](map_type& m) { m.insert_or_assign(std::move(k), std::move(v)); });
    } else {
      hash_.with_key(k, true, [&](hash_store<K, V>& s, std::uint64_t h) {
        put(s, h, object(std::move(k), std::move(v)));
      });
    }
  }
  /// Calls f(V*) (null when absent) under the key's write lock.
  template <class F>
  decltype(auto) modify(const K& k, F&& f) {
    if constexpr (ordered) {
      return tree_.with_key(k, true, [&](map_type& m) -> decltype(auto) {
        auto it = m.find(k);
        return f(it == m.end() ? nullptr : &it->second,
                 [&](V v) { return &m.emplace(k, std::move(v)).first->second; });
      });
    } else {
      return hash_.with_key(k, true, [&](hash_store<K, V>& s, std::uint64_t h) -> decltype(auto) {
        std::size_t i = s.find(h, k);
        return f(i == hash_store<K, V>::npos ? nullptr : &s.at(i).second, [&](V v) {
          s.insert_after_key(h, object(k, std::move(v)));
          return &s.at(s.find(h, k)).second;
        });
      });
    }
  }
  /// Calls f(v) for each object of key `k`, under its read lock.
  template <class F>
  void read(const K& k, F&& f) const {
    if constexpr (ordered) {
      tree_.with_key(k, false, [&](const map_type& m) {
        auto it = m.find(k);
        if (it != m.end()) f(it->second);
      });
    } else {
      hash_.with_key(k, false, [&](const hash_store<K, V>& s, std::uint64_t h) {
        for (std::size_t i = s.find(h, k); i != hash_store<K, V>::npos; i = s.next_same(i))
          f(s.at(i).second);
      });
    }
  }
  /// Removes the objects of `k` for which keep(v) is false; returns them.
  template <class F>
  std::vector<V> remove_if(const K& k, F&& drop) {
    std::vector<V> out;
    if constexpr (ordered) {
      tree_.with_key(k, true, [&](map_type& m) {
        auto it = m.find(k);
        if (it != m.end() && drop(it->second)) {
          out.push_back(std::move(it->second));
          m.erase(it);
        }
      });
    } else {
      hash_.with_key(k, true, [&](hash_store<K, V>& s, std::uint64_t h) {
        std::size_t i = s.find(h, k);
        while (i != hash_store<K, V>::npos) {
          if (!drop(s.at(i).second)) {
            i = s.next_same(i);
            continue;
          }
          out.push_back(std::move(s.at(i).second));
          s.erase_at(i);  // the next object of the key, if any, moves into slot i
          i = s.holds(i, k) ? i : hash_store<K, V>::npos;
        }
      });
    }
    return out;
  }

  // --- many objects, atomic and isolated ---

  /// Inserts all of `objs`; with `only_new`, none when any key is present.
  bool insert_many(std::vector<object> objs, bool only_new) {
    if constexpr (ordered) {
      return tree_.with_all(true, [&](const typename ca_tree<K, V>::all_maps& all) {
        if (only_new)
          for (const auto& o : objs)
            if (all.of(o.first).contains(o.first)) return false;
        for (auto& o : objs)
          all.of(o.first).insert_or_assign(std::move(o.first), std::move(o.second));
        return true;
      });
    } else {
      std::vector<std::uint64_t> hashes;
      std::vector<std::size_t> idx;
      for (const auto& o : objs) {
        hashes.push_back(striped_hash<K, V>::hash(o.first));
        idx.push_back(hash_.index(hashes.back()));
      }
      std::sort(idx.begin(), idx.end());
      idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
      return hash_.with_stripes(idx, [&] {
        if (only_new)
          for (std::size_t j = 0; j < objs.size(); ++j)
            if (hash_.stripe_of(hashes[j]).find(hashes[j], objs[j].first) != hash_store<K, V>::npos)
              return false;
        for (std::size_t j = 0; j < objs.size(); ++j)
          put(hash_.stripe_of(hashes[j]), hashes[j], std::move(objs[j]));
        return true;
      });
    }
    return true;
  }

  // --- traversal ---

  /// Appends the objects after `after` (from the first when null), up to
  /// `max` (whole keys) and below `hi` (ordered_set, when given); true at
  /// the end.
  bool chunk(const K* after, std::size_t max, std::vector<object>& out,
             const K* hi = nullptr) const {
    if constexpr (ordered) {
      return tree_.chunk(after, max, out, hi);
    } else {
      return hash_.chunk_after(after, max, out);
    }
  }
  /// The first object at or after `lo` (ordered_set's range start).
  std::optional<K> key_before_range(const K& lo) const requires ordered {
    return tree_.key_below(&lo);
  }
  /// The key before `k` (ordered_set), or the last key when k is null.
  std::optional<K> key_before(const K* k) const requires ordered { return tree_.key_below(k); }
  /// Removes every object for which drop(k, v); returns how many.
  template <class F>
  std::size_t remove_all_if(F&& drop) {
    std::size_t n = 0;
    if constexpr (ordered) {
      n = tree_.with_all(true, [&](const typename ca_tree<K, V>::all_maps& all) {
        std::size_t erased = 0;
        for (auto* m : all.maps)
          erased += absl::erase_if(*m, [&](const auto& kv) { return drop(kv.first, kv.second); });
        return erased;
      });
    } else {
      hash_.each_stripe_locked([&](hash_store<K, V>& s) {
        std::size_t i = s.occupied_from(0);
        while (i != hash_store<K, V>::npos) {
          if (drop(s.at(i).first, s.at(i).second)) {
            s.erase_at(i);
            ++n;
            i = s.occupied_from(i);
          } else {
            i = s.occupied_from(i + 1);
          }
        }
      });
    }
    return n;
  }
  /// Empties the table in one isolated step (every lock held at once).
  void clear() {
    if constexpr (ordered) {
      tree_.with_all(true, [](const typename ca_tree<K, V>::all_maps& all) {
        for (auto* m : all.maps) m->clear();
      });
    } else {
      std::vector<std::size_t> all(hash_.count());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
      hash_.with_stripes(all, [&] {
        for (std::size_t i = 0; i < all.size(); ++i) hash_.stripe_at(i).clear();
      });
    }
  }

  // --- table_core ---

  /// Stripe by stripe: the table is already marked deleted, so nobody can
  /// see a half-emptied table.
  void drop_objects() noexcept override {
    if constexpr (ordered) {
      clear();
    } else {
      hash_.each_stripe_locked([](hash_store<K, V>& s) { s.clear(); });
    }
  }
  void send_transfer(pid to, pid from, std::any data) override;  // table.hpp
  std::size_t object_count() const override {
    if constexpr (ordered) {
      return tree_.size();
    } else {
      return hash_.size();
    }
  }
  std::size_t memory_bytes() const override {
    if constexpr (ordered) {
      return sizeof(*this) + tree_.bytes();
    } else {
      return sizeof(*this) + hash_.bytes();
    }
  }

 private:
  /// Inserts `o` into stripe `s` by the table's kind.
  static void put(hash_store<K, V>& s, std::uint64_t h, object&& o) {
    std::size_t i = s.find(h, o.first);
    if constexpr (Type == table_type::set) {
      if (i != hash_store<K, V>::npos) {
        s.at(i).second = std::move(o.second);
        return;
      }
    } else if constexpr (Type == table_type::bag) {
      for (; i != hash_store<K, V>::npos; i = s.next_same(i))
        if (s.at(i).second == o.second) return;
    }
    s.insert_after_key(h, std::move(o));
  }

  mutable striped_hash<K, V> hash_;
  mutable ca_tree<K, V> tree_;
};

}  // namespace otp::detail

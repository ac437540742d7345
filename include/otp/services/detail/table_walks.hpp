// The walking half of otp::table (table.hpp): first/next/prev/last, select
// and its pages, select_count, foldl and tab2list. A base of table<K, V,
// Type> that reaches the objects through the derived handle.
//
// Every walk is safe while others write, without safe_fixtable: a key
// present for the whole walk is seen exactly once. Objects are copied a few
// hundred at a time under their stripe's lock and the caller's function runs
// with no lock held (it may write to the table).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "otp/services/table_error.hpp"
#include "otp/services/table_options.hpp"
#include "otp/services/table_select.hpp"

namespace otp::detail {

template <class Table, class K, class V, table_type Type>
class table_walks {
 public:
  using object = std::pair<K, V>;
  using predicate = std::function<bool(const K&, const V&)>;

  /// The first key (in key order for ordered_set, in the table's hash
  /// order otherwise), nullopt when empty.
  /// @mirrors ets:first/1
  std::optional<K> first() const { return key_after(nullptr, "table::first"); }
  /// The key after `k`, whether or not `k` is still present; nullopt at the
  /// end (ETS raises badarg for a missing key of an unfixed set).
  /// @mirrors ets:next/2
  std::optional<K> next(const K& k) const { return key_after(&k, "table::next"); }
  /// The last key (ordered_set); first() for the other kinds, as in ETS.
  /// @mirrors ets:last/1
  std::optional<K> last() const {
    if constexpr (Type == table_type::ordered_set) {
      self().core().check_read("table::last");
      return self().t_->key_before(nullptr);
    } else {
      return first();
    }
  }
  /// The key before `k` (ordered_set); next(k) for the other kinds, as in ETS.
  /// @mirrors ets:prev/2
  std::optional<K> prev(const K& k) const {
    if constexpr (Type == table_type::ordered_set) {
      self().core().check_read("table::prev");
      return self().t_->key_before(&k);
    } else {
      return next(k);
    }
  }

  /// Every object for which `pred(key, value)`, in table order.
  /// @mirrors ets:select/2
  std::vector<object> select(const predicate& pred) const {
    std::vector<object> out;
    walk("table::select", nullptr, nullptr, [&](const object& o) {
      if (pred(o.first, o.second)) out.push_back(o);
      return true;
    });
    return out;
  }
  /// Up to `limit` matching objects (more when a bag's last key has
  /// several) and a continuation for the rest.
  /// @throws table_error bad_limit for a limit of 0 (ETS: badarg).
  /// @mirrors ets:select/3
  select_page<K, V> select(const predicate& pred, std::size_t limit) const {
    check_limit(limit);
    return select(select_continuation<K, V>{pred, limit, std::nullopt, std::nullopt});
  }
  /// The objects with lo <= key < hi matching `pred`, up to `limit`
  /// (ordered_set): only that range of the tree is visited.
  /// @mirrors ets:select/3 with the key bound in the match specification
  select_page<K, V> select_range(K lo, K hi, const predicate& pred, std::size_t limit) const
      requires(Type == table_type::ordered_set) {
    self().core().check_read("table::select_range");
    check_limit(limit);
    return select(
        select_continuation<K, V>{pred, limit, self().t_->key_before_range(lo), std::move(hi)});
  }
  /// The next page of a select.
  /// @mirrors ets:select/1
  select_page<K, V> select(const select_continuation<K, V>& c) const {
    check_limit(c.limit);
    select_page<K, V> page;
    std::optional<K> last;
    const bool done = walk("table::select", c.after ? &*c.after : nullptr, c.hi ? &*c.hi : nullptr,
                           [&](const object& o) {
                             if (page.objects.size() >= c.limit && !(last && *last == o.first))
                               return false;
                             last = o.first;
                             if (c.pred(o.first, o.second)) page.objects.push_back(o);
                             return true;
                           });
    if (!done) page.rest = select_continuation<K, V>{c.pred, c.limit, last, c.hi};
    return page;
  }
  /// How many objects match `pred`.
  /// @mirrors ets:select_count/2
  std::size_t select_count(const predicate& pred) const {
    std::size_t n = 0;
    walk("table::select_count", nullptr, nullptr, [&](const object& o) {
      n += pred(o.first, o.second) ? 1 : 0;
      return true;
    });
    return n;
  }
  /// fn(acc, key, value) over every object, in table order.
  /// @mirrors ets:foldl/3
  template <class Acc, class F>
  Acc foldl(F&& fn, Acc acc) const {
    walk("table::foldl", nullptr, nullptr, [&](const object& o) {
      acc = fn(std::move(acc), o.first, o.second);
      return true;
    });
    return acc;
  }
  /// Every object, in table order.
  /// @mirrors ets:tab2list/1
  std::vector<object> tab2list() const {
    return select([](const K&, const V&) { return true; });
  }

 private:
  const Table& self() const { return static_cast<const Table&>(*this); }
  static void check_limit(std::size_t limit) {
    if (limit == 0)
      throw table_error(table_error::kind::bad_limit, "table::select: the limit must be > 0");
  }

  std::optional<K> key_after(const K* k, const char* op) const {
    self().core().check_read(op);
    std::vector<object> one;
    self().t_->chunk(k, 1, one);
    if (one.empty()) return std::nullopt;
    return one.front().first;
  }
  /// Calls f(object) in table order after `after`, below `hi`, chunk by
  /// chunk (no lock held while f runs); stops when f returns false.
  /// Returns true when the end was reached.
  template <class F>
  bool walk(const char* op, const K* after, const K* hi, F&& f) const {
    self().core().check_read(op);
    std::vector<object> chunk;
    std::optional<K> from = after ? std::optional<K>(*after) : std::nullopt;
    for (;;) {
      chunk.clear();
      const bool end = self().t_->chunk(from ? &*from : nullptr, 256, chunk, hi);
      for (const object& o : chunk)
        if (!f(o)) return false;
      if (end || chunk.empty()) return true;
      from = chunk.back().first;
    }
  }
};

}  // namespace otp::detail

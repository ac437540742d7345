// otp::table: ETS for C++. A typed table of (key, value) objects owned by
// a process, shared with others by its access rights, given to its heir or
// deleted when the owner exits. docs/guide/tables.md has the guide and the
// ets-to-otp name table.
//
// | ets                          | otp::table<K, V, Type>                 |
// |------------------------------|----------------------------------------|
// | new/2                        | create(options)                        |
// | whereis/1 (named_table)      | named(name)                            |
// | insert/2, insert_new/2       | insert, insert_new (one or a vector)   |
// | lookup/2, member/2, take/2   | lookup, member, take                   |
// | delete/2, delete_object/2    | erase(key), erase_object(key, value)   |
// | update_counter/3,4           | update_counter                         |
// | update_element/3             | update_element                         |
// | first/next/prev/last         | first, next, prev, last                |
// | select/2,3,1, select_count/2 | select, select_count (a predicate)     |
// | select_delete/2              | select_delete                          |
// | foldl/3, tab2list/1          | foldl, tab2list                        |
// | delete_all_objects/1         | delete_all_objects                     |
// | delete/1                     | erase_table                            |
// | give_away/3, setopts heir    | give_away, set_heir                    |
// | info/1                       | info                                   |
#pragma once

#include <any>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/runtime/process.hpp"
#include "otp/services/detail/table_impl.hpp"
#include "otp/services/ets_transfer.hpp"
#include "otp/services/table_error.hpp"
#include "otp/services/table_options.hpp"
#include "otp/services/table_select.hpp"

namespace otp {

/// The change update_counter makes: add `incr`; then, with a threshold, a
/// result past it (above for incr >= 0, below for incr < 0) becomes
/// `set_value`.
/// @mirrors ets:update_counter's {Pos, Incr} and {Pos, Incr, Threshold, SetValue}
struct counter_op {
  long long incr = 1;
  std::optional<long long> threshold{};
  long long set_value = 0;
};

/// A handle on a table (ets:tid()): cheap to copy, usable from any process
/// or thread the access rights allow. Each operation on one key is atomic
/// and isolated; insert and insert_new of a vector are too, as a whole.
/// Reads return copies: nothing a reader holds changes under it.
/// Every operation throws table_error `deleted` once the table is deleted
/// and `access` when the caller may not read (private) or write (protected,
/// private: only the owner writes).
/// @tparam K the key: hashed with std::hash and compared with == (set, bag,
///   duplicate_bag), ordered with < (ordered_set).
/// @tparam V the value, copyable; bag needs V == V.
/// @threadsafe From any thread.
/// @mirrors an ets table
template <class K, class V, table_type Type = table_type::set>
class table {
  using impl = detail::table_impl<K, V, Type>;
  static constexpr bool one_per_key = !impl::is_bag;

 public:
  using key_type = K;
  using value_type = V;
  using object = std::pair<K, V>;
  /// What lookup and take return: the value, or every value of the key.
  using values = std::conditional_t<one_per_key, std::optional<V>, std::vector<V>>;
  using predicate = std::function<bool(const K&, const V&)>;

  /// A null handle; every operation on it throws table_error `deleted`.
  table() = default;

  /// Makes a table owned by the calling process.
  /// @throws table_error not_a_process (outside a process or mailbox thread),
  ///   name_taken, bad_heir.
  /// @mirrors ets:new/2
  static table create(table_options o = {}) {
    auto t = std::make_shared<impl>(o);
    detail::register_table(t, o);
    return table(std::move(t));
  }
  /// The live table named `name`.
  /// @throws table_error no_such_table, or type_mismatch when that table's
  ///   K, V or Type differ from this one's.
  /// @mirrors using a named_table's name as its id
  static table named(std::string_view name) {
    auto core = detail::find_named_table(name);
    if (!core)
      throw table_error(table_error::kind::no_such_table,
                        "table::named: no table is named '" + std::string(name) + "'");
    auto t = std::dynamic_pointer_cast<impl>(core);
    if (!t)
      throw table_error(
          table_error::kind::type_mismatch,
          "table::named: table '" + std::string(name) + "' has other key, value or table types");
    return table(std::move(t));
  }

  // --- writes ---

  /// Inserts (set, ordered_set: replaces the key's object; bag: adds it
  /// unless an equal one is there; duplicate_bag: adds it).
  /// @mirrors ets:insert/2
  void insert(K k, V v) {
    core().check_write("table::insert");
    t_->insert(std::move(k), std::move(v));
  }
  /// Inserts all of `objs` in one atomic, isolated step.
  /// @mirrors ets:insert/2 with a list
  void insert(std::vector<object> objs) {
    core().check_write("table::insert");
    t_->insert_many(std::move(objs), false);
  }
  /// Inserts when no object has key `k`; false (nothing changed) otherwise.
  /// @mirrors ets:insert_new/2
  bool insert_new(K k, V v) {
    std::vector<object> one;
    one.emplace_back(std::move(k), std::move(v));
    return insert_new(std::move(one));
  }
  /// Inserts all of `objs` when none of their keys is present, else none.
  /// @mirrors ets:insert_new/2 with a list
  bool insert_new(std::vector<object> objs) {
    core().check_write("table::insert_new");
    return t_->insert_many(std::move(objs), true);
  }
  /// Removes every object of key `k`.
  /// @mirrors ets:delete/2
  void erase(const K& k) {
    core().check_write("table::erase");
    t_->remove_if(k, [](const V&) { return true; });
  }
  /// Removes the object (k, v) (every copy of it in a duplicate_bag).
  /// @mirrors ets:delete_object/2
  void erase_object(const K& k, const V& v) {
    core().check_write("table::erase_object");
    t_->remove_if(k, [&](const V& x) { return x == v; });
  }
  /// Removes and returns the objects of key `k`.
  /// @mirrors ets:take/2
  values take(const K& k) {
    core().check_write("table::take");
    return to_values(t_->remove_if(k, [](const V&) { return true; }));
  }

  /// Adds to the counter of key `k` (V itself, or the member `field` of V)
  /// and returns its new value. With `default_value`, a missing key is
  /// first inserted with it; without, a missing key throws table_error
  /// no_key. Overflow of the counter's type throws table_error overflow.
  /// @mirrors ets:update_counter/3,4 (set and ordered_set only)
  V update_counter(const K& k, counter_op op,
                   std::optional<V> default_value = std::nullopt) requires one_per_key
      && std::integral<V> {
    return update_counter_at<V>(k, op, std::move(default_value), [](V& v) -> V& { return v; });
  }
  /// update_counter(k, {incr}).
  V update_counter(const K& k, long long incr) requires one_per_key && std::integral<V> {
    return update_counter(k, counter_op{incr, std::nullopt, 0});
  }
  template <class C, class U = V>
  C update_counter(const K& k, C U::*field, counter_op op,
                   std::optional<V> default_value = std::nullopt) requires one_per_key
      && std::same_as<U, V> && std::integral<C> {
    return update_counter_at<C>(k, op, std::move(default_value),
                                [field](V& v) -> C& { return v.*field; });
  }
  /// Sets the member `field` of key `k`'s value; false when `k` is absent.
  /// @mirrors ets:update_element/3 (set and ordered_set only)
  template <class F, class U = V>
  bool update_element(const K& k, F U::*field, F value) requires one_per_key && std::same_as<U, V> {
    core().check_write("table::update_element");
    return t_->modify(k, [&](V* v, auto&&) {
      if (v == nullptr) return false;
      (*v).*field = std::move(value);
      return true;
    });
  }
  /// Removes every object.
  /// @mirrors ets:delete_all_objects/1
  void delete_all_objects() {
    core().check_write("table::delete_all_objects");
    t_->clear();
  }

  // --- reads ---

  /// The value (set kinds) or values (bag kinds) of key `k`.
  /// @mirrors ets:lookup/2
  values lookup(const K& k) const {
    core().check_read("table::lookup");
    values out;
    t_->read(k, [&](const V& v) {
      if constexpr (one_per_key)
        out = v;
      else
        out.push_back(v);
    });
    return out;
  }
  /// True when an object has key `k`.
  /// @mirrors ets:member/2
  bool member(const K& k) const {
    core().check_read("table::member");
    bool found = false;
    t_->read(k, [&](const V&) { found = true; });
    return found;
  }
  /// The first key (in key order for ordered_set, in the table's hash
  /// order otherwise), nullopt when empty.
  /// @mirrors ets:first/1
  std::optional<K> first() const { return key_after(nullptr, "table::first"); }
  /// The key after `k`, whether or not `k` is still present; nullopt at the
  /// end. Safe while others write: a key present for the whole walk is
  /// returned exactly once (no safe_fixtable needed).
  /// @mirrors ets:next/2
  std::optional<K> next(const K& k) const { return key_after(&k, "table::next"); }
  /// The last key (ordered_set); first() for the other kinds, as in ETS.
  /// @mirrors ets:last/1
  std::optional<K> last() const {
    if constexpr (Type == table_type::ordered_set) {
      core().check_read("table::last");
      return t_->key_before(nullptr);
    } else {
      return first();
    }
  }
  /// The key before `k` (ordered_set); next(k) for the other kinds, as in ETS.
  /// @mirrors ets:prev/2
  std::optional<K> prev(const K& k) const {
    if constexpr (Type == table_type::ordered_set) {
      core().check_read("table::prev");
      return t_->key_before(&k);
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
  /// Up to `limit` matching objects and a continuation for the rest.
  /// @mirrors ets:select/3
  select_page<K, V> select(const predicate& pred, std::size_t limit) const {
    return select(select_continuation<K, V>{pred, limit, std::nullopt, std::nullopt});
  }
  /// The objects with lo <= key < hi matching `pred`, up to `limit`
  /// (ordered_set): only that range of the tree is visited.
  /// @mirrors ets:select/3 with a bound key range in the match head
  select_page<K, V> select_range(K lo, K hi, const predicate& pred, std::size_t limit) const
      requires(Type == table_type::ordered_set) {
    core().check_read("table::select_range");
    return select(select_continuation<K, V>{pred, limit, t_->key_before_range(lo), std::move(hi)});
  }
  /// The next page of a select.
  /// @mirrors ets:select/1
  select_page<K, V> select(const select_continuation<K, V>& c) const {
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
  /// Removes the objects matching `pred` and returns how many, stripe by
  /// stripe under its lock: `pred` must not use this table.
  /// @mirrors ets:select_delete/2
  std::size_t select_delete(const predicate& pred) {
    core().check_write("table::select_delete");
    return t_->remove_all_if(pred);
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

  // --- the table itself ---

  /// Deletes the table and its objects (a write: the owner, or anyone for
  /// a public table). Every handle then throws `deleted`.
  /// @mirrors ets:delete/1
  void erase_table() { detail::delete_table(core()); }
  /// Makes `to` the owner; it receives ets_transfer<table>{*this, self(),
  /// data}. @throws table_error not_owner, bad_recipient (dead, remote, the
  /// owner itself). @mirrors ets:give_away/3
  void give_away(pid to, std::any data = {}) {
    detail::give_away_table(core(), to, std::move(data));
  }
  /// Sets the heir (null pid: none). @throws table_error not_owner, bad_heir.
  /// @mirrors ets:setopts(Tab, {heir, Pid, HeirData})
  void set_heir(pid heir, std::any data = {}) {
    detail::set_table_heir(core(), heir, std::move(data));
  }
  /// Size, memory, owner, heir...; nullopt once deleted.
  /// @mirrors ets:info/1
  std::optional<table_info> info() const { return t_ ? detail::table_info_of(*t_) : std::nullopt; }
  pid owner() const { return core().owner(); }

  friend bool operator==(const table& a, const table& b) noexcept { return a.t_ == b.t_; }

 private:
  friend impl;
  explicit table(std::shared_ptr<impl> t) : t_(std::move(t)) {}

  const detail::table_core& core() const {
    if (!t_) throw table_error(table_error::kind::deleted, "table: a null table handle");
    return *t_;
  }
  detail::table_core& core() {
    if (!t_) throw table_error(table_error::kind::deleted, "table: a null table handle");
    return *t_;
  }
  static values to_values(std::vector<V> vs) {
    if constexpr (one_per_key)
      return vs.empty() ? values() : values(std::move(vs.front()));
    else
      return vs;
  }
  std::optional<K> key_after(const K* k, const char* op) const {
    core().check_read(op);
    std::vector<object> one;
    t_->chunk(k, 1, one);
    if (one.empty()) return std::nullopt;
    return one.front().first;
  }
  /// Calls f(object) in table order after `after`, below `hi`, chunk by
  /// chunk (no lock held while f runs); stops when f returns false.
  /// Returns true when the end was reached.
  template <class F>
  bool walk(const char* op, const K* after, const K* hi, F&& f) const {
    core().check_read(op);
    std::vector<object> chunk;
    std::optional<K> from = after ? std::optional<K>(*after) : std::nullopt;
    for (;;) {
      chunk.clear();
      const bool end = t_->chunk(from ? &*from : nullptr, 256, chunk, hi);
      for (const object& o : chunk)
        if (!f(o)) return false;
      if (end || chunk.empty()) return true;
      from = chunk.back().first;
    }
  }
  template <class C, class Get>
  C update_counter_at(const K& k, counter_op op, std::optional<V> dflt, Get get) {
    core().check_write("table::update_counter");
    return t_->modify(k, [&](V* v, auto&& insert) -> C {
      if (v == nullptr && !dflt)
        throw table_error(table_error::kind::no_key,
                          "table::update_counter: no object has this key and no default was given");
      V* target = v != nullptr ? v : &*dflt;  // the default goes in only once updated
      C& c = get(*target);
      C next{};
      if (__builtin_add_overflow(c, op.incr, &next))
        throw table_error(table_error::kind::overflow,
                          "table::update_counter: the counter overflows");
      if (op.threshold &&
          ((op.incr >= 0 && next > *op.threshold) || (op.incr < 0 && next < *op.threshold)))
        next = static_cast<C>(op.set_value);
      c = next;
      if (v == nullptr) insert(std::move(*dflt));
      return next;
    });
  }

  std::shared_ptr<impl> t_;
};

template <class K, class V, table_type Type>
void detail::table_impl<K, V, Type>::send_transfer(pid to, pid from, std::any data) {
  detail::send_envelope(
      node(), to,
      detail::make_message<ets_transfer<table<K, V, Type>>>(ets_transfer<table<K, V, Type>>{
          table<K, V, Type>(this->shared_from_this()), from, std::move(data)}));
}

}  // namespace otp

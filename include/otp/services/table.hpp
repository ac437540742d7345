// otp::table: ETS for C++. A typed table of (key, value) objects owned by
// a process, shared with others by its access rights, given to its heir or
// deleted when the owner exits. docs/guide/tables.md has the guide and the
// table of ets functions with their members here.
#pragma once

#include <any>
#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/runtime/process.hpp"
#include "otp/services/counter_op.hpp"
#include "otp/services/detail/table_impl.hpp"
#include "otp/services/detail/table_walks.hpp"
#include "otp/services/ets_transfer.hpp"
#include "otp/services/table_error.hpp"
#include "otp/services/table_options.hpp"

namespace otp {

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
class table : public detail::table_walks<table<K, V, Type>, K, V, Type> {
  using impl = detail::table_impl<K, V, Type>;
  using walks = detail::table_walks<table<K, V, Type>, K, V, Type>;
  friend walks;
  static constexpr bool one_per_key = !impl::is_bag;

 public:
  using key_type = K;
  using value_type = V;
  using object = std::pair<K, V>;
  /// What lookup and take return: the value, or every value of the key.
  using values = std::conditional_t<one_per_key, std::optional<V>, std::vector<V>>;
  using predicate = typename detail::table_walks<table, K, V, Type>::predicate;

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
  /// Calls fn(V&) on a copy of key `k`'s value and stores the copy, under
  /// the key's lock (fn must not use any table): atomic and isolated, and
  /// when fn throws nothing changes. A missing key starts from
  /// `default_value`; without one it throws table_error no_key.
  /// @mirrors no ets function (ETS keeps no code in tables): what an Erlang
  ///   program does with a process serialising its read-modify-writes
  template <class F>
  decltype(auto) update(const K& k, F&& fn,
                        std::optional<V> default_value = std::nullopt) requires one_per_key
      && std::invocable<F&, V&> {
    core().check_write("table::update");
    return t_->modify(k, [&](V* v, auto&& insert) -> decltype(auto) {
      if (v == nullptr && !default_value)
        throw table_error(table_error::kind::no_key,
                          "table::update: no object has this key and no default was given");
      V next = v != nullptr ? *v : std::move(*default_value);
      if constexpr (std::is_void_v<std::invoke_result_t<F&, V&>>) {
        fn(next);
        store(v, insert, std::move(next));
      } else {
        auto r = fn(next);
        store(v, insert, std::move(next));
        return r;
      }
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
  /// Removes the objects matching `pred` and returns how many, stripe by
  /// stripe under its lock: `pred` must not use this table.
  /// @mirrors ets:select_delete/2
  std::size_t select_delete(const predicate& pred) {
    core().check_write("table::select_delete");
    return t_->remove_all_if(pred);
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
  template <class Insert>
  static void store(V* v, Insert& insert, V&& next) {
    if (v != nullptr)
      *v = std::move(next);
    else
      insert(std::move(next));
  }
  static values to_values(std::vector<V> vs) {
    if constexpr (one_per_key)
      return vs.empty() ? values() : values(std::move(vs.front()));
    else
      return vs;
  }
  template <class C, class Get>
  C update_counter_at(const K& k, counter_op op, std::optional<V> dflt, Get get) {
    core().check_write("table::update_counter");
    return t_->modify(k, [&](V* v, auto&& insert) -> C {
      if (v == nullptr && !dflt)
        throw table_error(table_error::kind::no_key,
                          "table::update_counter: no object has this key and no default was given");
      V* target = v != nullptr ? v : &*dflt;  // the default goes in only once updated
      const C next = get(*target) = apply_counter_op(get(*target), op);
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

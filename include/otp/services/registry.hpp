// otp::registry: Elixir's Registry. A local store of key -> (process, value)
// entries, sharded in partitions, whose entries vanish when their process
// dies. Reads go straight to the tables under a shared lock (no message to
// any process); each partition has an owner process that every registering
// process links to, and that removes a dead process's entries when its EXIT
// arrives. See docs/guide/registry.md.
//
//   otp::registry<std::string, int> reg(node, {.keys = otp::registry_keys::unique});
//   auto started = reg.start_link();        // from a process or an otp::mailbox thread
//   auto r = reg.register_key("job:7", 1);  // in the process to be found
//   auto entries = reg.lookup("job:7");     // {{that pid, 1}}, from any thread
//
// | member                    | mirrors                              |
// |---------------------------|--------------------------------------|
// | registry(node, options)   | the options of Registry.start_link/1 |
// | start_link()              | Registry.start_link/1                |
// | child_spec(id)            | Registry.child_spec/1                |
// | register_key(key, value)  | Registry.register/3                  |
// | unregister(key)           | Registry.unregister/2                |
// | unregister_match(key, p)  | Registry.unregister_match/4          |
// | update_value(key, fn)     | Registry.update_value/3              |
// | lookup(key)               | Registry.lookup/2                    |
// | match(key, pred)          | Registry.match/4                     |
// | dispatch(key, fn)         | Registry.dispatch/3                  |
// | keys(pid)                 | Registry.keys/2                      |
// | values(key, pid)          | Registry.values/3                    |
// | count()                   | Registry.count/1                     |
// | count_match(key, pred)    | Registry.count_match/4               |
// | via(key)                  | `{:via, Registry, {Registry, Key}}`  |
// | sync()                    | none: a barrier for tests            |
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "otp/behaviours/child_spec.hpp"
#include "otp/behaviours/server_name.hpp"
#include "otp/behaviours/start_result.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/task.hpp"
#include "otp/services/detail/registry_core.hpp"
#include "otp/services/register_result.hpp"

namespace otp {

/// Whether a key names at most one process or any number of them.
/// @mirrors the :keys option of Registry.start_link/1
enum class registry_keys : unsigned char { unique, duplicate };

/// The settings of a registry, fixed when it is made.
/// @mirrors the options of Registry.start_link/1
struct registry_options {
  registry_keys keys = registry_keys::unique;
  /// Shards, each with its own lock and owner process; at least 1. Unique
  /// registries shard by key, duplicate ones by registering process (so a
  /// duplicate lookup reads every partition). @mirrors :partitions
  std::size_t partitions = 1;
};

namespace detail {
/// `F` computes a new Value from the old one (registry::update_value).
template <class F, class V>
concept registry_updater = std::is_invocable_r_v<V, F&, const V&>;

/// How a key reads in a via name: its text, what `<<` prints, or `_`.
template <class K>
std::string registry_key_text(const K& k) {
  if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    return std::string(std::string_view(k));
  } else if constexpr (requires(std::ostream & os) { os << k; }) {
    std::ostringstream os;
    os << k;
    return os.str();
  } else {
    return "_";
  }
}
}  // namespace detail

/// A handle to one registry. Copies share it; it lives as long as a copy or
/// its running owner processes do. It belongs to one node and must not be
/// used after that node is destroyed.
///
/// Registration acts for the calling process (a process, or a thread with an
/// otp::mailbox); the first entry a process makes in a partition links it to
/// that partition's owner, and its last entry removed by unregister unlinks
/// it. Reads (lookup, match, dispatch) skip processes that have died but
/// whose EXIT the owner has not handled yet; counts, keys and values read
/// the tables as they are (see sync()).
///
/// Predicates given to match, count_match and unregister_match run under a
/// partition lock: they must not use this registry. The callbacks of
/// dispatch and update_value run with no lock held.
///
/// @tparam Key hashable (std::hash), equality comparable, copyable.
/// @tparam Value copyable; default constructible for register_key's default
///   value and for via names.
/// @threadsafe Every member, from any process or thread of the node
///   (registration needs a process or mailbox, see each member).
/// @mirrors Elixir's Registry
template <class Key = std::string, class Value = std::monostate>
class registry {
  static_assert(std::is_invocable_r_v<std::size_t, std::hash<Key>, const Key&>,
                "registry: Key needs a std::hash specialisation");
  static_assert(std::equality_comparable<Key>, "registry: Key needs ==");
  static_assert(std::copy_constructible<Key> && std::copy_constructible<Value>,
                "registry: Key and Value must be copyable");

 public:
  using key_type = Key;
  using value_type = Value;
  /// One entry: the registered process and its value.
  using entry = std::pair<pid, Value>;

  /// A registry of node `n`; nothing runs until start_link().
  /// @throws otp::badarg when `opts.partitions` is 0.
  explicit registry(node& n, registry_options opts = {})
      : s_(std::make_shared<state>(n.impl(), opts)) {}
  /// A registry of the calling process's (or mailbox thread's) node.
  /// @throws otp::badarg outside a process or mailbox thread, or when
  ///   `opts.partitions` is 0.
  explicit registry(registry_options opts)
      : s_(std::make_shared<state>(detail::require_node("registry"), opts)) {}

  /// Starts the registry: a root process linked to the caller (so a
  /// supervisor can own it) and one owner process per partition, linked to
  /// the root. The partitions open (empty) before it returns; nothing needs
  /// to be awaited. If the root or any owner exits, all of them exit with
  /// that reason and every entry is removed; registered processes, linked to
  /// the owners, then receive that exit signal as from any link. Once it has
  /// ended, start_link may be called again (a supervisor's restart).
  /// @returns `ok(root)`, or `already_started(root)` while the root lives.
  /// @throws otp::badarg outside a process or mailbox thread of the node;
  ///   otp::system_limit when the process table is full (nothing is left running).
  /// @mirrors Registry.start_link/1
  start_result start_link() const { return detail::registry_core::start_link(s_); }

  /// A child spec that runs start_link under a supervisor: permanent, of type
  /// supervisor (the root owns the partition processes), shutdown infinity.
  /// @param id the child's id in its parent.
  /// @mirrors the child spec Registry.child_spec/1 returns
  otp::child_spec child_spec(std::string id) const {
    otp::child_spec c;
    c.id = std::move(id);
    c.type = child_type::supervisor;
    c.shutdown = shutdown_spec(infinity);
    c.start = [self = *this]() -> task<start_result> { co_return self.start_link(); };
    return c;
  }

  /// Adds the entry (caller, value) under `key`. A duplicate registry takes
  /// any number of entries, also several from one process under one key.
  /// A unique key held by a live process (the caller included) is refused;
  /// one whose holder died, with its EXIT not handled yet, is taken over.
  /// @returns ok, or already_registered carrying the holder's pid.
  /// @throws otp::badarg outside a process or mailbox thread of the node,
  ///   or when the registry is not running.
  /// @exits noproc when the partition's owner has just died (the registry is
  ///   stopping) and the caller does not trap exits.
  /// @mirrors Registry.register/3
  register_result register_key(const Key& key, Value value = Value()) const;

  /// Removes the caller's entries under `key` (none: a no-op).
  /// @throws otp::badarg outside a process or mailbox thread of the node.
  /// @mirrors Registry.unregister/2
  void unregister(const Key& key) const {
    auto all = [](const Value&) { return true; };
    remove(key, s_->caller("registry::unregister"), all);
  }

  /// Removes the caller's entries under `key` whose value satisfies `pred`.
  /// @param pred `bool(const Value&)`, run under the partition's lock.
  /// @throws otp::badarg as unregister; what `pred` throws (nothing removed).
  /// @mirrors Registry.unregister_match/4
  template <std::predicate<const Value&> Pred>
  void unregister_match(const Key& key, Pred pred) const {
    remove(key, s_->caller("registry::unregister_match"), pred);
  }

  /// Replaces the value of the caller's entry under the unique `key` with
  /// `fn(old value)`; fn runs with no lock held.
  /// @returns {new value, old value}, or std::nullopt when the caller holds
  ///   no entry under `key`.
  /// @throws otp::badarg on a duplicate registry, or as unregister.
  /// @mirrors Registry.update_value/3
  template <detail::registry_updater<Value> F>
  std::optional<std::pair<Value, Value>> update_value(const Key& key, F fn) const;

  /// The entries under `key` of live processes, in no particular order.
  /// @mirrors Registry.lookup/2
  std::vector<entry> lookup(const Key& key) const {
    return match(key, [](const Value&) { return true; });
  }

  /// The entries under `key` of live processes whose value satisfies `pred`.
  /// @param pred `bool(const Value&)`, run under a partition's shared lock.
  /// @mirrors Registry.match/4 (a predicate in place of a match spec)
  template <std::predicate<const Value&> Pred>
  std::vector<entry> match(const Key& key, Pred pred) const {
    std::vector<entry> out;
    each_partition_of_key(key, [&](std::size_t i) { collect(i, key, pred, out); });
    return out;
  }

  /// Calls `fn(entries)` with the entries under `key` of live processes, once
  /// per partition that has some (so once for a unique registry) and never
  /// when there are none. fn runs with no lock held and may use the registry.
  /// @param fn `void(const std::vector<entry>&)`.
  /// @mirrors Registry.dispatch/3
  template <std::invocable<const std::vector<entry>&> F>
  void dispatch(const Key& key, F fn) const {
    auto all = [](const Value&) { return true; };
    each_partition_of_key(key, [&](std::size_t i) {
      std::vector<entry> found;
      collect(i, key, all, found);
      if (!found.empty()) fn(std::as_const(found));
    });
  }

  /// The keys `p` has entries under, once per entry, in no particular order.
  /// Empty once the registry has handled p's exit.
  /// @mirrors Registry.keys/2
  std::vector<Key> keys(pid p) const;

  /// The values of p's entries under `key` (at most one in a unique registry).
  /// @mirrors Registry.values/3
  std::vector<Value> values(const Key& key, pid p) const;

  /// Entries in the registry. Entries of a process that died stay counted
  /// until the registry has handled its exit.
  /// @mirrors Registry.count/1
  std::size_t count() const;

  /// Entries under `key` whose value satisfies `pred` (counted as count()).
  /// @param pred `bool(const Value&)`, run under a partition's shared lock.
  /// @mirrors Registry.count_match/4
  template <std::predicate<const Value&> Pred>
  std::size_t count_match(const Key& key, Pred pred) const;

  /// A via name for `key`, usable as a behaviour's server_name: registering
  /// it registers the calling process with a default Value, and it resolves
  /// to the live holder of `key` (null pid when none).
  /// @throws otp::badarg on a duplicate registry.
  /// @mirrors `{:via, Registry, {registry, key}}`
  via_name via(Key key) const requires std::default_initializable<Value>;

  /// Waits until every partition owner has handled what reached it before
  /// the call. After the DOWN of a monitor made while a process was alive,
  /// `co_await reg.sync()` (or `reg.sync().get()` on a mailbox thread)
  /// guarantees the process's entries are gone. (A DOWN `noproc`, from a
  /// monitor made once the process was dying, may come before the process
  /// has told its links, the owners.) Owners that die meanwhile are not
  /// waited for.
  /// @throws otp::badarg outside a process or mailbox thread of the node.
  /// @threadsafe Awaited by the process (or mailbox thread) that made it.
  task<void> sync() const { return detail::registry_core::sync(s_); }

  /// Whether keys are unique or duplicate (fixed at construction).
  registry_keys kind() const noexcept {
    return s_->unique ? registry_keys::unique : registry_keys::duplicate;
  }
  /// The number of partitions (fixed at construction).
  std::size_t partitions() const noexcept { return s_->partitions(); }

 private:
  using key_table = std::unordered_multimap<Key, entry>;
  /// One partition's tables, guarded by its registry_partition::mu.
  struct tables {
    key_table by_key;
    std::unordered_multimap<pid, Key> by_pid;  ///< one (pid, key) pair per entry
  };

  class state final : public detail::registry_core {
   public:
    state(detail::node_impl& n, const registry_options& o)
        : registry_core(n, o.partitions),
          unique(o.keys == registry_keys::unique),
          t(o.partitions) {}

    const bool unique;
    std::vector<tables> t;  // t[i] is guarded by partition(i).mu

   private:
    void erase_pid(std::size_t i, pid p) override {
      tables& tb = t[i];
      auto [b, e] = tb.by_pid.equal_range(p);
      for (auto it = b; it != e; ++it) {
        auto [kb, ke] = tb.by_key.equal_range(it->second);
        while (kb != ke) kb = kb->second.first == p ? tb.by_key.erase(kb) : std::next(kb);
      }
      tb.by_pid.erase(b, e);
    }
    void clear(std::size_t i) noexcept override {
      t[i].by_key.clear();
      t[i].by_pid.clear();
    }
  };

  class via_impl;

  static std::size_t spread(std::size_t h, std::size_t n) noexcept {
    return static_cast<std::size_t>((std::uint64_t{h} * 0x9E3779B97F4A7C15ULL) >> 32) % n;
  }
  std::size_t key_home(const Key& k) const { return spread(std::hash<Key>{}(k), s_->partitions()); }
  std::size_t pid_home(pid p) const { return spread(std::hash<pid>{}(p), s_->partitions()); }
  /// The partition an entry (p, key) lives in.
  std::size_t home(const Key& k, pid p) const { return s_->unique ? key_home(k) : pid_home(p); }

  /// f(i) for each partition that may hold entries under `k`.
  template <class F>
  void each_partition_of_key(const Key& k, F&& f) const {
    if (s_->unique) return f(key_home(k));
    for (std::size_t i = 0; i < s_->partitions(); ++i) f(i);
  }
  /// f(i) for each partition that may hold entries of `p`.
  template <class F>
  void each_partition_of_pid(pid p, F&& f) const {
    if (!s_->unique) return f(pid_home(p));
    for (std::size_t i = 0; i < s_->partitions(); ++i) f(i);
  }

  /// Appends the entries of partition i under `key` of live processes that
  /// `pred` accepts.
  template <class Pred>
  void collect(std::size_t i, const Key& key, Pred& pred, std::vector<entry>& out) const {
    std::shared_lock lk(s_->partition(i).mu);
    auto [b, e] = s_->t[i].by_key.equal_range(key);
    for (; b != e; ++b)
      if (s_->alive(b->second.first) && pred(std::as_const(b->second.second)))
        out.push_back(b->second);
  }

  /// Removes the entry at `it` and its reverse-index pair.
  static void erase_entry(tables& tb, typename key_table::iterator it) {
    auto [b, e] = tb.by_pid.equal_range(it->second.first);
    for (; b != e; ++b) {
      if (b->second == it->first) {
        tb.by_pid.erase(b);
        break;
      }
    }
    tb.by_key.erase(it);
  }

  /// Removes p's entries under `key` that `pred` accepts; when p is the
  /// caller and has no entry left in that partition, unlinks it from the owner.
  template <class Pred>
  void remove(const Key& key, pid p, Pred& pred) const;

  std::shared_ptr<state> s_;
};

/// What registry::via returns: one key of a unique registry as a via name.
template <class Key, class Value>
class registry<Key, Value>::via_impl final : public via_name_base {
 public:
  via_impl(registry r, Key key) : r_(std::move(r)), key_(std::move(key)) {}

  /// @throws otp::badarg when `p` is not the caller, or as register_key.
  bool register_name(pid p) const override {
    if (!detail::registry_core::is_caller(p))
      throw badarg("registry via name: register_name registers the calling process only");
    return r_.register_key(key_).is_ok();
  }
  void unregister_name(pid p) const override {
    auto all = [](const Value&) { return true; };
    r_.remove(key_, p, all);
  }
  pid whereis_name() const override {
    std::vector<entry> found = r_.lookup(key_);
    return found.empty() ? pid() : found.front().first;
  }
  std::string to_string() const override {
    return "{via,registry," + detail::registry_key_text(key_) + "}";
  }

 private:
  registry r_;
  Key key_;
};

template <class Key, class Value>
register_result registry<Key, Value>::register_key(const Key& key, Value value) const {
  const pid me = s_->caller("registry::register_key");
  const std::size_t i = home(key, me);
  detail::registry_partition& part = s_->partition(i);
  tables& tb = s_->t[i];
  std::unique_lock lk(part.mu);
  if (!part.open) throw badarg("registry::register_key: the registry is not running");
  if (s_->unique) {
    auto it = tb.by_key.find(key);
    if (it != tb.by_key.end()) {
      const pid holder = it->second.first;
      if (s_->alive(holder)) return register_result::already_registered(holder);
      erase_entry(tb, it);  // its EXIT is on the way to the owner
    }
  }
  // Link before the entry exists: the owner then gets our link before any
  // exit signal of ours, so it always learns of our death (see registry.cpp).
  if (tb.by_pid.find(me) == tb.by_pid.end()) otp::link(part.owner);
  auto it = tb.by_key.emplace(key, entry(me, std::move(value)));
  try {
    tb.by_pid.emplace(me, key);
  } catch (...) {
    tb.by_key.erase(it);
    throw;
  }
  return register_result::ok();
}

template <class Key, class Value>
template <class Pred>
void registry<Key, Value>::remove(const Key& key, pid p, Pred& pred) const {
  const std::size_t i = home(key, p);
  detail::registry_partition& part = s_->partition(i);
  tables& tb = s_->t[i];
  pid owner;
  {
    std::unique_lock lk(part.mu);
    std::vector<typename key_table::iterator> doomed;
    auto [b, e] = tb.by_key.equal_range(key);
    for (; b != e; ++b)
      if (b->second.first == p && pred(std::as_const(b->second.second))) doomed.push_back(b);
    for (auto it : doomed) erase_entry(tb, it);
    if (doomed.empty() || tb.by_pid.find(p) != tb.by_pid.end()) return;
    owner = part.owner;
  }
  if (!owner.is_null() && detail::registry_core::is_caller(p)) otp::unlink(owner);
}

template <class Key, class Value>
template <detail::registry_updater<Value> F>
std::optional<std::pair<Value, Value>> registry<Key, Value>::update_value(const Key& key,
                                                                          F fn) const {
  if (!s_->unique) throw badarg("registry::update_value: needs a registry with unique keys");
  const pid me = s_->caller("registry::update_value");
  const std::size_t i = key_home(key);
  detail::registry_partition& part = s_->partition(i);
  tables& tb = s_->t[i];
  std::optional<Value> old;
  {
    std::shared_lock lk(part.mu);
    auto it = tb.by_key.find(key);
    if (it != tb.by_key.end() && it->second.first == me) old.emplace(it->second.second);
  }
  if (!old) return std::nullopt;
  // Only the caller can change or remove its own entry while it lives, so
  // the entry read above is still the one to update.
  Value now = fn(std::as_const(*old));
  std::unique_lock lk(part.mu);
  auto it = tb.by_key.find(key);
  if (it == tb.by_key.end() || it->second.first != me) return std::nullopt;  // the registry stopped
  it->second.second = now;
  return std::pair<Value, Value>(std::move(now), std::move(*old));
}

template <class Key, class Value>
std::vector<Key> registry<Key, Value>::keys(pid p) const {
  std::vector<Key> out;
  each_partition_of_pid(p, [&](std::size_t i) {
    std::shared_lock lk(s_->partition(i).mu);
    auto [b, e] = s_->t[i].by_pid.equal_range(p);
    for (; b != e; ++b) out.push_back(b->second);
  });
  return out;
}

template <class Key, class Value>
std::vector<Value> registry<Key, Value>::values(const Key& key, pid p) const {
  std::vector<Value> out;
  const std::size_t i = home(key, p);
  std::shared_lock lk(s_->partition(i).mu);
  auto [b, e] = s_->t[i].by_key.equal_range(key);
  for (; b != e; ++b)
    if (b->second.first == p) out.push_back(b->second.second);
  return out;
}

template <class Key, class Value>
std::size_t registry<Key, Value>::count() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s_->partitions(); ++i) {
    std::shared_lock lk(s_->partition(i).mu);
    n += s_->t[i].by_key.size();
  }
  return n;
}

template <class Key, class Value>
template <std::predicate<const Value&> Pred>
std::size_t registry<Key, Value>::count_match(const Key& key, Pred pred) const {
  std::size_t n = 0;
  each_partition_of_key(key, [&](std::size_t i) {
    std::shared_lock lk(s_->partition(i).mu);
    auto [b, e] = s_->t[i].by_key.equal_range(key);
    for (; b != e; ++b)
      if (pred(std::as_const(b->second.second))) ++n;
  });
  return n;
}

template <class Key, class Value>
via_name registry<Key, Value>::via(Key key) const requires std::default_initializable<Value> {
  if (!s_->unique) throw badarg("registry::via: via names need a registry with unique keys");
  return via_name{std::make_shared<const via_impl>(*this, std::move(key))};
}

}  // namespace otp

// One stripe of a hash table (set, bag, duplicate_bag): its objects in an
// open-addressed array kept sorted by hash (linear probing where an element
// never sits before its home slot, and elements are in hash order).
//
// Why sorted: the order of the objects is a function of their hashes alone,
// so it does not change when the array grows, and the successor of a key is
// defined even after that key was erased. first/next and the chunked
// traversals are then safe under concurrent writers without fixing the
// table (docs/decisions/0006-tables.md).
//
// The hash is kept in the slot next to the object, except for integral keys,
// whose hash is cheaper to compute again than to load: their slots hold
// only the object, and a bitmap marks the used ones. A {int64, int64}
// object then takes 16 bytes instead of 24 (the bytes-per-object
// target, docs/decisions/0006-tables.md).
//
// Invariants:
//  1. A used slot holds a live object, whose hash is never 0.
//  2. Occupied slots are in ascending (hash, key) order, key order used only
//     for keys that have operator<; objects of one key are adjacent, in
//     insertion order (bags).
//  3. Every object sits at or after its home slot, and no empty slot lies
//     between its home and its slot.
// Not thread-safe: the stripe's lock guards it.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "otp/services/detail/zeroed_block.hpp"

namespace otp::detail {

/// The 64-bit finaliser of a hash (a bijection, so distinct 64-bit inputs
/// never collide), never 0.
constexpr std::uint64_t mix_hash(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x == 0 ? 1 : x;
}

template <class K, class V>
class hash_store {
 public:
  using object = std::pair<K, V>;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  /// True when slots keep their object's hash (false: integral keys).
  static constexpr bool kHashInSlot = !std::is_integral_v<K>;

  /// `shift`: the stripe bits, dropped from the hash before placing.
  explicit hash_store(unsigned shift = 0) : shift_(shift) {}
  hash_store(const hash_store&) = delete;
  hash_store& operator=(const hash_store&) = delete;
  ~hash_store() { clear(); }

  /// The hash of key `k`: std::hash mixed, never 0.
  static std::uint64_t hash(const K& k) { return mix_hash(std::hash<K>{}(k)); }

  std::size_t size() const noexcept { return size_; }
  /// Slots in the arrays (positions are below this).
  std::size_t slots() const noexcept { return slots_; }
  /// Bytes of the slot arrays (and of the bitmap of used slots).
  std::size_t bytes() const noexcept { return slot_array::bytes_for(slots_); }

  /// The first slot of key `k` (hash `h`), or npos.
  std::size_t find(std::uint64_t h, const K& k) const noexcept {
    if (slots_ == 0) return npos;
    for (std::size_t i = home(h); i < slots_ && used(i); ++i) {
      if constexpr (kHashInSlot) {  // the stored hash first: no key compare unless it matches
        if (s_[i].hash > h) return npos;
        if (s_[i].hash == h && at(i).first == k) return i;
      } else {  // an integral key compares faster than its hash is made
        if (at(i).first == k) return i;
        if (hash_at(i) > h) return npos;
      }
    }
    return npos;
  }
  /// The slot after `i` holding the same key, or npos.
  std::size_t next_same(std::size_t i) const noexcept {
    std::size_t j = i + 1;
    return j < slots_ && used(j) && at(j).first == at(i).first ? j : npos;
  }
  /// True when slot `i` exists and holds an object of key `k`.
  bool holds(std::size_t i, const K& k) const noexcept {
    return i < slots_ && used(i) && at(i).first == k;
  }
  object& at(std::size_t i) noexcept { return *std::launder(reinterpret_cast<object*>(s_[i].obj)); }
  const object& at(std::size_t i) const noexcept {
    return *std::launder(reinterpret_cast<const object*>(s_[i].obj));
  }

  /// Inserts `o` after the objects of its key (bags keep insertion order).
  void insert_after_key(std::uint64_t h, object o) {
    if ((size_ + 1) * 8 > capacity_ * 7) grow();
    std::size_t i = home(h);
    while (i < slots_ && used(i) && !key_before(h, o.first, i)) ++i;
    if (!place(i, h, std::move(o))) {
      grow();
      insert_after_key(h, std::move(o));
    }
  }

  /// Removes the object in slot `i`, closing the gap.
  void erase_at(std::size_t i) noexcept {
    at(i).~object();
    std::size_t j = i + 1;
    for (; j < slots_ && used(j); ++j) {
      const std::uint64_t hj = hash_at(j);
      if (home(hj) >= j) break;
      move_slot(j, j - 1, hj);
    }
    set_empty(j - 1);
    --size_;
  }

  /// The first used slot at or after `i`, or npos.
  std::size_t occupied_from(std::size_t i) const noexcept {
    for (; i < slots_; ++i)
      if (used(i)) return i;
    return npos;
  }
  /// The first slot whose object comes after key `k` (hash `h`) in the
  /// store's order, whether or not `k` is present; npos at the end.
  std::size_t after_key(std::uint64_t h, const K& k) const noexcept {
    if (slots_ == 0) return npos;
    std::size_t i = home(h);
    while (i < slots_ && used(i) && !key_before(h, k, i)) ++i;
    return occupied_from(i);
  }

  void clear() noexcept {
    for (std::size_t i = 0; i < slots_; ++i)
      if (used(i)) at(i).~object();
    s_ = slot_array();
    slots_ = capacity_ = size_ = 0;
  }

 private:
  struct hashed_slot {  // the hash next to the object: a lookup touches one place
    std::uint64_t hash;
    alignas(object) std::byte obj[sizeof(object)];
  };
  struct bare_slot {
    alignas(object) std::byte obj[sizeof(object)];
  };
  using slot = std::conditional_t<kHashInSlot, hashed_slot, bare_slot>;
  static constexpr std::size_t kTail = 16;  // slots past the last home

  /// Owns `n` zeroed slots, then (integral keys) the bitmap of used ones.
  class slot_array {
   public:
    slot_array() = default;
    explicit slot_array(std::size_t n)
        : p_(static_cast<slot*>(zeroed_block_alloc(bytes_for(n)))), n_(n) {}
    slot_array(slot_array&& o) noexcept
        : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
    slot_array& operator=(slot_array&& o) noexcept {
      if (this != &o) {
        zeroed_block_free(p_, bytes_for(n_));
        p_ = std::exchange(o.p_, nullptr);
        n_ = std::exchange(o.n_, 0);
      }
      return *this;
    }
    ~slot_array() { zeroed_block_free(p_, bytes_for(n_)); }
    slot& operator[](std::size_t i) const noexcept { return p_[i]; }
    std::uint64_t* bitmap() const noexcept { return reinterpret_cast<std::uint64_t*>(p_ + n_); }
    static std::size_t bytes_for(std::size_t n) noexcept {
      return n * sizeof(slot) + (kHashInSlot ? 0 : (n + 63) / 64 * sizeof(std::uint64_t));
    }

   private:
    slot* p_ = nullptr;
    std::size_t n_ = 0;
  };

  bool used(std::size_t i) const noexcept {
    if constexpr (kHashInSlot)
      return s_[i].hash != 0;
    else
      return (s_.bitmap()[i / 64] >> (i % 64) & 1) != 0;
  }
  /// The hash of the object in used slot `i`.
  std::uint64_t hash_at(std::size_t i) const noexcept {
    if constexpr (kHashInSlot)
      return s_[i].hash;
    else
      return hash(at(i).first);
  }
  static void mark(const slot_array& a, std::size_t i, std::uint64_t h) noexcept {
    if constexpr (kHashInSlot)
      a[i].hash = h;
    else
      a.bitmap()[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  void set_empty(std::size_t i) noexcept {
    if constexpr (kHashInSlot)
      s_[i].hash = 0;
    else
      s_.bitmap()[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  /// Moves the object of used slot `from` (hash `h`) into empty slot `to`.
  void move_slot(std::size_t from, std::size_t to, std::uint64_t h) noexcept {
    new (s_[to].obj) object(std::move(at(from)));
    at(from).~object();
    mark(s_, to, h);
  }

  std::size_t home(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>((static_cast<unsigned __int128>(h << shift_) * capacity_) >>
                                    64);
  }
  /// True when key `k` (hash `h`) goes before the object in slot `i`.
  bool key_before(std::uint64_t h, const K& k, std::size_t i) const noexcept {
    const std::uint64_t hi = hash_at(i);
    if (h != hi) return h < hi;
    if constexpr (std::totally_ordered<K>) return k < at(i).first;
    return false;
  }
  /// Puts `o` in slot `i`, shifting the run from `i` right; false when the
  /// array has no empty slot left after `i`.
  bool place(std::size_t i, std::uint64_t h, object&& o) {
    std::size_t j = i;
    while (j < slots_ && used(j)) ++j;
    if (j >= slots_) return false;
    if constexpr (!kHashInSlot)
      if (j > i) mark(s_, j, 0);  // the run now ends one slot further
    for (; j > i; --j) {
      new (s_[j].obj) object(std::move(at(j - 1)));
      at(j - 1).~object();
      if constexpr (kHashInSlot) s_[j].hash = s_[j - 1].hash;
    }
    new (s_[i].obj) object(std::move(o));
    mark(s_, i, h);
    ++size_;
    return true;
  }
  void grow() {
    std::size_t cap = capacity_ < 16 ? 16 : capacity_ + capacity_ / 2;
    for (;;) {
      if (rebuild(cap)) return;
      cap += cap / 2;
    }
  }
  /// Moves every object into arrays of capacity `cap`, in order; false (and
  /// nothing changed) when the tail is too short for them.
  bool rebuild(std::size_t cap) {
    const std::size_t slots = cap + kTail;
    const std::size_t old_cap = std::exchange(capacity_, cap);
    std::size_t next = 0;
    for (std::size_t i = 0; i < slots_; ++i)  // where each goes: does it fit?
      if (used(i)) next = std::max(home(hash_at(i)), next) + 1;
    if (next > slots) {
      capacity_ = old_cap;
      return false;
    }
    // Zeroed memory (every slot empty) without a memset: fresh pages, huge
    // ones for a large array (zeroed_block.hpp).
    slot_array fresh(slots);
    next = 0;
    for (std::size_t i = 0; i < slots_; ++i) {
      if (!used(i)) continue;
      const std::uint64_t h = hash_at(i);
      const std::size_t p = std::max(home(h), next);
      new (fresh[p].obj) object(std::move(at(i)));
      at(i).~object();
      mark(fresh, p, h);
      next = p + 1;
    }
    s_ = std::move(fresh);
    slots_ = slots;
    return true;
  }

  unsigned shift_;
  std::size_t capacity_ = 0;  // homes are 0 .. capacity_-1
  std::size_t slots_ = 0;     // capacity_ + kTail, or 0
  std::size_t size_ = 0;
  slot_array s_;
};

}  // namespace otp::detail

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
// Invariants:
//  1. s_[i].hash == 0 marks an empty slot; a live object's hash is never 0.
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
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <utility>

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

  /// `shift`: the stripe bits, dropped from the hash before placing.
  explicit hash_store(unsigned shift = 0) : shift_(shift) {}
  hash_store(const hash_store&) = delete;
  hash_store& operator=(const hash_store&) = delete;
  ~hash_store() { clear(); }

  std::size_t size() const noexcept { return size_; }
  /// Slots in the arrays (positions are below this).
  std::size_t slots() const noexcept { return slots_; }
  /// Bytes of the slot arrays.
  std::size_t bytes() const noexcept { return slots_ * sizeof(slot); }

  /// The first slot of key `k` (hash `h`), or npos.
  std::size_t find(std::uint64_t h, const K& k) const noexcept {
    if (slots_ == 0) return npos;
    for (std::size_t i = home(h); i < slots_ && s_[i].hash != 0 && s_[i].hash <= h; ++i)
      if (s_[i].hash == h && at(i).first == k) return i;
    return npos;
  }
  /// The slot after `i` holding the same key, or npos.
  std::size_t next_same(std::size_t i) const noexcept {
    std::size_t j = i + 1;
    return j < slots_ && s_[j].hash == s_[i].hash && at(j).first == at(i).first ? j : npos;
  }
  object& at(std::size_t i) noexcept { return *std::launder(reinterpret_cast<object*>(s_[i].obj)); }
  const object& at(std::size_t i) const noexcept {
    return *std::launder(reinterpret_cast<const object*>(s_[i].obj));
  }

  /// Inserts `o` after the objects of its key (bags keep insertion order).
  void insert_after_key(std::uint64_t h, object o) {
    if ((size_ + 1) * 8 > capacity_ * 7) grow();
    std::size_t i = home(h);
    while (i < slots_ && s_[i].hash != 0 && !key_before(h, o.first, i)) ++i;
    if (!place(i, h, std::move(o))) {
      grow();
      insert_after_key(h, std::move(o));
    }
  }

  /// Removes the object in slot `i`, closing the gap.
  void erase_at(std::size_t i) noexcept {
    at(i).~object();
    std::size_t j = i + 1;
    while (j < slots_ && s_[j].hash != 0 && home(s_[j].hash) < j) {
      new (s_[j - 1].obj) object(std::move(at(j)));
      at(j).~object();
      s_[j - 1].hash = s_[j].hash;
      ++j;
    }
    s_[j - 1].hash = 0;
    --size_;
  }

  /// The first occupied slot at or after `i`, or npos.
  std::size_t occupied_from(std::size_t i) const noexcept {
    for (; i < slots_; ++i)
      if (s_[i].hash != 0) return i;
    return npos;
  }
  /// The first slot whose object comes after key `k` (hash `h`) in the
  /// store's order, whether or not `k` is present; npos at the end.
  std::size_t after_key(std::uint64_t h, const K& k) const noexcept {
    if (slots_ == 0) return npos;
    std::size_t i = home(h);
    while (i < slots_ && s_[i].hash != 0 && !key_before(h, k, i)) ++i;
    return occupied_from(i);
  }
  std::uint64_t hash_at(std::size_t i) const noexcept { return s_[i].hash; }

  void clear() noexcept {
    for (std::size_t i = 0; i < slots_; ++i)
      if (s_[i].hash != 0) at(i).~object();
    s_.reset();
    slots_ = capacity_ = size_ = 0;
  }

 private:
  /// A slot: the hash next to the object, so a lookup touches one place.
  struct slot {
    std::uint64_t hash = 0;
    alignas(object) std::byte obj[sizeof(object)];
  };
  static constexpr std::size_t kTail = 16;  // slots past the last home

  std::size_t home(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>((static_cast<unsigned __int128>(h << shift_) * capacity_) >>
                                    64);
  }
  /// True when key `k` (hash `h`) goes before the object in slot `i`.
  bool key_before(std::uint64_t h, const K& k, std::size_t i) const noexcept {
    if (h != s_[i].hash) return h < s_[i].hash;
    if constexpr (std::totally_ordered<K>) return k < at(i).first;
    return false;
  }
  /// Puts `o` in slot `i`, shifting the run from `i` right; false when the
  /// array has no empty slot left after `i`.
  bool place(std::size_t i, std::uint64_t h, object&& o) {
    std::size_t j = i;
    while (j < slots_ && s_[j].hash != 0) ++j;
    if (j >= slots_) return false;
    for (; j > i; --j) {
      new (s_[j].obj) object(std::move(at(j - 1)));
      at(j - 1).~object();
      s_[j].hash = s_[j - 1].hash;
    }
    new (s_[i].obj) object(std::move(o));
    s_[i].hash = h;
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
    for (std::size_t i = 0; i < slots_; ++i) {  // where each goes: does it fit?
      if (s_[i].hash == 0) continue;
      next = std::max(home(s_[i].hash), next) + 1;
    }
    if (next > slots) {
      capacity_ = old_cap;
      return false;
    }
    // calloc: a large block comes from fresh zeroed pages, without the
    // memset that zeroing `new slot[]` would cost (hash 0 is an empty slot).
    slot_array fresh(static_cast<slot*>(std::calloc(slots, sizeof(slot))));
    if (!fresh) throw std::bad_alloc();
    next = 0;
    for (std::size_t i = 0; i < slots_; ++i) {
      if (s_[i].hash == 0) continue;
      const std::size_t p = std::max(home(s_[i].hash), next);
      fresh[p].hash = s_[i].hash;
      new (fresh[p].obj) object(std::move(at(i)));
      at(i).~object();
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
  struct free_slots {
    void operator()(slot* p) const noexcept { std::free(p); }
  };
  using slot_array = std::unique_ptr<slot[], free_slots>;
  slot_array s_;
};

}  // namespace otp::detail

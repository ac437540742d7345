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
//  1. hash_[i] == 0 marks an empty slot; a live object's hash is never 0.
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
  std::size_t bytes() const noexcept { return slots_ * (sizeof(std::uint64_t) + sizeof(object)); }

  /// The first slot of key `k` (hash `h`), or npos.
  std::size_t find(std::uint64_t h, const K& k) const noexcept {
    if (slots_ == 0) return npos;
    for (std::size_t i = home(h); i < slots_ && hash_[i] != 0 && hash_[i] <= h; ++i)
      if (hash_[i] == h && at(i).first == k) return i;
    return npos;
  }
  /// The slot after `i` holding the same key, or npos.
  std::size_t next_same(std::size_t i) const noexcept {
    std::size_t j = i + 1;
    return j < slots_ && hash_[j] == hash_[i] && at(j).first == at(i).first ? j : npos;
  }
  object& at(std::size_t i) noexcept { return *std::launder(reinterpret_cast<object*>(&obj_[i])); }
  const object& at(std::size_t i) const noexcept {
    return *std::launder(reinterpret_cast<const object*>(&obj_[i]));
  }

  /// Inserts `o` after the objects of its key (bags keep insertion order).
  void insert_after_key(std::uint64_t h, object o) {
    if ((size_ + 1) * 8 > capacity_ * 7) grow();
    std::size_t i = home(h);
    while (i < slots_ && hash_[i] != 0 && !key_before(h, o.first, i)) ++i;
    if (!place(i, h, std::move(o))) {
      grow();
      insert_after_key(h, std::move(o));
    }
  }

  /// Removes the object in slot `i`, closing the gap.
  void erase_at(std::size_t i) noexcept {
    at(i).~object();
    std::size_t j = i + 1;
    while (j < slots_ && hash_[j] != 0 && home(hash_[j]) < j) {
      new (&obj_[j - 1]) object(std::move(at(j)));
      at(j).~object();
      hash_[j - 1] = hash_[j];
      ++j;
    }
    hash_[j - 1] = 0;
    --size_;
  }

  /// The first occupied slot at or after `i`, or npos.
  std::size_t occupied_from(std::size_t i) const noexcept {
    for (; i < slots_; ++i)
      if (hash_[i] != 0) return i;
    return npos;
  }
  /// The first slot whose object comes after key `k` (hash `h`) in the
  /// store's order, whether or not `k` is present; npos at the end.
  std::size_t after_key(std::uint64_t h, const K& k) const noexcept {
    if (slots_ == 0) return npos;
    std::size_t i = home(h);
    while (i < slots_ && hash_[i] != 0 && !key_before(h, k, i)) ++i;
    return occupied_from(i);
  }
  std::uint64_t hash_at(std::size_t i) const noexcept { return hash_[i]; }

  void clear() noexcept {
    for (std::size_t i = 0; i < slots_; ++i)
      if (hash_[i] != 0) at(i).~object();
    hash_.reset();
    obj_.reset();
    slots_ = capacity_ = size_ = 0;
  }

 private:
  struct alignas(object) cell {
    std::byte bytes[sizeof(object)];
  };
  static constexpr std::size_t kTail = 16;  // slots past the last home

  std::size_t home(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>((static_cast<unsigned __int128>(h << shift_) * capacity_) >>
                                    64);
  }
  /// True when key `k` (hash `h`) goes before the object in slot `i`.
  bool key_before(std::uint64_t h, const K& k, std::size_t i) const noexcept {
    if (h != hash_[i]) return h < hash_[i];
    if constexpr (std::totally_ordered<K>) return k < at(i).first;
    return false;
  }
  /// Puts `o` in slot `i`, shifting the run from `i` right; false when the
  /// array has no empty slot left after `i`.
  bool place(std::size_t i, std::uint64_t h, object&& o) {
    std::size_t j = i;
    while (j < slots_ && hash_[j] != 0) ++j;
    if (j >= slots_) return false;
    for (; j > i; --j) {
      new (&obj_[j]) object(std::move(at(j - 1)));
      at(j - 1).~object();
      hash_[j] = hash_[j - 1];
    }
    new (&obj_[i]) object(std::move(o));
    hash_[i] = h;
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
      if (hash_[i] == 0) continue;
      next = std::max(home(hash_[i]), next) + 1;
    }
    if (next > slots) {
      capacity_ = old_cap;
      return false;
    }
    auto hashes = std::make_unique<std::uint64_t[]>(slots);
    auto cells = std::make_unique<cell[]>(slots);
    next = 0;
    for (std::size_t i = 0; i < slots_; ++i) {
      if (hash_[i] == 0) continue;
      const std::size_t p = std::max(home(hash_[i]), next);
      hashes[p] = hash_[i];
      new (&cells[p]) object(std::move(at(i)));
      at(i).~object();
      next = p + 1;
    }
    hash_ = std::move(hashes);
    obj_ = std::move(cells);
    slots_ = slots;
    return true;
  }

  unsigned shift_;
  std::size_t capacity_ = 0;  // homes are 0 .. capacity_-1
  std::size_t slots_ = 0;     // capacity_ + kTail, or 0
  std::size_t size_ = 0;
  std::unique_ptr<std::uint64_t[]> hash_;
  std::unique_ptr<cell[]> obj_;
};

}  // namespace otp::detail

// The map behind a process's links, monitors and aliases.
//
// Most processes hold one link (to their supervisor or parent) and a monitor
// or two at a time (a call in flight); a supervisor may hold 100,000. A node
// container per entry (std::unordered_map) costs a heap allocation for every
// link, monitor and call. small_map keeps up to N entries inline, searched
// linearly, and moves to an open-addressed table (linear probing, deletion by
// backward shift, load at most 3/4) when it outgrows them; it goes back inline
// when it empties.
//
// Invariants:
//  1. K{} (the null pid, ref id 0) is never a key: it marks a free slot.
//  2. Inline (cap_ == N): entries [0, size_) are the live ones, in any order.
//     Hashed (cap_ > N, a power of two): a live entry sits at or after its
//     home slot with no free slot in between.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace otp::detail {

template <class K, class V, std::uint32_t N>
class small_map {
  static_assert(N >= 1);
  static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>,
                "entries are moved with plain copies");

 public:
  struct entry {
    K key;
    V value;
  };

  small_map() noexcept {}
  small_map(const small_map&) = delete;
  small_map& operator=(const small_map&) = delete;
  ~small_map() {
    if (hashed()) ::operator delete(heap_);
  }

  std::uint32_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Bytes held outside the object (the hashed table), 0 while inline.
  std::size_t heap_bytes() const noexcept { return hashed() ? sizeof(entry) * cap_ : 0; }

  /// The value of `k`, or nullptr.
  V* find(const K& k) noexcept {
    entry* e = locate(k);
    return e == nullptr ? nullptr : &e->value;
  }
  const V* find(const K& k) const noexcept { return const_cast<small_map*>(this)->find(k); }
  bool contains(const K& k) const noexcept { return find(k) != nullptr; }

  /// Adds k -> v unless k is present. Returns the value now stored for k and
  /// whether it was added. Throws std::bad_alloc when the table must grow and
  /// cannot (the map is unchanged then).
  std::pair<V*, bool> try_emplace(const K& k, const V& v) {
    if (entry* e = locate(k)) return {&e->value, false};
    if (!hashed() && size_ < N) {
      inline_[size_] = entry{k, v};
      return {&inline_[size_++].value, true};
    }
    if ((size_ + 1) * 4 > capacity() * 3) grow();
    entry* e = place(heap_, cap_, k);
    *e = entry{k, v};
    ++size_;
    return {&e->value, true};
  }

  /// Sets k -> v, adding k when absent. Throws as try_emplace.
  void assign(const K& k, const V& v) { *try_emplace(k, v).first = v; }

  /// Removes k; false when it was not there.
  bool erase(const K& k) noexcept {
    entry* e = locate(k);
    if (e == nullptr) return false;
    --size_;
    if (!hashed()) {
      *e = inline_[size_];
      return true;
    }
    if (size_ == 0) {  // back to inline storage
      ::operator delete(heap_);
      cap_ = N;
      return true;
    }
    const std::uint32_t mask = cap_ - 1;
    std::uint32_t hole = static_cast<std::uint32_t>(e - heap_);
    for (std::uint32_t j = (hole + 1) & mask; !is_free(heap_[j]); j = (j + 1) & mask) {
      const std::uint32_t home = home_of(heap_[j].key, mask);
      // heap_[j] may fill the hole unless its home lies cyclically in (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        heap_[hole] = heap_[j];
        hole = j;
      }
    }
    heap_[hole].key = K{};
    return true;
  }

  /// Calls f(key, value) for every entry, in no particular order. f must not
  /// change the map.
  template <class F>
  void for_each(F&& f) const {
    if (!hashed()) {
      for (std::uint32_t i = 0; i < size_; ++i) f(inline_[i].key, inline_[i].value);
      return;
    }
    for (std::uint32_t i = 0; i < cap_; ++i)
      if (!is_free(heap_[i])) f(heap_[i].key, heap_[i].value);
  }

 private:
  bool hashed() const noexcept { return cap_ > N; }
  std::uint32_t capacity() const noexcept { return hashed() ? cap_ : 0; }
  static bool is_free(const entry& e) noexcept { return e.key == K{}; }

  static std::uint32_t home_of(const K& k, std::uint32_t mask) noexcept {
    std::uint64_t h = std::hash<K>{}(k);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<std::uint32_t>(h) & mask;
  }

  entry* locate(const K& k) noexcept {
    if (!hashed()) {
      for (std::uint32_t i = 0; i < size_; ++i)
        if (inline_[i].key == k) return &inline_[i];
      return nullptr;
    }
    const std::uint32_t mask = cap_ - 1;
    for (std::uint32_t i = home_of(k, mask);; i = (i + 1) & mask) {
      if (heap_[i].key == k) return &heap_[i];
      if (is_free(heap_[i])) return nullptr;
    }
  }

  /// The free slot where k goes in `slots` (k absent, a free slot exists).
  static entry* place(entry* slots, std::uint32_t cap, const K& k) noexcept {
    const std::uint32_t mask = cap - 1;
    std::uint32_t i = home_of(k, mask);
    while (!is_free(slots[i])) i = (i + 1) & mask;
    return &slots[i];
  }

  void grow() {
    const std::uint32_t cap = hashed() ? cap_ * 2 : std::bit_ceil(std::uint32_t{4 * N});
    auto* fresh = static_cast<entry*>(::operator new(sizeof(entry) * cap));
    for (std::uint32_t i = 0; i < cap; ++i) fresh[i].key = K{};
    for_each([&](const K& k, const V& v) { *place(fresh, cap, k) = entry{k, v}; });
    if (hashed()) ::operator delete(heap_);
    heap_ = fresh;
    cap_ = cap;
  }

  union {
    entry inline_[N];
    entry* heap_;
  };
  std::uint32_t size_ = 0;
  std::uint32_t cap_ = N;
};

}  // namespace otp::detail

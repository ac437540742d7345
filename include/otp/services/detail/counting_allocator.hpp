// An allocator that adds the bytes it hands out to a counter (and takes
// back what it frees): how an ordered_set knows its memory exactly.
#pragma once

#include <cstddef>
#include <memory>

namespace otp::detail {

template <class T>
struct counting_allocator {
  using value_type = T;
  std::size_t* bytes;  // the owner's counter, guarded by the owner's lock

  explicit counting_allocator(std::size_t* b) noexcept : bytes(b) {}
  // NOLINTBEGIN(google-explicit-constructor): containers rebind allocators implicitly
  template <class U>
  counting_allocator(const counting_allocator<U>& o) noexcept : bytes(o.bytes) {}
  // NOLINTEND(google-explicit-constructor)

  T* allocate(std::size_t n) {
    T* p = std::allocator<T>().allocate(n);
    *bytes += n * sizeof(T);
    return p;
  }
  void deallocate(T* p, std::size_t n) noexcept {
    std::allocator<T>().deallocate(p, n);
    *bytes -= n * sizeof(T);
  }
  template <class U>
  bool operator==(const counting_allocator<U>& o) const noexcept {
    return bytes == o.bytes;
  }
};

}  // namespace otp::detail

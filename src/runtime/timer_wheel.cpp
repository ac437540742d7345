#include "runtime/timer_wheel.hpp"

namespace otp::detail {

void timer_wheel::insert(timer_entry* e) noexcept {
  std::uint64_t tick = e->deadline < cursor_ ? cursor_ : e->deadline;
  std::uint64_t s = tick % kSlots;
  e->prev = nullptr;
  e->next = slots_[s];
  if (e->next != nullptr) e->next->prev = e;
  slots_[s] = e;
  occupied_[s / 64] |= std::uint64_t{1} << (s % 64);
  // Remember the slot through the deadline: an entry due before cursor_ is
  // stored at cursor_'s slot, so record that tick for remove().
  if (e->deadline < cursor_) e->deadline = cursor_;
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void timer_wheel::remove(timer_entry* e) noexcept {
  std::uint64_t s = e->deadline % kSlots;
  if (e->prev != nullptr)
    e->prev->next = e->next;
  else
    slots_[s] = e->next;
  if (e->next != nullptr) e->next->prev = e->prev;
  if (slots_[s] == nullptr) occupied_[s / 64] &= ~(std::uint64_t{1} << (s % 64));
  e->prev = e->next = nullptr;
  count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

std::optional<std::uint64_t> timer_wheel::next_tick() const noexcept {
  if (size() == 0) return std::nullopt;
  // An entry due within the next round sits in the slot of its deadline, so
  // the first slot holding a due-by-then entry gives the exact answer.
  for (std::uint64_t t = cursor_; t < cursor_ + kSlots; ++t) {
    std::uint64_t s = t % kSlots;
    if ((occupied_[s / 64] & (std::uint64_t{1} << (s % 64))) == 0) continue;
    for (timer_entry* e = slots_[s]; e != nullptr; e = e->next)
      if (e->deadline <= t) return t;
  }
  // Everything is at least a round away: take the earliest deadline.
  std::uint64_t best = ~std::uint64_t{0};
  for (std::uint64_t s = 0; s < kSlots; ++s)
    for (timer_entry* e = slots_[s]; e != nullptr; e = e->next)
      if (e->deadline < best) best = e->deadline;
  return best;
}

timer_entry* timer_wheel::take_all() noexcept {
  timer_entry* out = nullptr;
  for (std::uint64_t s = 0; s < kSlots; ++s) {
    while (timer_entry* e = slots_[s]) {
      remove(e);
      e->next = out;
      out = e;
    }
  }
  return out;
}

}  // namespace otp::detail

// send_after / cancel_timer, arming and firing timers, and the timer store
// (timer_store.hpp).
#include <memory>

#include "runtime/node_impl.hpp"

namespace otp::detail {

namespace {
constexpr std::size_t kTimerChunk = 256;
}

timer_store::~timer_store() = default;

timer_entry* timer_store::alloc(worker* w) {
  if (w != nullptr && w->free_timers != nullptr) {
    timer_entry* e = w->free_timers;
    w->free_timers = e->next;
    e->next = nullptr;
    return e;
  }
  std::lock_guard lk(mu_);
  if (free_ == nullptr) {
    auto chunk = std::make_unique<timer_entry[]>(kTimerChunk);
    for (std::size_t i = 0; i < kTimerChunk; ++i) {
      chunk[i].home = &home_;
      chunk[i].next = free_;
      free_ = &chunk[i];
    }
    chunks_.push_back(std::move(chunk));
  }
  timer_entry* e = free_;
  free_ = e->next;
  e->next = nullptr;
  return e;
}

void timer_store::free(worker* w, timer_entry* e) noexcept {
  if (e->msg != nullptr) {
    destroy_envelope(e->msg);
    e->msg = nullptr;
  }
  e->name.clear();
  e->name.shrink_to_fit();
  e->owner.store(-1, std::memory_order_relaxed);
  e->prev = nullptr;
  if (w != nullptr) {
    e->next = w->free_timers;
    w->free_timers = e;
    return;
  }
  std::lock_guard lk(mu_);
  e->next = free_;
  free_ = e;
}

std::size_t timer_store::deferred() const {
  std::lock_guard lk(mu_);
  return deferred_.size();
}

std::size_t timer_store::bytes() const {
  std::lock_guard lk(mu_);
  return chunks_.size() * kTimerChunk * sizeof(timer_entry);
}

void timer_store::defer(timer_entry* e) {
  std::lock_guard lk(mu_);
  deferred_.push_back(e);
  has_deferred_.store(true, std::memory_order_release);
}

void timer_store::adopt(worker& w) noexcept {
  std::vector<timer_entry*> mine;
  {
    std::lock_guard lk(mu_);
    mine.swap(deferred_);
    has_deferred_.store(false, std::memory_order_release);
  }
  for (timer_entry* e : mine) {
    e->owner.store(static_cast<int>(w.index), std::memory_order_relaxed);
    w.wheel.insert(e);
  }
}

void timer_store::stop() noexcept {
  std::lock_guard lk(mu_);
  for (timer_entry* e : deferred_)
    if (e->msg != nullptr) destroy_envelope(std::exchange(e->msg, nullptr));
  deferred_.clear();
  has_deferred_.store(false, std::memory_order_release);
}

void node_impl::fire_timer(worker& w, timer_entry* e) noexcept {
  std::uint64_t st = e->state.load(std::memory_order_acquire);
  const std::uint64_t gen = st >> 2;
  if ((st & 3) == kTimerPending &&
      e->state.compare_exchange_strong(st, (gen << 2) | kTimerFired, std::memory_order_acq_rel)) {
    if (e->kind == timer_kind::send) {
      envelope* m = std::exchange(e->msg, nullptr);
      if (!e->name.empty()) {
        const pid to = names.whereis(e->name);
        if (to.is_null())
          destroy_envelope(m);
        else
          send_envelope(*this, to, m);
      } else {
        send_envelope(*this, e->target, m);
      }
    } else {
      send_signal(*this, e->target, signal_kind::timeout, pid(), e->seq);
    }
  }
  timers.free(&w, e);
}

timer_ref start_timer(node_impl& n, timeout t, pid dest, std::string name, envelope* msg) {
  if (t.is_infinite()) {
    destroy_envelope(msg);
    throw badarg("send_after: the time must be finite, not infinity");
  }
  worker* w = worker_of(n);
  timer_entry* e;
  try {
    e = n.timers.alloc(w);
  } catch (...) {
    destroy_envelope(msg);
    throw;
  }
  e->kind = timer_kind::send;
  e->target = dest;
  e->name = std::move(name);
  e->msg = msg;
  e->seq = 0;
  return timer_ref(e, n.arm_timer(w, e, t));
}

std::uint64_t node_impl::arm_timer(worker* w, timer_entry* e, const timeout& t) noexcept {
  const std::uint64_t gen = e->generation() + 1;
  // Real clocks: +1 ms, since now_ms() rounds down and the wait must be at least t.
  e->deadline = now_ms() + t.ms() + (clock.manual() ? 0 : 1);
  e->deadline_seen.store(e->deadline, std::memory_order_relaxed);
  e->state.store((gen << 2) | kTimerPending, std::memory_order_release);
  if (w != nullptr) {
    e->owner.store(static_cast<int>(w->index), std::memory_order_relaxed);
    w->wheel.insert(e);
    return gen;
  }
  timers.defer(e);
  if (!clock.manual()) {
    // A parked worker must adopt it to sleep with the right deadline.
    sched.wake_one();
  }
  return gen;
}

bool cancel_timer_quiet(timer_ref t) noexcept {
  timer_entry* e = t.entry();
  if (e == nullptr) return false;
  std::uint64_t expected = (t.generation() << 2) | kTimerPending;
  if (!e->state.compare_exchange_strong(expected, (t.generation() << 2) | kTimerCancelled,
                                        std::memory_order_acq_rel))
    return false;
  node_impl* n = e->home;
  if (n == nullptr) return true;
  worker* w = worker_of(*n);
  const int owner = e->owner.load(std::memory_order_relaxed);
  if (w != nullptr && owner == static_cast<int>(w->index)) {
    w->wheel.remove(e);
    n->timers.free(w, e);
  } else if (owner >= 0) {
    n->sched.at(static_cast<std::size_t>(owner))
        .remote_cancels.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

std::optional<std::chrono::milliseconds> cancel_timer_ref(timer_ref t) noexcept {
  timer_entry* e = t.entry();
  if (e == nullptr) return std::nullopt;
  node_impl* n = e->home;
  // Read before the cancel: the entry may be reused once cancelled.
  const std::uint64_t deadline = e->deadline_seen.load(std::memory_order_relaxed);
  if (!cancel_timer_quiet(t)) return std::nullopt;
  if (n == nullptr) return std::chrono::milliseconds(0);
  const std::uint64_t now = n->now_ms();
  return std::chrono::milliseconds(deadline > now ? deadline - now : 0);
}

}  // namespace otp::detail

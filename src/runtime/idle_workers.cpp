// The io source of idle_workers (idle_workers.hpp, invariant 5) and the
// node-level hook around it (otp/runtime/detail/io_source.hpp).
#include "runtime/idle_workers.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <thread>

#include "runtime/node_impl.hpp"

namespace otp::detail {

idle_workers::~idle_workers() {
  if (const int fd = io_wake_fd_.load(std::memory_order_relaxed); fd >= 0) ::close(fd);
}

bool idle_workers::install_io(io_source* s) noexcept {
  if (io_wake_fd_.load(std::memory_order_acquire) < 0) {
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return false;
    int none = -1;
    if (!io_wake_fd_.compare_exchange_strong(none, fd, std::memory_order_acq_rel)) ::close(fd);
  }
  io_source* none = nullptr;
  if (!io_.compare_exchange_strong(none, s, std::memory_order_acq_rel)) return false;
  wake_one();  // a worker asleep on the condition variable comes to wait on the source
  return true;
}

void idle_workers::remove_io() noexcept {
  io_.store(nullptr, std::memory_order_seq_cst);
  // The waiter leaves its poll; a drain in progress ends by itself.
  while (io_token_.exchange(true, std::memory_order_acq_rel)) {
    poke_io();
    std::this_thread::yield();
  }
  io_token_.store(false, std::memory_order_release);
}

void idle_workers::give_io() noexcept {
  io_token_.store(false, std::memory_order_seq_cst);
  if (io_.load(std::memory_order_relaxed) == nullptr) return;  // removed: nothing to watch
  if (cv_waiters_.load(std::memory_order_seq_cst) == 0) return;
  std::lock_guard lk(mu_);  // the sleeper is waiting once this is held
  cv_.notify_one();
}

io_source* idle_workers::take_io() noexcept {
  if (io_.load(std::memory_order_relaxed) == nullptr) return nullptr;
  if (io_token_.exchange(true, std::memory_order_acq_rel)) return nullptr;
  io_source* s = io_.load(std::memory_order_acquire);
  if (s == nullptr) give_io();  // removed meanwhile
  return s;
}

bool idle_workers::drain_io_now() noexcept {
  io_source* s = take_io();
  if (s == nullptr) return false;
  s->drain();
  give_io();
  return true;
}

void idle_workers::poke_io() noexcept {
  const int fd = io_wake_fd_.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(fd, &one, sizeof(one));
}

void idle_workers::park_on_io(io_source& src,
                              std::optional<std::chrono::steady_clock::time_point> deadline) {
  {
    std::lock_guard lk(mu_);
    if (wakeups_ > 0 || halted()) {
      if (wakeups_ > 0) --wakeups_;
      return;
    }
    io_parked_ = true;  // from here a permit pokes the eventfd
  }
  const int wake_fd = io_wake_fd_.load(std::memory_order_acquire);
  pollfd fds[2] = {{src.fd(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  timespec ts{};
  timespec* limit = nullptr;
  if (deadline) {
    const auto left = *deadline - std::chrono::steady_clock::now();
    const auto ns =
        left.count() > 0 ? std::chrono::duration_cast<std::chrono::nanoseconds>(left).count() : 0;
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    limit = &ts;
  }
  const int r = ::ppoll(fds, 2, limit, nullptr);
  {
    std::lock_guard lk(mu_);
    io_parked_ = false;
    if (wakeups_ > 0) --wakeups_;
  }
  if (r <= 0) return;  // the deadline, or EINTR: the worker looks again
  if ((fds[1].revents & POLLIN) != 0) {
    std::uint64_t v;
    [[maybe_unused]] auto n = ::read(wake_fd, &v, sizeof(v));
  }
  if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) src.drain();
}

bool install_io_source(node_impl& n, io_source* s) noexcept {
  if (n.clock.manual()) return false;
  return n.sched.idle().install_io(s);
}

void remove_io_source(node_impl& n) noexcept { n.sched.idle().remove_io(); }

bool try_drain_io(node_impl& n) noexcept { return n.sched.idle().drain_io_now(); }

}  // namespace otp::detail

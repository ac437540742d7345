// The kernel's readers and I/O thread. The readers (the node's idle
// scheduler threads, through io_source) wait on an epoll set of the up
// connections, read them and split frames. The I/O thread polls the
// wake-up eventfd, the listening socket, the epmd registration and the
// connections with blocked writes; it writes what senders could not, sends
// and checks ticks, and drains the readers' set now and then itself, so a
// busy scheduler delays reads by one round at most (on a node without
// scheduler threads it is the reader).
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "dist/kernel.hpp"
#include "otp/runtime/logger.hpp"

namespace otp::dist_detail {

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kReadBudget = 1024 * 1024;  // per connection per round: fairness
const std::uint8_t kTick[4] = {0, 0, 0, 0};
}  // namespace

std::int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

connection::connection(std::string p) : peer(std::move(p)), created_ms(now_ms()) {}

void kernel::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof(one));
}

void kernel::io_loop() {
  const auto tick_interval = opts_.ticktime.count() / 4;
  const int poll_ms = static_cast<int>(std::clamp<std::int64_t>(tick_interval / 2, 10, 1000));
  std::vector<pollfd> fds;
  std::vector<std::shared_ptr<connection>> polled;
  bool epmd_open = true;
  std::int64_t accept_again_ms = 0;  // out of descriptors: the listener rests until then
  while (!stopping_.load()) {
    fds.clear();
    polled.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({now_ms() >= accept_again_ms ? listener_.get() : -1, POLLIN, 0});
    fds.push_back({epmd_open ? epmd_.socket.get() : -1, POLLIN, 0});
    fds.push_back({workers_read_ ? -1 : epoll_fd_, POLLIN, 0});
    {
      std::lock_guard lock(table_mu_);
      for (auto& [name, c] : table_) {
        std::lock_guard cl(c->mu);
        if (c->st != connection::state::up || c->out.size() == c->out_off) continue;
        fds.push_back({c->fd.get(), POLLOUT, 0});
        polled.push_back(c);
      }
    }
    // A resting listener comes back when its rest ends, not a round later.
    const std::int64_t rest = accept_again_ms - now_ms();
    const int r =
        ::poll(fds.data(), fds.size(),
               rest > 0 ? static_cast<int>(std::min<std::int64_t>(rest, poll_ms)) : poll_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOMEM) {  // the kernel's, for now: try again shortly
        logger::warning("distribution: poll: {}; retrying in 100 ms", std::strerror(errno));
        ::poll(nullptr, 0, 100);
        continue;
      }
      logger::critical("distribution: poll failed: {}", std::strerror(errno));
      break;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t v;
      [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof(v));
    }
    if ((fds[1].revents & POLLIN) != 0 && !accept_all()) accept_again_ms = now_ms() + 100;
    if (fds[2].revents != 0) {
      // epmd closed the registration (it died): the node goes on, but new
      // peers cannot find it by name until it restarts distribution.
      logger::warning("distribution: epmd closed the registration of {}", self_.name);
      epmd_open = false;
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      // POLLHUP or POLLERR: the reader sees the end; the write finds out too.
      if (fds[i + 4].revents == 0) continue;
      std::lock_guard cl(polled[i]->mu);
      if (polled[i]->st == connection::state::up) flush_locked(*polled[i]);
    }
    if (!workers_read_)
      drain();
    else
      otp::detail::try_drain_io(node_.impl());  // unless a worker waits on it or drains it
    tick(now_ms());
    reap_jobs(false);
  }
}

bool kernel::accept_all() {
  for (;;) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      out_of_fds_logged_ = false;
      start_job(&kernel::run_accept, nullptr, fd);
      continue;
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      // The pending connection stays queued; polling the listener now
      // would only spin.
      if (!out_of_fds_logged_)
        logger::error("distribution: cannot accept a connection ({}): pausing accepts",
                      std::strerror(errno));
      out_of_fds_logged_ = true;
      return false;
    }
    return true;  // EAGAIN, or the peer gave up (ECONNABORTED, ...)
  }
}

void kernel::drain() noexcept {
  epoll_event events[64];
  const int n = ::epoll_wait(epoll_fd_, events, 64, 0);
  for (int i = 0; i < n; ++i) {
    std::shared_ptr<connection> c;
    {
      std::lock_guard lock(readers_mu_);
      auto it = readers_.find(static_cast<const connection*>(events[i].data.ptr));
      if (it == readers_.end()) continue;  // down meanwhile
      c = it->second;
    }
    read_from(c);
  }
}

bool kernel::watch_reads(const std::shared_ptr<connection>& c) {
  {
    std::lock_guard lock(readers_mu_);
    readers_[c.get()] = c;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = c.get();
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd.get(), &ev) == 0) return true;
  logger::error("distribution: cannot watch the connection to {} ({}): it closes", c->peer,
                std::strerror(errno));
  return false;
}

void kernel::unwatch_reads(connection& c) {
  if (c.fd) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd.get(), nullptr);
  std::lock_guard lock(readers_mu_);
  readers_.erase(&c);
}

void kernel::read_from(const std::shared_ptr<connection>& c) {
  std::size_t budget = kReadBudget;
  while (budget > 0) {
    // Read into a buffer of the reading thread, then keep what came: growing
    // c->in by a whole chunk first would zero 64 KiB per read.
    static thread_local std::array<std::uint8_t, kReadChunk> chunk;
    const ssize_t n = ::recv(c->fd.get(), chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n > 0) c->in.insert(c->in.end(), chunk.data(), chunk.data() + n);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      take_down(c, "connection_closed");
      return;
    }
    if (n < 0) break;
    budget -= std::min(budget, static_cast<std::size_t>(n));
    c->last_recv.store(now_ms());
    // Whole frames: a 4-byte length, then that many bytes (0: a tick).
    std::size_t off = 0;
    while (c->in.size() - off >= 4) {
      const std::size_t len = get_u32(c->in.data() + off);
      if (len > opts_.max_frame_bytes) {
        logger::error(
            "distribution: node {} sent a frame of {} bytes (the limit is {}): "
            "connection closed",
            c->peer, len, opts_.max_frame_bytes);
        take_down(c, "bad_frame");
        return;
      }
      if (c->in.size() - off - 4 < len) break;
      // Taken down meanwhile (by another thread): what is still buffered
      // belongs to a connection that is over. (Only up connections are read.)
      if (c->down.load(std::memory_order_acquire)) return;
      if (len > 0) handle_frame(c, std::span<const std::uint8_t>(c->in.data() + off + 4, len));
      off += 4 + len;
    }
    c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(off));
  }
}

void kernel::tick(std::int64_t now) {
  const std::int64_t ticktime = opts_.ticktime.count();
  std::vector<std::shared_ptr<connection>> silent;
  std::vector<std::shared_ptr<connection>> idle;
  std::vector<std::shared_ptr<connection>> stuck;
  const std::int64_t setup_limit = opts_.setup_time.count() + 1000;
  {
    std::lock_guard lock(table_mu_);
    for (auto& [name, c] : table_) {
      std::lock_guard cl(c->mu);
      if (c->st == connection::state::pending && now - c->created_ms > setup_limit)
        stuck.push_back(c);  // every attempt for it ended without ending it
      if (c->st != connection::state::up) continue;
      if (now - c->last_recv.load() > ticktime)
        silent.push_back(c);
      else if (now - c->last_send.load() >= ticktime / 4)
        idle.push_back(c);
    }
  }
  for (auto& c : silent) {
    logger::warning("distribution: node {} sent nothing for {} ms: declared down", c->peer,
                    now - c->last_recv.load());
    take_down(c, "net_tick_timeout");
  }
  for (auto& c : idle) enqueue(c, kTick);
  for (auto& c : stuck) take_down(c, "connection_setup_failed");
}

void kernel::flush_locked(connection& c) {
  while (c.out.size() > c.out_off) {
    const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<std::size_t>(n);
      c.last_send.store(now_ms());
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EAGAIN: the I/O thread polls for POLLOUT; an error: its read sees the end
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  } else if (c.out_off > (std::size_t{1} << 20)) {
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_off));
    c.out_off = 0;
  }
}

namespace {

/// Connections a process of this scheduler thread wrote to in its run: one
/// write each when the run ends, instead of one per message.
thread_local std::vector<std::pair<std::shared_ptr<kernel>, std::shared_ptr<connection>>>
    t_deferred;

void flush_deferred() {
  auto pending = std::move(t_deferred);
  t_deferred.clear();
  for (auto& [k, c] : pending) k->flush_now(c);
}

}  // namespace

void kernel::flush_now(const std::shared_ptr<connection>& c) {
  bool blocked = false;
  {
    std::lock_guard cl(c->mu);
    if (c->st != connection::state::up) return;
    flush_locked(*c);
    blocked = c->out.size() > c->out_off;
  }
  if (blocked) wake();
}

bool kernel::enqueue(const std::shared_ptr<connection>& c, std::span<const std::uint8_t> bytes,
                     const std::function<void(connection&)>& record) {
  bool overflow = false;
  bool blocked = false;
  bool deferred = false;
  {
    std::lock_guard cl(c->mu);
    if (c->st == connection::state::down) return false;
    if (record) record(*c);
    c->out.insert(c->out.end(), bytes.begin(), bytes.end());
    if (c->st == connection::state::up) {
      const std::size_t queued = c->out.size() - c->out_off;
      if (queued < kDeferBytes && otp::detail::in_scheduler_slice()) {
        deferred = true;  // written when the process's run ends
      } else {
        if (queued == bytes.size() || queued >= kDeferBytes) flush_locked(*c);
        blocked = c->out.size() > c->out_off;
      }
    }
    overflow = c->out.size() - c->out_off > opts_.max_output_bytes;
  }
  if (deferred) {
    bool known = false;
    for (const auto& d : t_deferred) known = known || d.second == c;
    if (!known) t_deferred.emplace_back(shared_from_this(), c);
    otp::detail::at_slice_end(&flush_deferred);
  }
  if (overflow) {
    logger::error(
        "distribution: more than {} bytes queued for node {}, which does not read: "
        "connection closed",
        opts_.max_output_bytes, c->peer);
    take_down(c, "output_overflow");
  } else if (blocked) {
    wake();  // the I/O thread writes the rest when the socket takes it
  }
  return true;
}

void kernel::take_down(const std::shared_ptr<connection>& c, const std::string& reason) {
  bool was_up = false;
  {
    std::lock_guard lock(table_mu_);
    {
      std::lock_guard cl(c->mu);
      if (c->st == connection::state::down) return;
      was_up = c->st == connection::state::up;
      c->st = connection::state::down;
      c->down.store(true, std::memory_order_release);
      c->out.clear();
      c->out_off = 0;
      unwatch_reads(*c);
      if (c->fd) ::shutdown(c->fd.get(), SHUT_RDWR);  // closed with the last reference
    }
    if (auto it = table_.find(c->peer); it != table_.end() && it->second == c) table_.erase(it);
  }
  table_cv_.notify_all();
  fire_noconnection(*c);
  if (was_up) logger::notice("distribution: node {} down: {}", c->peer, reason);
  notify_down(c->peer, reason, was_up);
  wake();
}

}  // namespace otp::dist_detail

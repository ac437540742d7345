// The kernel's start and stop, and connection setup: connect and accept
// threads, the simultaneous-connect rule, and installing a connection once
// its handshake is done.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dist/kernel.hpp"
#include "dist/node_options.hpp"
#include "dist/node_table.hpp"
#include "otp/runtime/detail/runtime.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/logger.hpp"

namespace otp::dist_detail {

namespace {

/// The running kernels, by node.
std::mutex g_kernels_mu;
std::unordered_map<const otp::detail::node_impl*, std::weak_ptr<kernel>> g_kernels;

}  // namespace

std::shared_ptr<kernel> kernel_of(otp::detail::node_impl& n) {
  std::lock_guard lock(g_kernels_mu);
  auto it = g_kernels.find(&n);
  return it == g_kernels.end() ? nullptr : it->second.lock();
}

std::shared_ptr<kernel> kernel_here(const char* what) {
  std::shared_ptr<kernel> k = kernel_of(otp::detail::require_node(what));
  if (k == nullptr) throw badarg(std::string(what) + ": the node has no net_kernel");
  return k;
}

kernel::kernel(node& n, net_kernel_options o) : node_(n), opts_(std::move(o)), local_id_(n.id()) {
  if (opts_.ticktime < std::chrono::milliseconds(400))
    throw dist_error("net_kernel: a ticktime under 400 ms");
  self_.name = full_name(opts_);
  self_.cookie = cookie_of(opts_);
  epmd_port_ = epmd_port_of(opts_);
  try {
    listener_ = listen_tcp(opts_.listen_port);
  } catch (const setup_error& e) {
    throw dist_error(std::string("net_kernel: ") + e.what());
  }
  port_ = local_port(listener_.get());
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw dist_error("net_kernel: eventfd failed");
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    ::close(wake_fd_);
    throw dist_error("net_kernel: epoll_create1 failed");
  }
}

kernel::~kernel() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void kernel::start() {
  const std::string alive = self_.name.substr(0, self_.name.find('@'));
  try {
    epmd_ = epmd_register(epmd_port_, alive, port_, true,
                          std::chrono::steady_clock::now() + opts_.setup_time);
  } catch (const setup_error& e) {
    throw dist_error("net_kernel: cannot register " + self_.name + " with epmd on port " +
                     std::to_string(epmd_port_) + ": " + e.what());
  }
  self_.creation = epmd_.creation;
  if (!otp::detail::install_remote_router(node_.impl(), this)) {
    epmd_.socket = fd_handle();
    throw dist_error("net_kernel: the node already has a net_kernel");
  }
  name_local_node(local_id_, self_.name, self_.creation);
  {
    std::lock_guard lock(g_kernels_mu);
    g_kernels[&node_.impl()] = weak_from_this();
  }
  started_ = true;
  workers_read_ = otp::detail::install_io_source(node_.impl(), this);
  io_server_ = node_.spawn(io_server);
  io_ = std::thread([this] { io_loop(); });
}

void kernel::stop() noexcept {
  if (!started_ || stopping_.exchange(true)) return;
  {
    std::lock_guard lock(g_kernels_mu);
    g_kernels.erase(&node_.impl());
  }
  otp::detail::remove_remote_router(node_.impl());
  if (workers_read_) otp::detail::remove_io_source(node_.impl());
  wake();
  io_.join();
  reap_jobs(true);
  std::vector<std::shared_ptr<connection>> all;
  {
    std::lock_guard lock(table_mu_);
    for (auto& [name, c] : table_) all.push_back(c);
  }
  for (auto& c : all) take_down(c, "net_kernel_terminated");
  epmd_.socket = fd_handle();
  node_.exit(io_server_, exit_reason::kill());
  unname_local_node(local_id_);
}

std::shared_ptr<connection> kernel::connection_to(const std::string& peer) {
  std::unique_lock lock(table_mu_);
  if (auto it = table_.find(peer); it != table_.end()) return it->second;
  auto c = std::make_shared<connection>(peer);
  table_.emplace(peer, c);
  lock.unlock();
  start_job(&kernel::run_connect, c, -1);
  return c;
}

void kernel::start_job(void (kernel::*fn)(setup_job&, std::shared_ptr<connection>, int),
                       std::shared_ptr<connection> c, int fd) {
  {
    std::lock_guard lock(jobs_mu_);
    if (!jobs_closed_ && jobs_.size() < kMaxSetupJobs) {
      setup_job& job = jobs_.emplace_back();
      job.fd.store(fd);
      try {
        job.thread = std::thread([this, fn, &job, c, fd]() mutable {
          (this->*fn)(job, std::move(c), fd);
          job.done.store(true);
          wake();
        });
        return;
      } catch (const std::system_error& e) {
        jobs_.pop_back();
        logger::error("distribution: cannot start a setup thread: {}", e.what());
      }
    } else if (!jobs_closed_ && ++refused_setups_ % 1000 == 1) {
      // One line per thousand: a flood of connections is not a flood of logs.
      logger::warning("distribution: {} connection setups at once: refused another ({} so far)",
                      kMaxSetupJobs, refused_setups_);
    }
  }
  if (fd >= 0) ::close(fd);  // an accepted socket nobody will set up
  if (c != nullptr) take_down(c, "connection_setup_failed");
}

void kernel::reap_jobs(bool all) {
  std::list<setup_job> finished;
  {
    std::lock_guard lock(jobs_mu_);
    if (all) jobs_closed_ = true;  // no job starts from now on
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (all) {
        if (int fd = it->fd.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
      }
      if (all || it->done.load()) {
        auto next = std::next(it);
        finished.splice(finished.end(), jobs_, it);
        it = next;
      } else {
        ++it;
      }
    }
  }
  for (auto& j : finished) j.thread.join();
  if (all) {  // a job that finished meanwhile may have started no other: none run now
    std::lock_guard lock(jobs_mu_);
    for (auto& j : jobs_) j.thread.join();
    jobs_.clear();
  }
}

void kernel::run_connect(setup_job& job, std::shared_ptr<connection> c, int /*unused*/) {
  const auto until = std::chrono::steady_clock::now() + opts_.setup_time;
  const auto at = c->peer.find('@');
  fd_handle fd;       // outlives the job's note of it (stop may shut it down)
  auto ours = [&c] {  // the peer's connection to this node has not taken over
    std::lock_guard cl(c->mu);
    return c->st == connection::state::pending && !c->accepting;
  };
  try {
    if (at == std::string::npos) throw setup_error("'" + c->peer + "' is not a node name");
    const std::string alive = c->peer.substr(0, at);
    const std::string host = c->peer.substr(at + 1);
    const std::uint16_t port = epmd_port_please(host, epmd_port_, alive, until);
    fd = connect_tcp(host, port, until);
    job.fd.store(fd.get());
    {
      std::lock_guard cl(c->mu);
      if (c->st != connection::state::pending || c->accepting) throw lost_race("superseded");
      c->connect_fd = fd.get();  // ok_simultaneous shuts it down (decide)
    }
    const peer_info info = handshake_connect(fd.get(), self_, c->peer, until, ours);
    {
      std::lock_guard cl(c->mu);
      c->connect_fd = -1;
    }
    job.fd.store(-1);
    install(c, std::move(fd), info, false);
  } catch (const std::exception& e) {
    {
      std::lock_guard cl(c->mu);
      c->connect_fd = -1;
    }
    job.fd.store(-1);
    // Lost to the peer's own connection to this node: that one is installed
    // instead (or, if it fails, the connection ends at its setup deadline).
    if (dynamic_cast<const lost_race*>(&e) != nullptr || !ours()) return;
    if (!stopping_.load())
      logger::warning("distribution: cannot connect to {}: {}", c->peer, e.what());
    take_down(c, "connection_setup_failed");
  }
}

void kernel::run_accept(setup_job& job, std::shared_ptr<connection> /*unused*/, int raw) {
  fd_handle fd(raw);
  const auto until = std::chrono::steady_clock::now() + opts_.setup_time;
  std::string peer;
  try {
    const peer_info info = handshake_accept(
        fd.get(), self_,
        [this, &peer](const std::string& p) {
          peer = p;
          return decide(p);
        },
        until);
    job.fd.store(-1);
    std::shared_ptr<connection> c;
    {
      std::lock_guard lock(table_mu_);
      auto& slot = table_[info.name];
      if (slot == nullptr) slot = std::make_shared<connection>(info.name);
      c = slot;
    }
    install(c, std::move(fd), info, true);
  } catch (const std::exception& e) {
    job.fd.store(-1);
    if (dynamic_cast<const lost_race*>(&e) == nullptr && !stopping_.load())
      logger::error("distribution: {}", e.what());
    // This side gave up its own attempt for this one (ok_simultaneous): the
    // pending connection ends here, not at its deadline.
    std::shared_ptr<connection> c;
    {
      std::lock_guard lock(table_mu_);
      if (auto it = table_.find(peer); it != table_.end()) c = it->second;
    }
    if (c != nullptr) {
      bool ours = false;
      {
        std::lock_guard cl(c->mu);
        ours = c->accepting && c->st == connection::state::pending;
      }
      if (ours) take_down(c, "connection_setup_failed");
    }
  }
}

accept_verdict kernel::decide(const std::string& peer) {
  if (peer == self_.name || stopping_.load()) return accept_verdict::not_allowed;
  std::lock_guard lock(table_mu_);
  auto it = table_.find(peer);
  if (it == table_.end()) return accept_verdict::ok;
  connection& c = *it->second;
  std::lock_guard cl(c.mu);
  if (c.st == connection::state::up) return accept_verdict::alive;
  // Both sides are connecting: the connection made by the node with the
  // greater name survives (erts compares the names as atoms).
  if (self_.name > peer) return accept_verdict::nok;
  c.accepting = true;  // this side's own attempt is abandoned
  if (c.connect_fd >= 0) ::shutdown(c.connect_fd, SHUT_RDWR);
  return accept_verdict::ok_simultaneous;
}

void kernel::install(const std::shared_ptr<connection>& c, fd_handle fd, const peer_info& info,
                     bool accepted) {
  make_nonblocking(fd.get());
  std::shared_ptr<connection> old;
  std::shared_ptr<connection> target = c;
  {
    std::lock_guard lock(table_mu_);
    auto it = table_.find(info.name);
    if (it == table_.end() || it->second != c || stopping_.load()) return;  // ended meanwhile
    std::unique_lock cl(c->mu);
    if (c->st == connection::state::up) {
      if (!accepted) return;  // the peer's connection won: this one closes
      // The peer said its old connection is dead (status alive, true): the
      // new one takes its place in one step; the old goes down below.
      cl.unlock();
      old = c;
      target = std::make_shared<connection>(info.name);
      it->second = target;
    }
  }
  if (old != nullptr) take_down(old, "connection_closed");
  bool watched = false;
  {
    std::lock_guard lock(table_mu_);
    std::lock_guard cl(target->mu);
    if (target->st != connection::state::pending || stopping_.load()) return;  // fd closes
    target->fd = std::move(fd);
    target->peer_id = node_id_of(info.name, info.creation);
    target->creation = info.creation;
    target->flags = info.flags;
    target->last_recv.store(now_ms());
    target->last_send.store(now_ms());
    target->st = connection::state::up;
    flush_locked(*target);
    // Told while the connection cannot go down yet: nodeup before nodedown,
    // and before anything the readers deliver from it.
    notify_up(*target);
    watched = watch_reads(target);
  }
  table_cv_.notify_all();
  if (!watched) {
    take_down(target, "connection_setup_failed");
    return;
  }
  refuse_spawns_without_flag(*target);
  logger::info("distribution: connected to {}", info.name);
  wake();
}

}  // namespace otp::dist_detail

// otp::net_kernel's API, and the kernel's node queries and watchers.
#include "otp/dist/net_kernel.hpp"

#include <algorithm>

#include "dist/kernel.hpp"

namespace otp::dist_detail {

std::vector<std::string> kernel::nodes() const {
  std::vector<std::string> out;
  {
    std::lock_guard lock(table_mu_);
    for (const auto& [name, c] : table_) {
      std::lock_guard cl(c->mu);
      if (c->st == connection::state::up) out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool kernel::connect_node(std::string_view peer_name) {
  const std::string peer(peer_name);
  if (peer == self_.name) return true;
  if (stopping_.load()) return false;
  std::shared_ptr<connection> c = connection_to(peer);
  std::unique_lock lock(table_mu_);
  table_cv_.wait_for(lock, opts_.setup_time + std::chrono::seconds(1), [&] {
    std::lock_guard cl(c->mu);
    return c->st != connection::state::pending;
  });
  std::lock_guard cl(c->mu);
  return c->st == connection::state::up;
}

bool kernel::disconnect_node(std::string_view peer) {
  std::shared_ptr<connection> c;
  {
    std::lock_guard lock(table_mu_);
    auto it = table_.find(std::string(peer));
    if (it == table_.end()) return false;
    c = it->second;
  }
  take_down(c, "disconnect");
  return true;
}

void kernel::monitor_node(pid watcher, std::string_view peer_name, bool on) {
  const std::string peer(peer_name);
  if (peer == self_.name) return;
  {
    std::lock_guard lock(watch_mu_);
    if (!on) {
      auto range = node_watchers_.equal_range(peer);
      for (auto it = range.first; it != range.second; ++it)
        if (it->second == watcher) {
          node_watchers_.erase(it);
          break;
        }
      return;
    }
    node_watchers_.emplace(peer, watcher);
  }
  if (stopping_.load()) {
    notify_down(peer, "net_kernel_terminated", false);
    return;
  }
  (void)connection_to(peer);  // connects when not connected; a failure tells the watcher
}

void kernel::monitor_nodes(pid watcher, bool on) {
  std::lock_guard lock(watch_mu_);
  auto it = std::find(all_watchers_.begin(), all_watchers_.end(), watcher);
  if (on && it == all_watchers_.end()) all_watchers_.push_back(watcher);
  if (!on && it != all_watchers_.end()) all_watchers_.erase(it);
}

void kernel::notify_up(const connection& c) {
  std::vector<pid> to;
  {
    std::lock_guard lock(watch_mu_);
    to = all_watchers_;
  }
  // This node is hidden: every connection it has is a hidden one (the
  // peer lists it in nodes(hidden), and it lists the peer there too).
  for (pid w : to) node_.send(w, nodeup_msg{c.peer, true});
}

void kernel::notify_down(const std::string& peer, const std::string& reason, bool was_up) {
  std::vector<pid> to;
  {
    std::lock_guard lock(watch_mu_);
    auto range = node_watchers_.equal_range(peer);
    for (auto it = range.first; it != range.second; ++it) to.push_back(it->second);
    node_watchers_.erase(range.first, range.second);
    if (was_up) to.insert(to.end(), all_watchers_.begin(), all_watchers_.end());
  }
  for (pid w : to) node_.send(w, nodedown_msg{peer, reason});
}

}  // namespace otp::dist_detail

namespace otp {

net_kernel::net_kernel(node& n, net_kernel_options opts)
    : k_(std::make_shared<dist_detail::kernel>(n, std::move(opts))) {
  k_->start();
}

net_kernel::~net_kernel() { k_->stop(); }

const std::string& net_kernel::name() const noexcept { return k_->name(); }
std::uint32_t net_kernel::creation() const noexcept { return k_->creation(); }
const std::string& net_kernel::cookie() const noexcept { return k_->cookie(); }
std::uint16_t net_kernel::port() const noexcept { return k_->port(); }
std::vector<std::string> net_kernel::nodes() const { return k_->nodes(); }
bool net_kernel::connect_node(std::string_view node) { return k_->connect_node(node); }
void net_kernel::register_spawnable(std::string module, std::string function, spawnable fn) {
  k_->register_spawnable(std::move(module), std::move(function), std::move(fn));
}
bool net_kernel::disconnect_node(std::string_view node) { return k_->disconnect_node(node); }
void net_kernel::send_term(std::string_view name, std::string_view node, term msg) {
  k_->send_reg(name, node, msg);
}
void net_kernel::monitor_node(pid watcher, std::string_view node, bool on) {
  k_->monitor_node(watcher, node, on);
}
void net_kernel::monitor_nodes(pid watcher, bool on) { k_->monitor_nodes(watcher, on); }

}  // namespace otp

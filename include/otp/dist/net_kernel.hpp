// otp::net_kernel: makes an otp::node a node of an Erlang cluster, through
// the Erlang distribution protocol (epmd, the version 6 handshake with the
// cookie, ticks), so that BEAM nodes and other C++ nodes reach its
// processes by pid and by registered name, and its processes reach theirs.
//
//   otp::node n;
//   otp::net_kernel_options o;
//   o.name = "cpp";                                   // cpp@host
//   o.cookie = "secret";
//   otp::net_kernel dist(n, o);
//   n.register_name("echo", n.spawn(echo_loop));      // erl: {echo, 'cpp@host'} ! {self(), hi}
//   dist.send("shell", "erl@host", otp::term::atom("hello"));
//
// A send to a pid of another node goes through the node's usual send
// (otp::send, node::send) and carries an otp::term: convert a C++ value with
// otp::to_term (a message of another type is dropped, with one log line per
// type). Messages from other nodes arrive as otp::term (receive<otp::term>);
// otp::from_term<T> gives the C++ value back.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/dist/dist_error.hpp"
#include "otp/dist/node_events.hpp"
#include "otp/dist/remote_spawn.hpp"
#include "otp/dist/term.hpp"
#include "otp/dist/term_codec.hpp"
#include "otp/runtime/node.hpp"

namespace otp {

/// How a node joins the cluster. @mirrors erl's -sname/-name, -setcookie,
///   net_ticktime, ERL_EPMD_PORT, -hidden
struct net_kernel_options {
  /// `alive` or `alive@host`. Without a host, the host is this machine's
  /// name: its first label with short names, the whole of it with long ones.
  std::string name;
  /// `-name` (true) or `-sname` (false).
  bool long_names = false;
  /// The cookie; unset: `$HOME/.erlang.cookie`, created with 20 random
  /// capitals (mode 0400) when it does not exist, as erl does.
  std::optional<std::string> cookie;
  /// net_ticktime: a connection on which nothing arrived for this long is
  /// declared down; a tick is sent after a quarter of it without traffic.
  std::chrono::milliseconds ticktime{std::chrono::seconds(60)};
  /// epmd's port; unset: $ERL_EPMD_PORT, else 4369.
  std::optional<std::uint16_t> epmd_port;
  /// The port to accept connections on (0: any free one).
  std::uint16_t listen_port = 0;
  /// net_setuptime: how long a connection's setup (epmd lookup, connect,
  /// handshake) may take.
  std::chrono::milliseconds setup_time{std::chrono::seconds(7)};
  /// Frames larger than this from a peer drop its connection (bad_frame).
  std::size_t max_frame_bytes = std::size_t{64} << 20;
  /// Bytes queued for a peer that does not read beyond this drop its
  /// connection (output_overflow) rather than exhaust memory.
  std::size_t max_output_bytes = std::size_t{256} << 20;
};

namespace dist_detail {
class kernel;
}

/// Distribution for one node, from construction to destruction: registered
/// with epmd, accepting and making connections (one per peer, simultaneous
/// connects resolved as erts does), ticking, and routing the node's sends to
/// other nodes' pids. The node is hidden (erlang:nodes(hidden) lists it).
/// Destroying it closes every connection (nodedown, net_kernel_terminated)
/// and unregisters the name. The node must outlive it.
/// @threadsafe Yes. @mirrors net_kernel
class net_kernel {
 public:
  /// Starts distribution for `n`.
  /// @throws otp::dist_error when the name is invalid, there is no cookie,
  ///   epmd is not reachable or the name is taken, `n` already has a
  ///   net_kernel, or no port can be listened on.
  /// @mirrors net_kernel:start/2
  net_kernel(node& n, net_kernel_options opts);
  ~net_kernel();
  net_kernel(const net_kernel&) = delete;
  net_kernel& operator=(const net_kernel&) = delete;

  /// This node's full name, `alive@host`. @mirrors erlang:node/0
  const std::string& name() const noexcept;
  /// The creation epmd gave this incarnation. @mirrors erlang:system_info(creation)
  std::uint32_t creation() const noexcept;
  /// The cookie in use. @mirrors erlang:get_cookie/0
  const std::string& cookie() const noexcept;
  /// The port connections are accepted on.
  std::uint16_t port() const noexcept;

  /// The nodes with a connection up, sorted. @mirrors erlang:nodes(connected)
  std::vector<std::string> nodes() const;

  /// Connects to `node` unless connected, waiting up to setup_time. True
  /// when the connection is up. Blocks the calling thread: call it from a
  /// thread, or from a process that may block (otp::blocking).
  /// @mirrors net_kernel:connect_node/1
  bool connect_node(std::string_view node);

  /// Closes the connection to `node` (nodedown, disconnect). False when
  /// there was none. @mirrors erlang:disconnect_node/1
  bool disconnect_node(std::string_view node);

  /// Sends `msg` to the process registered as `name` on `node`, connecting
  /// first when needed; dropped when that fails, or when no process has the
  /// name there. The sender (Erlang's From) is the calling process, or this
  /// node's pid 0 outside one. @mirrors erlang:send({Name, Node}, Msg)
  template <class T>
  void send(std::string_view name, std::string_view node, const T& msg) {
    send_term(name, node, to_term(msg));
  }
  void send_term(std::string_view name, std::string_view node, term msg);

  /// With `on`, `watcher` gets a nodedown_msg when the connection to `node`
  /// goes down or cannot be made (connecting now when not connected), once
  /// per call; without, one such request is removed.
  /// @mirrors erlang:monitor_node/2
  void monitor_node(pid watcher, std::string_view node, bool on);

  /// With `on`, `watcher` gets a nodeup_msg and a nodedown_msg for every
  /// connection up and down; without, it stops. @mirrors
  ///   net_kernel:monitor_nodes(Flag, [{node_type, all}, nodedown_reason])
  void monitor_nodes(pid watcher, bool on);

  /// Lets other nodes spawn `fn` as `module:function` (erlang:spawn/4 and
  /// spawn_request, otp::spawn_remote), replacing an earlier one of that
  /// name. The process gets the argument list.
  void register_spawnable(std::string module, std::string function, spawnable fn);

 private:
  std::shared_ptr<dist_detail::kernel> k_;
};

}  // namespace otp

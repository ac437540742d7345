// The distribution's engine behind otp::net_kernel: the connection table,
// the setup threads (epmd lookup, connect, handshake), the readers (the
// node's idle scheduler threads wait on an epoll set of the connections and
// read them, so a message runs on the thread that read it), the I/O thread
// (one poll loop over the listening socket, epmd, blocked writes and ticks;
// it reads the connections itself only on a node without scheduler threads)
// and the routing of the node's remote sends.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "dist/epmd.hpp"
#include "dist/handshake.hpp"
#include "dist/socket.hpp"
#include "otp/dist/gen_call.hpp"
#include "otp/dist/net_kernel.hpp"
#include "otp/dist/remote_spawn.hpp"
#include "otp/runtime/detail/io_source.hpp"
#include "otp/runtime/detail/remote_router.hpp"

namespace otp::dist_detail {

/// One peer node's connection, from the first send or accept to its end.
struct connection {
  explicit connection(std::string p);
  enum class state : std::uint8_t { pending, up, down };

  const std::string peer;  ///< its full node name
  std::mutex mu;
  state st = state::pending;  ///< mu
  /// st == down, readable without mu: what the reader checks between the
  /// frames of one read (a sender's write holds mu through send()).
  std::atomic<bool> down{false};
  fd_handle fd;                   ///< mu to set; valid from up to destruction
  std::uint32_t peer_id = 0;      ///< the node id of its incarnation (from up)
  std::uint32_t creation = 0;     ///< its creation (from up)
  std::uint64_t flags = 0;        ///< what it advertised (from up)
  const std::int64_t created_ms;  ///< a pending connection ends setup_time after
  bool accepting = false;  ///< mu: this side answered ok_simultaneous: the peer's attempt wins
  int connect_fd = -1;     ///< mu: the socket of this side's own attempt, while it runs
  std::vector<std::uint8_t> out;           ///< mu: bytes to write, from out_off
  std::size_t out_off = 0;                 ///< mu
  std::atomic<std::int64_t> last_send{0};  ///< steady ms of the last write
  std::atomic<std::int64_t> last_recv{0};  ///< steady ms of the last read
  std::vector<std::uint8_t> in;            ///< the reader only: bytes of frames not complete yet

  // What fires with noconnection when the connection goes down (mu):
  /// Links between a local pid (first) and a pid of the peer (second).
  std::set<std::pair<pid, pid>> links;
  /// A monitor of one of the peer's processes.
  struct out_monitor {
    pid watcher;       ///< the local process that holds it
    pid target;        ///< the peer's process (or, by name, a pid standing for it)
    std::string name;  ///< a monitor by name: the name
  };
  /// The node's monitors of the peer's processes, by ref id.
  std::map<std::uint64_t, out_monitor> out_monitors;
  /// The peer's monitors of the node's processes, by the id given them here.
  struct peer_monitor {
    term ref;     ///< the peer's reference
    term target;  ///< as the peer named it: a pid or a registered name
    pid local;    ///< the monitored process
    pid watcher;  ///< the peer's process
  };
  std::map<std::uint64_t, peer_monitor> in_monitors;
  /// This node's spawn requests waiting for the peer's reply: ref id -> caller.
  std::map<std::uint64_t, pid> spawn_requests;
  std::unordered_map<std::string, std::uint64_t> in_refs;  ///< printed peer ref -> id
};

/// A setup thread (a connect or an accept) and the socket it works on, so
/// stopping can cut it short.
struct setup_job {
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<int> fd{-1};
};

class kernel final : public otp::detail::remote_router,
                     public otp::detail::io_source,
                     public std::enable_shared_from_this<kernel> {
 public:
  kernel(node& n, net_kernel_options o);
  ~kernel();

  /// Registers with epmd, installs the router and the readers, starts the
  /// I/O thread.
  void start();
  /// Undoes start: every connection down (net_kernel_terminated).
  void stop() noexcept;

  void route(pid to, otp::detail::envelope* e) noexcept override;
  /// The epoll set of the up connections (io_source).
  int fd() const noexcept override { return epoll_fd_; }
  /// Reads every connection the epoll set has ready, within each one's
  /// read budget (io_source: one thread at a time).
  void drain() noexcept override;

  const std::string& name() const noexcept { return self_.name; }
  std::uint32_t creation() const noexcept { return self_.creation; }
  const std::string& cookie() const noexcept { return self_.cookie; }
  std::uint16_t port() const noexcept { return port_; }
  std::vector<std::string> nodes() const;
  bool connect_node(std::string_view peer);
  bool disconnect_node(std::string_view peer);
  void send_reg(std::string_view to_name, std::string_view peer, const term& msg);
  void monitor_node(pid watcher, std::string_view peer, bool on);
  /// The calling process's monitor of `name` on `peer` (otp::monitor of a
  /// remote_name).
  ref monitor_name(const std::string& name, const std::string& peer);
  /// Spawns module:function(args) as registered here (a process exiting
  /// with undef when it is not), waiting for a spawn_go message before it
  /// runs. @throws what node::spawn throws.
  pid spawn_waiting(const std::string& module, const std::string& function, term args);
  /// Lets peers spawn `fn` as module:function.
  void register_spawnable(std::string module, std::string function, spawnable fn);
  /// Asks `peer` to spawn module:function(args) for `caller` (SPAWN_REQUEST
  /// with ReqId `req`); the answer reaches `caller` as spawn_reply_term.
  void request_spawn(const std::string& peer, ref req, pid caller, const std::string& module,
                     const std::string& function, term args, remote_spawn_options o);
  void monitor_nodes(pid watcher, bool on);

  /// Aliases of this node that take messages (ALIAS_SEND): gen_call's.
  void add_alias(std::uint64_t id, pid owner);
  void remove_alias(std::uint64_t id);
  /// Writes what `c` has queued now (the end of a scheduler run).
  void flush_now(const std::shared_ptr<connection>& c);

  /// Sends `msg` to `alias` (a reference of another node) by ALIAS_SEND.
  void send_alias(const term& alias, const term& msg);
  /// Answers a gen_server call: {Tag, reply} to the caller's alias or pid.
  void send_reply(const remote_call& c, term reply);

 private:
  // --- setup (kernel_setup.cpp) ---
  std::shared_ptr<connection> connection_to(const std::string& peer);
  void start_job(void (kernel::*fn)(setup_job&, std::shared_ptr<connection>, int),
                 std::shared_ptr<connection> c, int fd);
  void run_connect(setup_job& job, std::shared_ptr<connection> c, int unused);
  void run_accept(setup_job& job, std::shared_ptr<connection> unused, int fd);
  accept_verdict decide(const std::string& peer);
  /// Makes `c` up on `fd`; `accepted`: the peer connected (and may replace
  /// a connection it says is dead), else this side did (and loses to one
  /// already up).
  void install(const std::shared_ptr<connection>& c, fd_handle fd, const peer_info& info,
               bool accepted);
  void reap_jobs(bool all);

  // --- I/O thread (kernel_io.cpp) ---
  void io_loop();
  void wake() noexcept;
  /// Accepts every pending connection; false when out of descriptors (the
  /// listener then rests a while).
  bool accept_all();
  void read_from(const std::shared_ptr<connection>& c);
  /// Adds `c` (up, its fd set; c->mu held) to the readers' epoll set
  /// (false when the kernel refuses: the caller takes it down), and takes
  /// it out again (c->mu held, before its socket is shut).
  bool watch_reads(const std::shared_ptr<connection>& c);
  void unwatch_reads(connection& c);
  void tick(std::int64_t now);
  /// Writes what `c` has queued, as far as the socket takes it (mu held).
  void flush_locked(connection& c);
  /// Queues `bytes` on `c` (any thread): written at once when the socket
  /// takes it, else by the I/O thread. `record` runs under c's lock with
  /// them. False when `c` is down (nothing queued, nothing recorded).
  bool enqueue(const std::shared_ptr<connection>& c, std::span<const std::uint8_t> bytes,
               const std::function<void(connection&)>& record = nullptr);
  /// Ends `c` (any thread; once): out of the table, socket shut, watchers told.
  void take_down(const std::shared_ptr<connection>& c, const std::string& reason);

  // --- frames (kernel_frames.cpp) ---
  /// Logs, once per type and kernel, that a message of type `t` was not sent.
  void warn_not_a_term(const std::type_info& t, pid to);
  void handle_frame(const std::shared_ptr<connection>& c, std::span<const std::uint8_t> f);
  /// The From a REG_SEND or ALIAS_SEND names: the calling process of this
  /// node, else this node's pid 0.
  term sender() const;
  /// Answers a call to this node's net_kernel (net_adm:ping's is_auth).
  void answer_net_kernel(const std::shared_ptr<connection>& c, const term& request);
  void send_frame(const std::string& peer, std::uint32_t creation,
                  std::span<const std::uint8_t> frame);

  // --- links, monitors, exit signals (kernel_signals.cpp) ---
  /// A node ref id as an Erlang reference of this node, and back.
  term ref_term(std::uint64_t id) const;
  std::optional<std::uint64_t> ref_id(const term& t) const;
  /// Writes signal `s` to `to` on `c`. The reason to refuse it with when it
  /// cannot go (nullopt: sent).
  std::optional<exit_reason> route_signal(const std::shared_ptr<connection>& c, pid to,
                                          const otp::detail::signal_envelope& s);
  /// Answers notsup to the spawn requests queued for `c` when its peer came
  /// up without DFLAG_SPAWN (it would never answer them).
  void refuse_spawns_without_flag(connection& c);
  /// A peer's SPAWN_REQUEST (with its argument list) and SPAWN_REPLY.
  void handle_spawn_request(const std::shared_ptr<connection>& c, const tuple_value& ct, term args);
  void handle_spawn_reply(const std::shared_ptr<connection>& c, const tuple_value& ct);
  /// Gives `caller` the answer to its spawn request `id`.
  void answer_spawn(pid caller, std::uint64_t id, term result, std::int64_t flags);
  /// A pid of this incarnation (nullopt for one of another incarnation).
  std::optional<pid> local_pid(const term& t) const;
  /// A pid of `c`'s peer. @throws std::runtime_error for any other pid.
  pid peer_pid_of(const connection& c, const term& t) const;
  /// Runs `fn` on `c` under its lock while it is up; false when it is not.
  static bool record_if_up(connection& c, const std::function<void(connection&)>& fn);
  /// A peer's LINK, EXIT, EXIT2, UNLINK_ID(_ACK), MONITOR_P, DEMONITOR_P,
  /// MONITOR_P_EXIT. @throws on a malformed one (bad_frame)
  void handle_signal(const std::shared_ptr<connection>& c, std::int64_t op,
                     const tuple_value& control);
  /// `c` went down: its links and monitors fire with noconnection.
  void fire_noconnection(connection& c);

  // --- watchers (net_kernel.cpp) ---
  void notify_up(const connection& c);
  void notify_down(const std::string& peer, const std::string& reason, bool was_up);

  node& node_;
  net_kernel_options opts_;
  handshake_self self_;
  std::uint32_t local_id_;
  std::uint16_t port_ = 0;
  std::uint16_t epmd_port_ = 4369;
  fd_handle listener_;
  epmd_registration epmd_;
  int wake_fd_ = -1;
  int epoll_fd_ = -1;  ///< the up connections, for the readers
  /// The node's scheduler threads read (else the I/O thread does).
  bool workers_read_ = false;
  std::mutex readers_mu_;
  /// The connections in the epoll set, by the address its events carry: an
  /// event of a connection that went meanwhile finds nothing.
  std::unordered_map<const connection*, std::shared_ptr<connection>> readers_;  ///< readers_mu_
  bool out_of_fds_logged_ = false;    ///< I/O thread: one log line per shortage
  std::uint64_t refused_setups_ = 0;  ///< jobs_mu_: setups refused at the cap
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::thread io_;

  mutable std::mutex table_mu_;
  std::unordered_map<std::string, std::shared_ptr<connection>> table_;  ///< table_mu_
  std::condition_variable table_cv_;  ///< table_mu_: a connection went up or down

  static constexpr std::size_t kMaxSetupJobs = 64;
  /// A process's sends wait for the end of its run up to this many bytes.
  static constexpr std::size_t kDeferBytes = 64 * 1024;
  std::mutex jobs_mu_;
  std::list<setup_job> jobs_;  ///< jobs_mu_
  bool jobs_closed_ = false;   ///< jobs_mu_: stopping, no job starts

  std::atomic<std::uint64_t> next_peer_monitor_{1};
  pid io_server_;  ///< the group leader of what this node's processes spawn elsewhere
  std::mutex spawn_mu_;
  std::map<std::pair<std::string, std::string>, spawnable> spawnables_;  ///< spawn_mu_

  std::mutex warned_mu_;
  std::set<std::string> warned_types_;  ///< warned_mu_

  std::mutex alias_mu_;
  std::unordered_map<std::uint64_t, pid> aliases_;  ///< alias_mu_

  std::mutex watch_mu_;
  std::unordered_multimap<std::string, pid> node_watchers_;  ///< watch_mu_
  std::vector<pid> all_watchers_;                            ///< watch_mu_
};

/// A frame: its length, the pass-through byte, the control message and the
/// payload (when there is one).
std::vector<std::uint8_t> make_frame(const term& control, const term* payload);

/// Monitors asked by peers get ids with the top bit set: never one of the
/// node's own refs, which a process's monitored_by holds beside them.
inline constexpr std::uint64_t kPeerMonitorBit = std::uint64_t{1} << 63;

/// The group leader this node gives the processes its processes spawn on
/// other nodes: answers Erlang's io protocol (put_chars is written to the
/// log and answered ok; any other request {error, enotsup}), so that a BEAM
/// child that prints does not wait forever.
otp::proc io_server();

/// Element `i` of a control message. @throws std::runtime_error when it is
/// too short.
const term& control_field(const tuple_value& t, std::size_t i);

/// The message spawn_remote waits for: {spawn_reply, Ref, Result, Flags},
/// Result a pid (ok) or an error atom, Flags 1 (linked) | 2 (monitored).
term spawn_reply_term(ref req, term result, std::int64_t flags);

/// The running kernel of node `n`, or null.
std::shared_ptr<kernel> kernel_of(otp::detail::node_impl& n);

/// The running kernel of the calling process's (or mailbox's) node.
/// @throws otp::badarg naming `what` outside a process, or when the node
///   has no net_kernel.
std::shared_ptr<kernel> kernel_here(const char* what);

/// Steady-clock milliseconds.
std::int64_t now_ms() noexcept;

}  // namespace otp::dist_detail

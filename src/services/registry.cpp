// The processes behind otp::registry and the rules that keep its tables
// consistent with the living processes.
//
// Processes: start_link spawns a root (linked to the caller, trapping exits)
// and one owner per partition (trapping exits, linked to the root both ways:
// the owner links at its first run, the root when the owner list reaches it).
// Any exit among them takes all of them down with the same reason, as a
// one_for_all supervisor with no restarts would.
//
// Invariants:
//  1. A partition's tables, `owner`, `generation` and `open` change only under
//     its exclusive lock; readers take the shared lock.
//  2. A process links to the owner before its first entry in a partition
//     exists, from its own context. Its later exit signal therefore reaches
//     the owner after the link, so the owner gets an EXIT for every process
//     with entries, and removes them (drop). A process cannot die while it
//     registers (no scheduling point), and a mailbox that already died is
//     refused (caller()).
//  3. `open` is set only with a live owner. The owner's partition is closed
//     and emptied when its frame is destroyed, whatever ended it (the closer
//     is a parameter of the frame, so even an owner killed before it first
//     ran closes it). An entry added while the owner is dying is removed by
//     that close, which takes the same lock after the owner's death.
//  4. start_link resets each partition under a new generation; an owner of
//     an older generation then changes nothing (drop and close compare it).
//  5. Reads never wait for a process: they take the shared lock and check
//     liveness in the process table.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otp/runtime/messages.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/services/detail/registry_core.hpp"

namespace otp::detail {

namespace {

/// The owners, sent by start_link to the root, which links to them.
struct owners_msg {
  std::vector<pid> owners;
};
/// Asks an owner to answer once it has handled what came before.
struct sync_request {
  pid from;
  ref tag;
};
struct sync_reply {
  ref tag;
};

/// Closes one partition of one generation when the owner's frame goes
/// (invariant 3). Shared only while the owner is being spawned.
class partition_closer {
 public:
  partition_closer(std::shared_ptr<registry_core> core, std::size_t i, std::uint64_t gen)
      : core_(std::move(core)), i_(i), gen_(gen) {}
  ~partition_closer() { core_->close(i_, gen_); }
  partition_closer(const partition_closer&) = delete;
  partition_closer& operator=(const partition_closer&) = delete;

  void drop(pid p) const { core_->drop(i_, gen_, p); }

 private:
  std::shared_ptr<registry_core> core_;
  std::size_t i_;
  std::uint64_t gen_;
};

proc partition_owner(std::shared_ptr<const partition_closer> closer, pid root) {
  otp::link(root);  // we trap exits: a root that is gone arrives as exit_msg{root, noproc}
  for (;;) {
    std::optional<exit_reason> stop;
    co_await otp::receive(
        [&](exit_msg&& e) {
          if (e.from == root)
            stop = std::move(e.reason);
          else
            closer->drop(e.from);
        },
        [](const sync_request& r) { otp::send(r.from, sync_reply{r.tag}); });
    if (stop) otp::exit(std::move(*stop));
  }
}

proc registry_root() {
  owners_msg m = co_await otp::receive<owners_msg>();
  for (pid o : m.owners) otp::link(o);
  exit_msg e = co_await otp::receive<exit_msg>();  // the parent's or an owner's
  otp::exit(std::move(e.reason));
}

}  // namespace

registry_core::registry_core(node_impl& n, std::size_t partitions)
    : node_(&n), nparts_(partitions) {
  if (partitions == 0) throw badarg("registry: partitions must be at least 1");
  parts_ = std::make_unique<registry_partition[]>(partitions);
}

registry_core::~registry_core() = default;

pid registry_core::caller(const char* what) const {
  const context& c = ctx();
  if (c.proc == nullptr)
    throw badarg(std::string(what) +
                 ": not called from a process or a thread with an otp::mailbox");
  if (c.node != node_) throw badarg(std::string(what) + ": the registry belongs to another node");
  const pid me = c.proc->self();
  if (!alive(me)) throw badarg(std::string(what) + ": the calling mailbox's process has exited");
  return me;
}

bool registry_core::is_caller(pid p) noexcept {
  const process* me = ctx().proc;
  return me != nullptr && me->self() == p;
}

bool registry_core::alive(pid p) const noexcept { return is_alive(*node_, p); }

start_result registry_core::start_link(const std::shared_ptr<registry_core>& self) {
  registry_core& c = *self;
  c.caller("registry::start_link");
  std::lock_guard start_lock(c.start_mu_);
  if (c.alive(c.root_)) return start_result::already_started(c.root_);
  const std::uint64_t gen = ++c.generation_;
  for (std::size_t i = 0; i < c.nparts_; ++i) {
    registry_partition& part = c.parts_[i];
    std::unique_lock lk(part.mu);
    part.owner = pid();
    part.open = false;
    part.generation = gen;
    c.clear(i);
  }
  const pid root = otp::spawn_opt({.link = true, .trap_exit = true}, registry_root).child;
  std::vector<pid> owners;
  try {
    for (std::size_t i = 0; i < c.nparts_; ++i)
      owners.push_back(otp::spawn_opt({.trap_exit = true}, partition_owner,
                                      std::make_shared<const partition_closer>(self, i, gen), root)
                           .child);
  } catch (...) {
    // The owners made so far find the root gone when they first run, and exit.
    otp::unlink(root);
    otp::exit(root, exit_reason::kill());
    throw;
  }
  for (std::size_t i = 0; i < c.nparts_; ++i) {
    registry_partition& part = c.parts_[i];
    std::unique_lock lk(part.mu);
    if (part.generation != gen || !c.alive(owners[i])) continue;  // invariant 3
    part.owner = owners[i];
    part.open = true;
  }
  otp::send(root, owners_msg{std::move(owners)});
  c.root_ = root;
  return start_result::ok(root);
}

task<void> registry_core::sync(std::shared_ptr<const registry_core> self) {
  const pid me = self->caller("registry::sync");
  std::vector<ref> pending;
  for (std::size_t i = 0; i < self->nparts_; ++i) {
    pid owner;
    {
      std::shared_lock lk(self->parts_[i].mu);
      owner = self->parts_[i].owner;
    }
    if (owner.is_null()) continue;
    const ref m = otp::monitor(owner);
    otp::send(owner, sync_request{me, m});
    pending.push_back(m);
  }
  for (const ref m : pending) {
    co_await otp::receive(
        otp::when([m](const sync_reply& r) { return r.tag == m; }, [](const sync_reply&) {}),
        otp::when([m](const down_msg& d) { return d.monitor == m; }, [](const down_msg&) {}));
    otp::demonitor(m, {.flush = true});
  }
}

void registry_core::drop(std::size_t i, std::uint64_t gen, pid p) {
  registry_partition& part = parts_[i];
  std::unique_lock lk(part.mu);
  if (part.generation == gen) erase_pid(i, p);
}

void registry_core::close(std::size_t i, std::uint64_t gen) noexcept {
  registry_partition& part = parts_[i];
  std::unique_lock lk(part.mu);
  if (part.generation != gen) return;
  part.owner = pid();
  part.open = false;
  clear(i);
}

}  // namespace otp::detail

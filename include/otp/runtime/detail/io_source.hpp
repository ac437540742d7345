// The hook through which the distribution layer lets a node's idle
// scheduler threads wait on its sockets and read them, so that a message
// from another node runs on the thread that read it, without a hand-off
// (and a wake-up) between an I/O thread and a scheduler thread.
#pragma once

namespace otp::detail {

class node_impl;

/// Something the node's scheduler threads drain: a descriptor that polls
/// readable while there is work, and the non-blocking function that does
/// it. One thread at a time drains a node's source: a parked worker (which
/// waits on fd() instead of sleeping), a busy worker now and then (every 61
/// picks of work), or a thread outside the scheduler through try_drain_io.
class io_source {
 public:
  /// A descriptor that polls readable (POLLIN) while drain() has work.
  virtual int fd() const noexcept = 0;
  /// Handles what is ready without blocking: reads the sockets, delivers
  /// what they carried. Runs outside any process (on a worker thread, no
  /// process running); what it wakes goes to that worker.
  virtual void drain() noexcept = 0;

 protected:
  ~io_source() = default;
};

/// Installs `s` as `n`'s source. False when `n` has one already, or runs in
/// manual mode (no scheduler thread would drain it).
bool install_io_source(node_impl& n, io_source* s) noexcept;

/// Removes `n`'s source, waking the worker that waits on it and waiting
/// until no thread is inside its drain(), so that its owner may free it.
void remove_io_source(node_impl& n) noexcept;

/// Drains `n`'s source on the calling thread unless another thread is
/// draining it or waiting on it (then that thread will). For a thread
/// outside the scheduler that must see the source drained now and then
/// even while every worker is busy. False when it did not drain.
bool try_drain_io(node_impl& n) noexcept;

}  // namespace otp::detail

// Blocking TCP helpers for the distribution's setup paths (epmd requests and
// handshakes run on their own threads, with deadlines); the connected
// sockets' traffic goes through the net_kernel's poll loop instead.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace otp::dist_detail {

/// An owned file descriptor.
class fd_handle {
 public:
  fd_handle() = default;
  explicit fd_handle(int fd) noexcept : fd_(fd) {}
  fd_handle(fd_handle&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  fd_handle& operator=(fd_handle&& o) noexcept;
  fd_handle(const fd_handle&) = delete;
  fd_handle& operator=(const fd_handle&) = delete;
  ~fd_handle();
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Thrown by the setup paths: what failed, for the log line.
class setup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using deadline = std::chrono::steady_clock::time_point;

/// A TCP connection to host:port (IPv4; host by name or address), made
/// before `until`. @throws setup_error
fd_handle connect_tcp(const std::string& host, std::uint16_t port, deadline until);

/// A listening socket on `port` (0: any free one) of every interface.
/// @throws setup_error
fd_handle listen_tcp(std::uint16_t port);

/// The port a bound socket has.
std::uint16_t local_port(int fd);

/// Reads exactly out.size() bytes before `until`. @throws setup_error on
/// EOF, an error or the deadline.
void read_exact(int fd, std::span<std::uint8_t> out, deadline until);

/// Writes all of `bytes` before `until`. @throws setup_error
void write_all(int fd, std::span<const std::uint8_t> bytes, deadline until);

/// Makes `fd` non-blocking, with TCP_NODELAY.
void make_nonblocking(int fd);

/// Big-endian writers and readers.
void put_u16(std::vector<std::uint8_t>& b, std::uint16_t v);
void put_u32(std::vector<std::uint8_t>& b, std::uint32_t v);
void put_u64(std::vector<std::uint8_t>& b, std::uint64_t v);
std::uint16_t get_u16(const std::uint8_t* p) noexcept;
std::uint32_t get_u32(const std::uint8_t* p) noexcept;
std::uint64_t get_u64(const std::uint8_t* p) noexcept;

}  // namespace otp::dist_detail

#include "dist/epmd.hpp"

#include <array>
#include <vector>

namespace otp::dist_detail {

namespace {
constexpr std::uint8_t kAlive2Req = 120;    // 'x'
constexpr std::uint8_t kAlive2XResp = 118;  // 'v': 32-bit creation
constexpr std::uint8_t kAlive2Resp = 121;   // 'y': 16-bit creation
constexpr std::uint8_t kPortPlease2 = 122;  // 'z'
constexpr std::uint8_t kPort2Resp = 119;    // 'w'
constexpr std::uint16_t kVersion = 6;

std::vector<std::uint8_t> request(const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> out;
  put_u16(out, static_cast<std::uint16_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
}  // namespace

epmd_registration epmd_register(std::uint16_t epmd_port, const std::string& alive,
                                std::uint16_t port, bool hidden, deadline until) {
  fd_handle fd = connect_tcp("127.0.0.1", epmd_port, until);
  std::vector<std::uint8_t> body{kAlive2Req};
  put_u16(body, port);
  body.push_back(hidden ? 72 : 77);
  body.push_back(0);  // TCP/IPv4
  put_u16(body, kVersion);
  put_u16(body, kVersion);
  put_u16(body, static_cast<std::uint16_t>(alive.size()));
  body.insert(body.end(), alive.begin(), alive.end());
  put_u16(body, 0);  // no extra
  write_all(fd.get(), request(body), until);
  std::array<std::uint8_t, 2> head{};
  read_exact(fd.get(), head, until);
  if (head[0] != kAlive2XResp && head[0] != kAlive2Resp)
    throw setup_error("epmd answered ALIVE2 with " + std::to_string(head[0]));
  if (head[1] != 0)
    throw setup_error("epmd refused the name '" + alive + "' (taken, or epmd is too old)");
  epmd_registration r;
  if (head[0] == kAlive2XResp) {
    std::array<std::uint8_t, 4> c{};
    read_exact(fd.get(), c, until);
    r.creation = get_u32(c.data());
  } else {
    std::array<std::uint8_t, 2> c{};
    read_exact(fd.get(), c, until);
    r.creation = get_u16(c.data());
  }
  r.socket = std::move(fd);
  return r;
}

std::uint16_t epmd_port_please(const std::string& host, std::uint16_t epmd_port,
                               const std::string& alive, deadline until) {
  fd_handle fd = connect_tcp(host, epmd_port, until);
  std::vector<std::uint8_t> body{kPortPlease2};
  body.insert(body.end(), alive.begin(), alive.end());
  write_all(fd.get(), request(body), until);
  std::array<std::uint8_t, 2> head{};
  read_exact(fd.get(), head, until);
  if (head[0] != kPort2Resp)
    throw setup_error("epmd answered PORT_PLEASE2 with " + std::to_string(head[0]));
  if (head[1] != 0) throw setup_error("epmd on " + host + " knows no node '" + alive + "'");
  // PortNo(2) NodeType(1) Protocol(1) HighestVersion(2) LowestVersion(2)
  std::array<std::uint8_t, 8> info{};
  read_exact(fd.get(), info, until);
  const std::uint16_t highest = get_u16(info.data() + 4);
  const std::uint16_t lowest = get_u16(info.data() + 6);
  if (lowest > kVersion || highest < kVersion)
    throw setup_error("node '" + alive + "' does not speak distribution version 6");
  return get_u16(info.data());
}

}  // namespace otp::dist_detail

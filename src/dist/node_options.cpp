// What a net_kernel's options resolve to: the full node name, the cookie,
// epmd's port, as erl resolves -sname/-name, -setcookie and ERL_EPMD_PORT.
#include "dist/node_options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <random>

namespace otp::dist_detail {

namespace {

std::string host_name(bool long_names) {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) throw dist_error("gethostname failed");
  std::string h(buf);
  if (!long_names) h = h.substr(0, h.find('.'));
  return h;
}

}  // namespace

std::string full_name(const net_kernel_options& o) {
  const auto at = o.name.find('@');
  std::string alive = o.name.substr(0, at);
  std::string host = at == std::string::npos ? host_name(o.long_names) : o.name.substr(at + 1);
  if (alive.empty() || alive.size() > 255)
    throw dist_error("net_kernel: the node name '" + o.name + "' has no valid alive part");
  for (char ch : alive)
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '_' && ch != '-')
      throw dist_error("net_kernel: the node name '" + o.name + "' holds '" + ch + "'");
  if (host.empty()) throw dist_error("net_kernel: the node name '" + o.name + "' has no host");
  if (!o.long_names && host.find('.') != std::string::npos)
    throw dist_error("net_kernel: hostname " + host + " is illegal with short names");
  return alive + "@" + host;
}

std::string cookie_of(const net_kernel_options& o) {
  if (o.cookie) {
    if (o.cookie->empty()) throw dist_error("net_kernel: an empty cookie");
    return *o.cookie;
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr) throw dist_error("net_kernel: no cookie given and $HOME is not set");
  const std::string path = std::string(home) + "/.erlang.cookie";
  if (std::ifstream in(path); in) {
    std::string c;
    std::getline(in, c);
    while (!c.empty() && std::isspace(static_cast<unsigned char>(c.back())) != 0) c.pop_back();
    if (c.empty()) throw dist_error("net_kernel: " + path + " is empty");
    return c;
  }
  std::random_device rd;
  std::string c;
  for (int i = 0; i < 20; ++i) c.push_back(static_cast<char>('A' + rd() % 26));
  std::ofstream out(path);
  out << c;
  out.close();
  if (!out || ::chmod(path.c_str(), S_IRUSR) != 0)
    throw dist_error("net_kernel: cannot create " + path);
  return c;
}

std::uint16_t epmd_port_of(const net_kernel_options& o) {
  if (o.epmd_port) return *o.epmd_port;
  if (const char* e = std::getenv("ERL_EPMD_PORT"); e != nullptr) {
    const long v = std::strtol(e, nullptr, 10);
    if (v > 0 && v < 65536) return static_cast<std::uint16_t>(v);
  }
  return 4369;
}

}  // namespace otp::dist_detail

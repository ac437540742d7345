#include "dist/handshake.hpp"

#include <openssl/evp.h>

#include <random>
#include <vector>

namespace otp::dist_detail {

namespace {

constexpr std::size_t kMaxHandshakeMessage = 1024;  // a name is at most 255 + 255 bytes

std::vector<std::uint8_t> read_message(int fd, deadline until) {
  std::array<std::uint8_t, 2> len{};
  read_exact(fd, len, until);
  const std::size_t n = get_u16(len.data());
  if (n == 0 || n > kMaxHandshakeMessage)
    throw setup_error("a handshake message of " + std::to_string(n) + " bytes");
  std::vector<std::uint8_t> m(n);
  read_exact(fd, m, until);
  return m;
}

void write_message(int fd, const std::vector<std::uint8_t>& body, deadline until) {
  std::vector<std::uint8_t> out;
  put_u16(out, static_cast<std::uint16_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  write_all(fd, out, until);
}

std::uint32_t new_challenge() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return static_cast<std::uint32_t>(gen());
}

void check_flags(std::uint64_t flags, const std::string& who) {
  if ((flags & kRequiredFlags) != kRequiredFlags)
    throw setup_error("node " + who + " lacks the capabilities this node needs (flags " +
                      std::to_string(flags) + ")");
}

void write_status(int fd, std::string_view status, deadline until) {
  std::vector<std::uint8_t> m{'s'};
  m.insert(m.end(), status.begin(), status.end());
  write_message(fd, m, until);
}

/// send_name / send_challenge's common tail: creation, name length, name.
void put_name(std::vector<std::uint8_t>& m, const handshake_self& self) {
  put_u32(m, self.creation);
  put_u16(m, static_cast<std::uint16_t>(self.name.size()));
  m.insert(m.end(), self.name.begin(), self.name.end());
}

std::string name_at(const std::vector<std::uint8_t>& m, std::size_t at) {
  if (m.size() < at + 2) throw setup_error("a truncated handshake message");
  const std::size_t n = get_u16(m.data() + at);
  if (m.size() != at + 2 + n) throw setup_error("a handshake message of the wrong size");
  return {m.begin() + static_cast<std::ptrdiff_t>(at + 2), m.end()};
}

bool same_digest(const std::uint8_t* a, const std::array<std::uint8_t, 16>& b) {
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < 16; ++i) diff |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::array<std::uint8_t, 16> challenge_digest(const std::string& cookie, std::uint32_t challenge) {
  const std::string text = cookie + std::to_string(challenge);
  std::array<std::uint8_t, 16> out{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_md5(), nullptr) != 1 || len != 16)
    throw setup_error("MD5 is not available");
  return out;
}

peer_info handshake_connect(int fd, const handshake_self& self, const std::string& peer,
                            deadline until, const std::function<bool()>& still_wanted) {
  std::vector<std::uint8_t> name{'N'};
  put_u64(name, self.flags);
  put_name(name, self);
  write_message(fd, name, until);

  std::vector<std::uint8_t> status = read_message(fd, until);
  if (status[0] != 's') throw setup_error("no status from " + peer);
  const std::string s(status.begin() + 1, status.end());
  if (s == "nok") throw lost_race("node " + peer + " is connecting to this node at the same time");
  if (s == "alive") {
    if (!still_wanted()) {
      write_status(fd, "false", until);
      throw lost_race("node " + peer + " is connected already");
    }
    write_status(fd, "true", until);  // this side has no connection: the old one is dead
  } else if (s != "ok" && s != "ok_simultaneous") {
    throw setup_error("node " + peer + " refused the connection (" + s + ")");
  }

  std::vector<std::uint8_t> ch = read_message(fd, until);
  if (ch[0] != 'N' || ch.size() < 1 + 8 + 4 + 4 + 2) throw setup_error("no challenge from " + peer);
  peer_info info;
  info.flags = get_u64(ch.data() + 1);
  const std::uint32_t their_challenge = get_u32(ch.data() + 9);
  info.creation = get_u32(ch.data() + 13);
  info.name = name_at(ch, 17);
  if (info.name != peer) throw setup_error("connected to " + info.name + ", not " + peer);
  check_flags(info.flags, peer);

  const std::uint32_t ours = new_challenge();
  std::vector<std::uint8_t> reply{'r'};
  put_u32(reply, ours);
  const auto digest = challenge_digest(self.cookie, their_challenge);
  reply.insert(reply.end(), digest.begin(), digest.end());
  write_message(fd, reply, until);

  std::vector<std::uint8_t> ack = read_message(fd, until);
  if (ack.size() != 17 || ack[0] != 'a')
    throw setup_error("node " + peer + " did not accept this node's cookie");
  if (!same_digest(ack.data() + 1, challenge_digest(self.cookie, ours)))
    throw setup_error("node " + peer + " does not have this node's cookie");
  return info;
}

peer_info handshake_accept(int fd, const handshake_self& self,
                           const std::function<accept_verdict(const std::string&)>& decide,
                           deadline until) {
  std::vector<std::uint8_t> name = read_message(fd, until);
  if (name[0] != 'N' || name.size() < 1 + 8 + 4 + 2)
    throw setup_error("a connection that does not speak distribution version 6");
  peer_info info;
  info.flags = get_u64(name.data() + 1);
  info.creation = get_u32(name.data() + 9);
  info.name = name_at(name, 13);
  check_flags(info.flags, info.name);

  switch (decide(info.name)) {
    case accept_verdict::ok:
      write_status(fd, "ok", until);
      break;
    case accept_verdict::ok_simultaneous:
      write_status(fd, "ok_simultaneous", until);
      break;
    case accept_verdict::nok:
      write_status(fd, "nok", until);
      throw lost_race("node " + info.name + " lost the simultaneous connect to this node");
    case accept_verdict::not_allowed:
      write_status(fd, "not_allowed", until);
      throw setup_error("node " + info.name + " is not allowed");
    case accept_verdict::alive: {
      write_status(fd, "alive", until);
      std::vector<std::uint8_t> answer = read_message(fd, until);
      if (std::string(answer.begin(), answer.end()) != "strue")
        throw lost_race("node " + info.name + " keeps its existing connection");
      break;
    }
  }

  const std::uint32_t ours = new_challenge();
  std::vector<std::uint8_t> ch{'N'};
  put_u64(ch, self.flags);
  put_u32(ch, ours);
  put_name(ch, self);
  write_message(fd, ch, until);

  std::vector<std::uint8_t> reply = read_message(fd, until);
  if (reply.size() != 21 || reply[0] != 'r')
    throw setup_error("no challenge reply from " + info.name);
  if (!same_digest(reply.data() + 5, challenge_digest(self.cookie, ours)))
    throw setup_error("connection attempt from node " + info.name +
                      " rejected: it does not have this node's cookie");
  const auto ack_digest = challenge_digest(self.cookie, get_u32(reply.data() + 1));
  std::vector<std::uint8_t> ack{'a'};
  ack.insert(ack.end(), ack_digest.begin(), ack_digest.end());
  write_message(fd, ack, until);
  return info;
}

}  // namespace otp::dist_detail

// The distribution handshake, version 6 (DFLAG_HANDSHAKE_23), both sides:
// names, flags and creations exchanged, each side proving it has the
// cookie by an MD5 digest of the other's challenge. Blocking, with a
// deadline: it runs on a setup thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "dist/socket.hpp"

namespace otp::dist_detail {

// Capability flags (erts' DFLAG_*) this node advertises and needs.
inline constexpr std::uint64_t kFlagExtendedReferences = 0x4;
inline constexpr std::uint64_t kFlagDistMonitor = 0x8;
inline constexpr std::uint64_t kFlagFunTags = 0x10;
inline constexpr std::uint64_t kFlagDistMonitorName = 0x20;
inline constexpr std::uint64_t kFlagNewFunTags = 0x80;
inline constexpr std::uint64_t kFlagExtendedPidsPorts = 0x100;
inline constexpr std::uint64_t kFlagExportPtrTag = 0x200;
inline constexpr std::uint64_t kFlagBitBinaries = 0x400;
inline constexpr std::uint64_t kFlagNewFloats = 0x800;
inline constexpr std::uint64_t kFlagSmallAtomTags = 0x4000;
inline constexpr std::uint64_t kFlagUtf8Atoms = 0x10000;
inline constexpr std::uint64_t kFlagMapTag = 0x20000;
inline constexpr std::uint64_t kFlagBigCreation = 0x40000;
inline constexpr std::uint64_t kFlagHandshake23 = 0x1000000;
inline constexpr std::uint64_t kFlagUnlinkId = 0x2000000;
inline constexpr std::uint64_t kFlagMandatory25Digest = 0x4000000;
inline constexpr std::uint64_t kFlagSpawn = std::uint64_t{1} << 32;
inline constexpr std::uint64_t kFlagV4NC = std::uint64_t{1} << 34;
inline constexpr std::uint64_t kFlagAlias = std::uint64_t{1} << 35;

/// What this node advertises: erl_interface's set plus DIST_MONITOR_NAME,
/// ALIAS and SPAWN; not PUBLISHED (the node is hidden), nor the atom cache,
/// fragments or SEND_SENDER.
inline constexpr std::uint64_t kOurFlags =
    kFlagExtendedReferences | kFlagDistMonitor | kFlagFunTags | kFlagDistMonitorName |
    kFlagNewFunTags | kFlagExtendedPidsPorts | kFlagExportPtrTag | kFlagBitBinaries |
    kFlagNewFloats | kFlagSmallAtomTags | kFlagUtf8Atoms | kFlagMapTag | kFlagBigCreation |
    kFlagHandshake23 | kFlagUnlinkId | kFlagMandatory25Digest | kFlagSpawn | kFlagV4NC | kFlagAlias;

/// What a peer must advertise for this node to talk to it.
inline constexpr std::uint64_t kRequiredFlags = kFlagExtendedReferences | kFlagExtendedPidsPorts |
                                                kFlagNewFloats | kFlagUtf8Atoms | kFlagMapTag |
                                                kFlagBigCreation | kFlagHandshake23 | kFlagV4NC;

/// This side of a handshake.
struct handshake_self {
  std::string name;  ///< full node name, alive@host
  std::uint32_t creation = 0;
  std::string cookie;
  std::uint64_t flags = kOurFlags;
};

/// The other side, once it proved it has the cookie.
struct peer_info {
  std::string name;
  std::uint32_t creation = 0;
  std::uint64_t flags = 0;
};

/// What the accepting side tells a connecting node (send_status).
enum class accept_verdict {
  ok,               ///< go on
  ok_simultaneous,  ///< go on; this side drops its own attempt to that node
  nok,              ///< this side's own attempt wins the race: give up
  alive,            ///< already connected: go on only if the peer says so
  not_allowed,      ///< refused
};

/// Thrown on the connecting side when the peer answered `nok`: its own
/// connection to this node wins, and is the one to wait for.
class lost_race : public setup_error {
 public:
  using setup_error::setup_error;
};

/// The digest a side sends for `challenge`: MD5 of the cookie followed by
/// the challenge in decimal.
std::array<std::uint8_t, 16> challenge_digest(const std::string& cookie, std::uint32_t challenge);

/// Connects as `self` to `peer` (full name) over `fd`. When the peer says
/// it is already connected (status alive), `still_wanted` decides whether
/// this connection replaces that one.
/// @throws lost_race, or setup_error naming what failed (refused, wrong
///   cookie, a peer that is not `peer`, missing flags, a bad message).
peer_info handshake_connect(int fd, const handshake_self& self, const std::string& peer,
                            deadline until, const std::function<bool()>& still_wanted);

/// Accepts a node connecting as `self` over `fd`; `decide` gives the status
/// for the peer's name. @throws setup_error
peer_info handshake_accept(int fd, const handshake_self& self,
                           const std::function<accept_verdict(const std::string&)>& decide,
                           deadline until);

}  // namespace otp::dist_detail

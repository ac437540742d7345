// The program-wide table of node incarnations: which node id names which
// (node name, creation), for the pids and refs of distribution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otp::dist_detail {

/// A node incarnation: its name and the creation epmd gave it.
struct node_identity {
  std::string name;
  std::uint32_t creation = 0;
};

/// The id of (name, creation): a local distributed node's own id when it is
/// that node, else the id given to that remote incarnation (allocated on
/// first sight, kept for the program's life).
std::uint32_t node_id_of(std::string_view name, std::uint32_t creation);

/// How many node incarnations pids and refs from the wire may name: beyond
/// it, term_codec<pid> and term_codec<ref> refuse a new one (a hostile peer
/// naming endless nodes cannot grow the table without bound).
inline constexpr std::size_t kMaxNodeIncarnations = 65536;

/// As node_id_of, but nullopt instead of a new id once the table holds
/// `limit` incarnations (kMaxNodeIncarnations but in tests).
std::optional<std::uint32_t> node_id_if_room(std::string_view name, std::uint32_t creation,
                                             std::size_t limit = kMaxNodeIncarnations);

/// How many incarnations the table holds.
std::size_t node_incarnations();

/// Who `id` is, when it is a distributed local node or a remote one.
std::optional<node_identity> identity_of(std::uint32_t id);

/// Names local node `id` while its distribution runs (net_kernel start).
void name_local_node(std::uint32_t id, std::string name, std::uint32_t creation);

/// Forgets local node `id`'s name (net_kernel stop): its pids then print
/// as nonode@nohost's, and pids of that incarnation from the wire name a
/// remote (dead) node.
void unname_local_node(std::uint32_t id);

}  // namespace otp::dist_detail

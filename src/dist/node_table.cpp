// The table of node incarnations and the pid codec that uses it.
#include "dist/node_table.hpp"

#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "otp/dist/term_codec.hpp"
#include "otp/runtime/detail/remote_router.hpp"

namespace otp::dist_detail {

namespace {

/// Orders (name, creation) keys, and finds one by a string_view without
/// making a string.
struct by_name_and_creation {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    const int c = std::string_view(a.first).compare(std::string_view(b.first));
    return c < 0 || (c == 0 && a.second < b.second);
  }
};

/// Read for every pid and ref that crosses a connection, written when a new
/// incarnation appears: readers share the lock.
struct table {
  std::shared_mutex mu;
  std::map<std::pair<std::string, std::uint32_t>, std::uint32_t, by_name_and_creation> ids;
  std::unordered_map<std::uint32_t, node_identity> who;
};

table& nodes() {
  static table t;
  return t;
}

/// The id of (name, creation), allocating one while the table holds fewer
/// than `limit`.
std::optional<std::uint32_t> lookup_or_add(std::string_view name, std::uint32_t creation,
                                           std::size_t limit) {
  table& t = nodes();
  const std::pair<std::string_view, std::uint32_t> wanted{name, creation};
  {
    std::shared_lock read(t.mu);
    if (auto it = t.ids.find(wanted); it != t.ids.end()) return it->second;
  }
  std::lock_guard lock(t.mu);
  if (auto it = t.ids.find(wanted); it != t.ids.end()) return it->second;  // added meanwhile
  if (t.ids.size() >= limit) return std::nullopt;
  auto key = std::make_pair(std::string(name), creation);
  const std::uint32_t id = otp::detail::allocate_node_id();
  t.who.emplace(id, node_identity{key.first, creation});
  t.ids.emplace(std::move(key), id);
  return id;
}

}  // namespace

std::uint32_t node_id_of(std::string_view name, std::uint32_t creation) {
  return *lookup_or_add(name, creation, std::numeric_limits<std::size_t>::max());
}

std::optional<std::uint32_t> node_id_if_room(std::string_view name, std::uint32_t creation,
                                             std::size_t limit) {
  return lookup_or_add(name, creation, limit);
}

std::size_t node_incarnations() {
  table& t = nodes();
  std::shared_lock lock(t.mu);
  return t.ids.size();
}

std::optional<node_identity> identity_of(std::uint32_t id) {
  table& t = nodes();
  std::shared_lock lock(t.mu);
  if (auto it = t.who.find(id); it != t.who.end()) return it->second;
  return std::nullopt;
}

void name_local_node(std::uint32_t id, std::string name, std::uint32_t creation) {
  table& t = nodes();
  std::lock_guard lock(t.mu);
  t.ids[std::make_pair(name, creation)] = id;
  t.who[id] = node_identity{std::move(name), creation};
}

void unname_local_node(std::uint32_t id) {
  table& t = nodes();
  std::lock_guard lock(t.mu);
  auto it = t.who.find(id);
  if (it == t.who.end()) return;
  // The incarnation stays known, now as a node no process of this program
  // is on: pids of it from the wire reach nobody.
  const std::uint32_t ghost = otp::detail::allocate_node_id();
  auto key = std::make_pair(it->second.name, it->second.creation);
  t.who.emplace(ghost, it->second);
  t.ids[key] = ghost;
  t.who.erase(it);
}

}  // namespace otp::dist_detail

namespace otp {

term term_codec<pid>::to(const pid& p) {
  auto who = dist_detail::identity_of(p.node());
  if (!who) who = dist_detail::node_identity{"nonode@nohost", 0};  // a node not distributed
  return term(ext_pid{std::move(who->name), p.slot(), p.serial(), who->creation});
}

term term_codec<ref>::to(const ref& r) {
  auto who = dist_detail::identity_of(r.node());
  if (!who) who = dist_detail::node_identity{"nonode@nohost", 0};
  const std::uint64_t id = r.id();
  return term(ext_ref{
      std::move(who->name),
      {static_cast<std::uint32_t>(id & 0x3ffff),
       static_cast<std::uint32_t>((id >> 18) & 0xffffffff), static_cast<std::uint32_t>(id >> 50)},
      who->creation});
}

ref term_codec<ref>::from(const term& t) {
  const auto* r = t.get_if<ext_ref>();
  if (r == nullptr || r->ids.size() != 3 || r->ids[0] > 0x3ffff || r->ids[2] > 0x3fff)
    throw term_mismatch("reference of a C++ node", t);
  const auto node = dist_detail::node_id_if_room(r->node, r->creation);
  if (!node) throw term_mismatch("a reference of a node incarnation this program can track", t);
  return ref(*node, std::uint64_t{r->ids[0]} | (std::uint64_t{r->ids[1]} << 18) |
                        (std::uint64_t{r->ids[2]} << 50));
}

pid term_codec<pid>::from(const term& t) {
  const auto* e = t.get_if<ext_pid>();
  if (e == nullptr) throw term_mismatch("pid", t);
  const auto id = dist_detail::node_id_if_room(e->node, e->creation);
  if (!id) throw term_mismatch("a pid of one of the node incarnations this program can track", t);
  return pid(*id, e->id, e->serial);
}

}  // namespace otp

// Process identifiers and unique references.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <type_traits>

namespace otp {

/// Identifies a process: (node, slot, serial). A handle, never a pointer.
///
/// A pid names one incarnation of a process-table slot; when the process dies
/// the slot's serial changes, so a stale pid can never reach a later process.
/// The default-constructed pid is the null pid (Erlang's `undefined`); no live
/// process has it. Printed as `<node.slot.serial>`, e.g. `<0.42.1>`.
///
/// A pid of a remote node (otp::net_kernel) holds an id the program gave
/// that node's incarnation, and the Erlang pid's number and serial as slot
/// and serial: a remote serial may be 0.
///
/// @threadsafe Plain value; trivially copyable.
/// @mirrors erlang:pid()
class pid {
 public:
  constexpr pid() noexcept = default;
  constexpr pid(std::uint32_t node, std::uint32_t slot, std::uint32_t serial) noexcept
      : node_(node), slot_(slot), serial_(serial) {}

  /// The id of the node that owns the process (0 for the first node made).
  constexpr std::uint32_t node() const noexcept { return node_; }
  /// Index of the process-table slot.
  constexpr std::uint32_t slot() const noexcept { return slot_; }
  /// Incarnation of the slot; never 0 for a local process.
  constexpr std::uint32_t serial() const noexcept { return serial_; }
  /// True for the null pid.
  constexpr bool is_null() const noexcept { return (node_ | slot_ | serial_) == 0; }

  friend constexpr auto operator<=>(const pid&, const pid&) noexcept = default;

  /// `<node.slot.serial>`.
  std::string to_string() const;

 private:
  std::uint32_t node_ = 0;
  std::uint32_t slot_ = 0;
  std::uint32_t serial_ = 0;
};

/// A node-unique reference (monitor references, timer references, call tags).
/// The default-constructed ref is null. Printed as `#Ref<node.id>`.
///
/// @threadsafe Plain value; trivially copyable.
/// @mirrors erlang:make_ref/0
class ref {
 public:
  constexpr ref() noexcept = default;
  constexpr ref(std::uint32_t node, std::uint64_t id) noexcept : node_(node), id_(id) {}

  constexpr std::uint32_t node() const noexcept { return node_; }
  constexpr std::uint64_t id() const noexcept { return id_; }
  constexpr bool is_null() const noexcept { return id_ == 0; }

  friend constexpr auto operator<=>(const ref&, const ref&) noexcept = default;

  /// `#Ref<node.id>`.
  std::string to_string() const;

 private:
  std::uint32_t node_ = 0;
  std::uint64_t id_ = 0;
};

std::ostream& operator<<(std::ostream& os, const pid& p);
std::ostream& operator<<(std::ostream& os, const ref& r);

static_assert(std::is_trivially_copyable_v<pid>);
static_assert(std::is_trivially_copyable_v<ref>);

}  // namespace otp

template <>
struct std::hash<otp::pid> {
  std::size_t operator()(const otp::pid& p) const noexcept {
    std::uint64_t k =
        (std::uint64_t{p.slot()} << 32) ^ p.serial() ^ (std::uint64_t{p.node()} << 52);
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<std::size_t>(k);
  }
};

template <>
struct std::hash<otp::ref> {
  std::size_t operator()(const otp::ref& r) const noexcept {
    std::uint64_t k = r.id() ^ (std::uint64_t{r.node()} << 56);
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return static_cast<std::size_t>(k);
  }
};

// otp::term: a dynamic Erlang term, the value messages from other nodes
// are made of. It holds any term the external term format carries:
// integers of any size, floats, atoms, references, funs (opaque), ports,
// pids, tuples, maps, lists (proper or improper) and binaries (bitstrings
// too). It prints as io:format("~w") does, and compares in Erlang's term
// order. The codec is otp/dist/etf.hpp.
//
//   otp::term t = otp::term::tuple({otp::term::atom("ok"), otp::term(42)});
//   t.to_string();                       // "{ok,42}"
//   otp::compare(t, otp::term(1)) > 0;   // a tuple sorts after a number
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace otp {

class term;

/// An integer outside std::int64_t: sign and magnitude, the magnitude's
/// bytes least significant first, without high zero bytes.
/// @mirrors SMALL_BIG_EXT / LARGE_BIG_EXT
struct big_integer {
  bool negative = false;
  std::vector<std::uint8_t> magnitude;
  friend bool operator==(const big_integer&, const big_integer&) = default;
};

/// An atom: its text, UTF-8.
struct atom_value {
  std::string name;
  friend bool operator==(const atom_value&, const atom_value&) = default;
};

/// A pid of any node, as the external term format carries it.
/// @mirrors NEW_PID_EXT
struct ext_pid {
  std::string node;
  std::uint32_t id = 0;
  std::uint32_t serial = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const ext_pid&, const ext_pid&) = default;
};

/// A reference of any node: up to 5 32-bit words. @mirrors NEWER_REFERENCE_EXT
struct ext_ref {
  std::string node;
  std::vector<std::uint32_t> ids;
  std::uint32_t creation = 0;
  friend bool operator==(const ext_ref&, const ext_ref&) = default;
};

/// A port of any node. @mirrors V4_PORT_EXT
struct ext_port {
  std::string node;
  std::uint64_t id = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const ext_port&, const ext_port&) = default;
};

/// A fun, kept as its encoding (C++ cannot call it; it can pass it on).
/// @mirrors NEW_FUN_EXT and EXPORT_EXT, opaque
struct ext_fun {
  std::vector<std::uint8_t> encoding;  ///< the term's bytes, tag included
  friend bool operator==(const ext_fun&, const ext_fun&) = default;
};

/// A binary, or a bitstring: `bits` of the last byte are used (8 for a
/// binary; an empty binary has no bytes and bits 8).
/// @mirrors BINARY_EXT and BIT_BINARY_EXT
struct binary_value {
  std::vector<std::uint8_t> bytes;
  std::uint8_t bits = 8;
  friend bool operator==(const binary_value&, const binary_value&) = default;
};

/// A tuple's elements.
struct tuple_value {
  std::vector<term> items;
  friend bool operator==(const tuple_value&, const tuple_value&);
};

/// A list: its elements, and the tail after them. The empty list (nil) has
/// no elements and no tail; a proper list has no tail; an improper list has
/// at least one element and a tail that is not a list.
struct list_value {
  std::vector<term> items;
  std::shared_ptr<const term> tail;  ///< null: proper
  friend bool operator==(const list_value&, const list_value&);
};

/// A map's entries, sorted by key in map key order, keys unique.
struct map_value {
  std::vector<std::pair<term, term>> entries;
  friend bool operator==(const map_value&, const map_value&);
};

/// Any Erlang term. A value type: copies are deep (an improper tail is
/// shared, and immutable).
/// @mirrors the terms of the external term format
class term {
 public:
  using value_type =
      std::variant<std::int64_t, big_integer, double, atom_value, ext_ref, ext_fun, ext_port,
                   ext_pid, tuple_value, map_value, list_value, binary_value>;

  /// The empty list, [].
  term() : v_(list_value{}) {}
  term(std::int64_t i) : v_(i) {}       // NOLINT(google-explicit-constructor): 42 is a term
  term(int i) : v_(std::int64_t{i}) {}  // NOLINT(google-explicit-constructor)
  term(double d) : v_(d) {}             // NOLINT(google-explicit-constructor)
  /// A big integer; one that fits std::int64_t becomes a plain integer.
  explicit term(big_integer b);
  explicit term(atom_value a) : v_(std::move(a)) {}
  explicit term(ext_pid p) : v_(std::move(p)) {}
  explicit term(ext_ref r) : v_(std::move(r)) {}
  explicit term(ext_port p) : v_(std::move(p)) {}
  explicit term(ext_fun f) : v_(std::move(f)) {}
  explicit term(binary_value b) : v_(std::move(b)) {}
  explicit term(tuple_value t) : v_(std::move(t)) {}
  /// @throws otp::badarg for an improper tail on no elements, or a tail
  ///   that is a list (it is flattened instead: see list()).
  explicit term(list_value l);
  /// Sorts the entries by key; of two equal keys (=:=) the last wins.
  explicit term(map_value m);

  static term atom(std::string name) { return term(atom_value{std::move(name)}); }
  static term tuple(std::vector<term> items) { return term(tuple_value{std::move(items)}); }
  /// A proper list of `items`.
  static term list(std::vector<term> items) { return term(list_value{std::move(items), nullptr}); }
  /// [items | tail]: a tail that is a list is appended (its own tail kept).
  static term improper_list(std::vector<term> items, term tail);
  static term map(std::vector<std::pair<term, term>> entries) {
    return term(map_value{std::move(entries)});
  }
  /// A binary of `bytes`.
  static term binary(std::string_view bytes);
  /// true and false are atoms, as in Erlang.
  static term boolean(bool b) { return atom(b ? "true" : "false"); }

  const value_type& value() const noexcept { return v_; }
  template <class T>
  bool is() const noexcept {
    return std::holds_alternative<T>(v_);
  }
  template <class T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&v_);
  }
  bool is_atom(std::string_view name) const noexcept;
  bool is_nil() const noexcept;

  /// The term as io:format("~w") prints it: `{ok,[1,2]}`, `'hello world'`,
  /// `<<1,2:3>>`, `#{a => 1}`, `[1|2]`, `1.0e10`. Pids, references and
  /// ports name their node where erl prints the node's local index:
  /// `<'a@host'.12.0>`, `#Ref<'a@host'.1.2.3>`, `#Port<'a@host'.5>`; a fun
  /// prints as `#Fun<>`.
  std::string to_string() const;

  /// Exact equality, Erlang's =:= (1 and 1.0 differ).
  friend bool operator==(const term& a, const term& b) { return a.v_ == b.v_; }

 private:
  value_type v_;
};

/// Erlang's term order: number < atom < reference < fun < port < pid <
/// tuple < map < nil < list < bitstring; numbers compare by value (1 and
/// 1.0 are equivalent), tuples by size then elements, maps by size then
/// keys then values, lists and binaries element by element.
/// @mirrors the comparison operators (<, ==) of Erlang
std::weak_ordering compare(const term& a, const term& b);

/// The order of map keys: term order, except that every integer sorts
/// before every float. @mirrors map key order
std::strong_ordering map_key_compare(const term& a, const term& b);

}  // namespace otp

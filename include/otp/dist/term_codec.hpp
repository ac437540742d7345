// C++ values to Erlang terms and back: otp::to_term(v) and
// otp::from_term<T>(t), through otp::term_codec<T>, which a user type
// specializes. The built-in mappings follow Erlang's conventions:
//
// | C++                                  | Erlang                             |
// |--------------------------------------|------------------------------------|
// | bool                                 | true, false                        |
// | integral types (range-checked)       | integer                            |
// | double, float                        | float                              |
// | std::string                          | binary (UTF-8, as Elixir strings)  |
// | otp::atom_value                      | atom                               |
// | std::vector<T>                       | proper list                        |
// | std::pair<A, B>, std::tuple<A...>    | tuple                              |
// | std::map<K, V>                       | map                                |
// | std::optional<T>                     | the value, or the atom undefined   |
// | otp::pid                             | pid (of this or a remote node)     |
// | otp::ref                             | reference (of a C++ node)          |
// | otp::exit_reason                     | the reason's term (see below)      |
// | otp::term, ext_pid, ext_ref, ...     | themselves                         |
//
//   struct point { int x; int y; };
//   template <> struct otp::term_codec<point> {
//     static otp::term to(const point& p) {
//       return otp::term::tuple({otp::term::atom("point"), p.x, p.y});
//     }
//     static point from(const otp::term& t) {
//       auto [tag, x, y] = otp::from_term<std::tuple<otp::atom_value, int, int>>(t);
//       if (tag.name != "point") throw otp::term_mismatch("point", t);
//       return {x, y};
//     }
//   };
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/dist/term.hpp"
#include "otp/dist/term_mismatch.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp {

/// How T maps to a term and back. Specialize it for a user type with
/// `static term to(const T&)` and `static T from(const term&)`; `from`
/// throws otp::term_mismatch for a term that is not a T.
template <class T, class Enable = void>
struct term_codec;

/// `v` as a term. @mirrors what a message holds on the wire
template <class T>
term to_term(const T& v) {
  return term_codec<T>::to(v);
}

/// The T that `t` holds.
/// @throws otp::term_mismatch when `t` is not a T (the wrong kind, an
///   integer out of T's range, a tuple of another arity, ...).
template <class T>
T from_term(const term& t) {
  return term_codec<T>::from(t);
}

template <>
struct term_codec<term> {
  static term to(const term& t) { return t; }
  static term from(const term& t) { return t; }
};

template <>
struct term_codec<bool> {
  static term to(bool b) { return term::boolean(b); }
  static bool from(const term& t) {
    if (t.is_atom("true")) return true;
    if (t.is_atom("false")) return false;
    throw term_mismatch("boolean", t);
  }
};

template <class T>
struct term_codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static term to(T v) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (v > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
        big_integer b;
        for (std::uint64_t m = v; m != 0; m >>= 8) b.magnitude.push_back(m & 0xff);
        return term(std::move(b));
      }
    }
    return term(static_cast<std::int64_t>(v));
  }
  static T from(const term& t) {
    if (const auto* i = t.get_if<std::int64_t>()) {
      if constexpr (std::is_signed_v<T>) {
        if (*i >= std::numeric_limits<T>::min() && *i <= std::numeric_limits<T>::max())
          return static_cast<T>(*i);
      } else {
        if (*i >= 0 && static_cast<std::uint64_t>(*i) <= std::numeric_limits<T>::max())
          return static_cast<T>(*i);
      }
    } else if (const auto* b = t.get_if<big_integer>()) {
      if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::uint64_t)) {
        if (!b->negative && b->magnitude.size() <= 8) {
          std::uint64_t m = 0;
          for (std::size_t k = b->magnitude.size(); k-- > 0;) m = (m << 8) | b->magnitude[k];
          return static_cast<T>(m);
        }
      }
    }
    throw term_mismatch("an integer in range", t);
  }
};

template <class T>
struct term_codec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static term to(T v) { return term(static_cast<double>(v)); }
  static T from(const term& t) {
    if (const auto* d = t.get_if<double>()) return static_cast<T>(*d);
    throw term_mismatch("float", t);
  }
};

template <>
struct term_codec<std::string> {
  static term to(const std::string& s) { return term::binary(s); }
  static std::string from(const term& t) {
    const auto* b = t.get_if<binary_value>();
    if (b == nullptr || b->bits != 8) throw term_mismatch("binary", t);
    return {b->bytes.begin(), b->bytes.end()};
  }
};

/// The kinds a term holds as they are (atoms, pids, references, ports,
/// funs, binaries, big integers).
template <class T>
struct term_codec<T,
                  std::enable_if_t<std::is_same_v<T, atom_value> || std::is_same_v<T, ext_pid> ||
                                   std::is_same_v<T, ext_ref> || std::is_same_v<T, ext_port> ||
                                   std::is_same_v<T, ext_fun> || std::is_same_v<T, binary_value>>> {
  static term to(const T& v) { return term(v); }
  static T from(const term& t) {
    if (const T* v = t.get_if<T>()) return *v;
    throw term_mismatch(kind(), t);
  }
  static const char* kind() {
    if constexpr (std::is_same_v<T, atom_value>) return "atom";
    if constexpr (std::is_same_v<T, ext_pid>) return "pid";
    if constexpr (std::is_same_v<T, ext_ref>) return "reference";
    if constexpr (std::is_same_v<T, ext_port>) return "port";
    if constexpr (std::is_same_v<T, ext_fun>) return "fun";
    return "bitstring";
  }
};

template <class T>
struct term_codec<std::vector<T>> {
  static term to(const std::vector<T>& v) {
    std::vector<term> items;
    items.reserve(v.size());
    for (const T& e : v) items.push_back(to_term(e));
    return term::list(std::move(items));
  }
  static std::vector<T> from(const term& t) {
    const auto* l = t.get_if<list_value>();
    if (l == nullptr || l->tail) throw term_mismatch("proper list", t);
    std::vector<T> out;
    out.reserve(l->items.size());
    for (const term& e : l->items) out.push_back(from_term<T>(e));
    return out;
  }
};

template <class... A>
struct term_codec<std::tuple<A...>> {
  static term to(const std::tuple<A...>& v) {
    return std::apply([](const A&... a) { return term::tuple({to_term(a)...}); }, v);
  }
  static std::tuple<A...> from(const term& t) {
    const auto* tup = t.get_if<tuple_value>();
    if (tup == nullptr || tup->items.size() != sizeof...(A))
      throw term_mismatch("tuple of " + std::to_string(sizeof...(A)), t);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<A...>(from_term<A>(tup->items[I])...);
    }
    (std::index_sequence_for<A...>{});
  }
};

template <class A, class B>
struct term_codec<std::pair<A, B>> {
  static term to(const std::pair<A, B>& p) {
    return term::tuple({to_term(p.first), to_term(p.second)});
  }
  static std::pair<A, B> from(const term& t) {
    auto [a, b] = from_term<std::tuple<A, B>>(t);
    return {std::move(a), std::move(b)};
  }
};

template <class K, class V>
struct term_codec<std::map<K, V>> {
  static term to(const std::map<K, V>& m) {
    std::vector<std::pair<term, term>> entries;
    entries.reserve(m.size());
    for (const auto& [k, v] : m) entries.emplace_back(to_term(k), to_term(v));
    return term::map(std::move(entries));
  }
  static std::map<K, V> from(const term& t) {
    const auto* mv = t.get_if<map_value>();
    if (mv == nullptr) throw term_mismatch("map", t);
    std::map<K, V> out;
    for (const auto& [k, v] : mv->entries) out.emplace(from_term<K>(k), from_term<V>(v));
    return out;
  }
};

/// A pid names its node: a local pid becomes its node's name and creation
/// (nonode@nohost, creation 0, when its node has no net_kernel); a pid from
/// the wire becomes an otp::pid whose node() is the id this program gave
/// that node incarnation (the same id for every pid of it, and the local
/// node's own id for a pid of a local node's current incarnation).
template <>
struct term_codec<pid> {
  static term to(const pid& p);
  /// @throws otp::term_mismatch for a term that is not a pid.
  static pid from(const term& t);
};

/// A reference of a C++ node: three words (the first under 2^18, as erts
/// wants) under its node's name and creation. A reference of a BEAM node
/// does not fit an otp::ref: keep it as the term (or otp::ext_ref).
template <>
struct term_codec<ref> {
  static term to(const ref& r);
  /// @throws otp::term_mismatch for a term that is not a reference a C++
  ///   node makes.
  static ref from(const term& t);
};

/// An exit reason as Erlang writes it: normal, shutdown, {shutdown, D},
/// kill, killed, noproc, noconnection, timeout (atoms); an escaped
/// exception as {exception, <<"type">>, <<"what">>}; an `other` text as an
/// atom when it reads as one, else a binary; a reason from another node as
/// its own term. Any term converts back (of_term keeps it).
template <>
struct term_codec<exit_reason> {
  static term to(const exit_reason& r);
  static exit_reason from(const term& t);
};

template <class T>
struct term_codec<std::optional<T>> {
  static term to(const std::optional<T>& o) { return o ? to_term(*o) : term::atom("undefined"); }
  static std::optional<T> from(const term& t) {
    if (t.is_atom("undefined")) return std::nullopt;
    return from_term<T>(t);
  }
};

}  // namespace otp

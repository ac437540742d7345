// otp::term (otp/dist/term.hpp): construction, printing and term order.
#include "otp/dist/term.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <system_error>
#include <type_traits>

#include "otp/runtime/errors.hpp"

namespace otp {

namespace {

// --- big integers ---

/// `b` as an int64, when it fits.
bool fits_int64(const big_integer& b, std::int64_t& out) {
  if (b.magnitude.size() > 8) return false;
  std::uint64_t m = 0;
  for (std::size_t i = b.magnitude.size(); i-- > 0;) m = (m << 8) | b.magnitude[i];
  if (!b.negative) {
    if (m > static_cast<std::uint64_t>(INT64_MAX)) return false;
    out = static_cast<std::int64_t>(m);
    return true;
  }
  if (m > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
  out = m == static_cast<std::uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<std::int64_t>(m);
  return true;
}

big_integer to_big(std::int64_t i) {
  big_integer b;
  b.negative = i < 0;
  std::uint64_t m = i < 0 ? 0 - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
  while (m != 0) {
    b.magnitude.push_back(static_cast<std::uint8_t>(m & 0xff));
    m >>= 8;
  }
  return b;
}

std::strong_ordering compare_magnitude(const std::vector<std::uint8_t>& a,
                                       const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return a.size() <=> b.size();
  for (std::size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] <=> b[i];
  return std::strong_ordering::equal;
}

std::strong_ordering compare_big(const big_integer& a, const big_integer& b) {
  if (a.negative != b.negative)
    return a.negative ? std::strong_ordering::less : std::strong_ordering::greater;
  const std::strong_ordering m = compare_magnitude(a.magnitude, b.magnitude);
  return a.negative ? 0 <=> m : m;
}

/// The magnitude in decimal (repeated division by 10^9).
std::string big_decimal(const big_integer& b) {
  std::vector<std::uint32_t> words;  // base 2^32, least significant first
  for (std::size_t i = 0; i < b.magnitude.size(); i += 4) {
    std::uint32_t w = 0;
    for (std::size_t k = 0; k < 4 && i + k < b.magnitude.size(); ++k)
      w |= static_cast<std::uint32_t>(b.magnitude[i + k]) << (8 * k);
    words.push_back(w);
  }
  std::vector<std::uint32_t> chunks;  // base 10^9, least significant first
  while (!words.empty()) {
    std::uint64_t rem = 0;
    for (std::size_t i = words.size(); i-- > 0;) {
      const std::uint64_t cur = (rem << 32) | words[i];
      words[i] = static_cast<std::uint32_t>(cur / 1'000'000'000u);
      rem = cur % 1'000'000'000u;
    }
    chunks.push_back(static_cast<std::uint32_t>(rem));
    while (!words.empty() && words.back() == 0) words.pop_back();
  }
  std::string out = b.negative ? "-" : "";
  if (chunks.empty()) return "0";
  out += std::to_string(chunks.back());
  for (std::size_t i = chunks.size() - 1; i-- > 0;) {
    const std::string c = std::to_string(chunks[i]);
    out.append(9 - c.size(), '0');
    out += c;
  }
  return out;
}

// --- numbers across kinds ---

/// The integer a float holds, for |f| >= 2^53 (where every float is integral).
big_integer float_to_big(double f) {
  int e = 0;
  const double m = std::frexp(std::fabs(f), &e);  // |f| = m * 2^e, m in [0.5, 1)
  auto mant = static_cast<std::uint64_t>(std::ldexp(m, 53));
  big_integer b = to_big(static_cast<std::int64_t>(mant));
  b.negative = f < 0;
  // Shift left by e - 53 bits.
  const int shift = e - 53;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(shift / 8), 0);
  const int bits = shift % 8;
  unsigned carry = 0;
  for (std::uint8_t byte : b.magnitude) {
    const unsigned v = (static_cast<unsigned>(byte) << bits) | carry;
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
    carry = v >> 8;
  }
  if (carry != 0) out.push_back(static_cast<std::uint8_t>(carry));
  b.magnitude = std::move(out);
  return b;
}

/// An integer (small or big) against a float, as Erlang compares them: the
/// float converted to an integer when |f| >= 2^53 (it is integral then),
/// else the integer converted to a float.
std::weak_ordering compare_int_float(const term& i, double f) {
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (std::fabs(f) >= kExact) {
    const big_integer fb = float_to_big(f);
    const big_integer ib =
        i.is<std::int64_t>() ? to_big(*i.get_if<std::int64_t>()) : *i.get_if<big_integer>();
    return compare_big(ib, fb);
  }
  if (i.is<big_integer>())  // beyond 2^63: past any float below 2^53
    return i.get_if<big_integer>()->negative ? std::weak_ordering::less
                                             : std::weak_ordering::greater;
  const double d = static_cast<double>(*i.get_if<std::int64_t>());
  if (d < f) return std::weak_ordering::less;
  if (d > f) return std::weak_ordering::greater;
  return std::weak_ordering::equivalent;
}

std::weak_ordering compare_numbers(const term& a, const term& b) {
  const auto* ai = a.get_if<std::int64_t>();
  const auto* bi = b.get_if<std::int64_t>();
  const auto* af = a.get_if<double>();
  const auto* bf = b.get_if<double>();
  if (ai != nullptr && bi != nullptr) return *ai <=> *bi;
  if (af != nullptr && bf != nullptr) {
    if (*af < *bf) return std::weak_ordering::less;
    if (*af > *bf) return std::weak_ordering::greater;
    return std::weak_ordering::equivalent;
  }
  if (af != nullptr) return 0 <=> compare_int_float(b, *af);
  if (bf != nullptr) return compare_int_float(a, *bf);
  const big_integer ab = ai != nullptr ? to_big(*ai) : *a.get_if<big_integer>();
  const big_integer bb = bi != nullptr ? to_big(*bi) : *b.get_if<big_integer>();
  return compare_big(ab, bb);
}

/// number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring
int type_rank(const term& t) {
  switch (t.value().index()) {
    case 0:
    case 1:
    case 2:
      return 0;
    case 3:
      return 1;  // atom
    case 4:
      return 2;  // reference
    case 5:
      return 3;  // fun
    case 6:
      return 4;  // port
    case 7:
      return 5;  // pid
    case 8:
      return 6;  // tuple
    case 9:
      return 7;  // map
    case 10:
      return t.is_nil() ? 8 : 9;
    default:
      return 10;  // bitstring
  }
}

template <class F>
std::weak_ordering compare_sequences(const std::vector<term>& a, const std::vector<term>& b,
                                     F&& cmp) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (const auto c = cmp(a[i], b[i]); c != 0) return c;
  return a.size() <=> b.size();
}

std::weak_ordering compare_bits(const binary_value& a, const binary_value& b) {
  const std::size_t n = std::min(a.bytes.size(), b.bytes.size());
  for (std::size_t i = 0; i < n; ++i) {
    const bool a_last = i + 1 == a.bytes.size();
    const bool b_last = i + 1 == b.bytes.size();
    if (!a_last && !b_last) {
      if (a.bytes[i] != b.bytes[i]) return a.bytes[i] <=> b.bytes[i];
      continue;
    }
    // A partial last byte: compare its used bits, then the bit lengths.
    const unsigned abits = a_last ? a.bits : 8;
    const unsigned bbits = b_last ? b.bits : 8;
    const unsigned k = std::min(abits, bbits);
    const unsigned av = a.bytes[i] >> (8 - k);
    const unsigned bv = b.bytes[i] >> (8 - k);
    if (av != bv) return av <=> bv;
    if (abits != bbits || a_last != b_last)
      return (a.bytes.size() * 8 - 8 + abits) <=> (b.bytes.size() * 8 - 8 + bbits);
  }
  const std::size_t abits = a.bytes.empty() ? 0 : (a.bytes.size() - 1) * 8 + a.bits;
  const std::size_t bbits = b.bytes.empty() ? 0 : (b.bytes.size() - 1) * 8 + b.bits;
  return abits <=> bbits;
}

template <class Id>
std::weak_ordering compare_identity(const std::string& an, const Id& a, const std::string& bn,
                                    const Id& b) {
  if (an != bn) return an <=> bn;
  return a <=> b;
}

std::weak_ordering compare_impl(const term& a, const term& b, bool map_keys);

std::weak_ordering compare_lists(const list_value& a, const list_value& b, bool map_keys) {
  const std::size_t n = std::min(a.items.size(), b.items.size());
  for (std::size_t i = 0; i < n; ++i)
    if (const auto c = compare_impl(a.items[i], b.items[i], map_keys); c != 0) return c;
  // One ran out: compare what follows on each side ([] or the rest, or the tail).
  const auto rest = [](const list_value& l, std::size_t from) -> term {
    if (from < l.items.size())
      return term::improper_list(
          {l.items.begin() + static_cast<std::ptrdiff_t>(from), l.items.end()},
          l.tail ? *l.tail : term());
    return l.tail ? *l.tail : term();
  };
  return compare_impl(rest(a, n), rest(b, n), map_keys);
}

std::weak_ordering compare_maps(const map_value& a, const map_value& b) {
  if (a.entries.size() != b.entries.size()) return a.entries.size() <=> b.entries.size();
  for (std::size_t i = 0; i < a.entries.size(); ++i)
    if (const auto c = map_key_compare(a.entries[i].first, b.entries[i].first); c != 0) return c;
  for (std::size_t i = 0; i < a.entries.size(); ++i)
    if (const auto c = compare(a.entries[i].second, b.entries[i].second); c != 0) return c;
  return std::weak_ordering::equivalent;
}

std::weak_ordering compare_impl(const term& a, const term& b, bool map_keys) {
  const int ra = type_rank(a);
  const int rb = type_rank(b);
  if (ra != rb) return ra <=> rb;
  if (ra == 0) {
    if (map_keys) {  // every integer before every float
      const bool af = a.is<double>();
      const bool bf = b.is<double>();
      if (af != bf) return af ? std::weak_ordering::greater : std::weak_ordering::less;
    }
    return compare_numbers(a, b);
  }
  const auto cmp = [map_keys](const term& x, const term& y) {
    return compare_impl(x, y, map_keys);
  };
  if (const auto* x = a.get_if<atom_value>()) return x->name <=> b.get_if<atom_value>()->name;
  if (const auto* x = a.get_if<ext_ref>()) {
    const auto* y = b.get_if<ext_ref>();
    // References compare by node, then by their words, most significant first.
    std::vector<std::uint32_t> xi(x->ids.rbegin(), x->ids.rend());
    std::vector<std::uint32_t> yi(y->ids.rbegin(), y->ids.rend());
    return compare_identity(x->node, xi, y->node, yi);
  }
  if (const auto* x = a.get_if<ext_fun>()) return x->encoding <=> b.get_if<ext_fun>()->encoding;
  if (const auto* x = a.get_if<ext_port>()) {
    const auto* y = b.get_if<ext_port>();
    return compare_identity(x->node, x->id, y->node, y->id);
  }
  if (const auto* x = a.get_if<ext_pid>()) {
    const auto* y = b.get_if<ext_pid>();
    return compare_identity(x->node, std::pair(x->serial, x->id), y->node,
                            std::pair(y->serial, y->id));
  }
  if (const auto* x = a.get_if<tuple_value>()) {
    const auto& y = b.get_if<tuple_value>()->items;
    if (x->items.size() != y.size()) return x->items.size() <=> y.size();
    return compare_sequences(x->items, y, cmp);
  }
  if (const auto* x = a.get_if<map_value>()) return compare_maps(*x, *b.get_if<map_value>());
  if (const auto* x = a.get_if<list_value>()) {
    if (ra == 8) return std::weak_ordering::equivalent;  // [] and []
    return compare_lists(*x, *b.get_if<list_value>(), map_keys);
  }
  return compare_bits(*a.get_if<binary_value>(), *b.get_if<binary_value>());
}

// --- printing ---

bool is_reserved(std::string_view s) {
  static constexpr std::array<std::string_view, 30> kWords = {
      "after", "and",    "andalso", "band", "begin", "bnot", "bor", "bsl",   "bsr",  "bxor",
      "case",  "catch",  "cond",    "div",  "end",   "fun",  "if",  "let",   "not",  "of",
      "or",    "orelse", "receive", "rem",  "try",   "when", "xor", "maybe", "else", "query"};
  return std::find(kWords.begin(), kWords.end(), s) != kWords.end();
}

void print_atom(std::string& out, std::string_view name) {
  bool plain = !name.empty() && name[0] >= 'a' && name[0] <= 'z' && !is_reserved(name);
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@')) plain = false;
  if (plain) {
    out += name;
    return;
  }
  out += '\'';
  for (char c : name) {
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  out += '\'';
}

/// As float_to_list(F, [short]): the shortest digits that read back as F,
/// in fixed or scientific notation, whichever is shorter (fixed on a tie).
void print_float(std::string& out, double d) {
  if (!std::isfinite(d)) {  // no Erlang float is: the encoder refuses these
    out += std::isnan(d) ? "nan" : (d < 0 ? "-inf" : "inf");
    return;
  }
  std::array<char, 64> buf{};
  const auto r =
      std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::scientific);
  std::string sci(buf.data(), r.ptr);  // [-]D[.DDD]e[+-]XX
  const std::size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  const int exp = std::stoi(sci.substr(e + 1));
  const bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits = mant;
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  // Scientific: D.DDDeX with at least one decimal.
  std::string s = digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "e" +
                  std::to_string(exp);
  // Fixed: the point moved by exp, with at least one digit on each side.
  std::string f;
  const int point = exp + 1;  // digits before the point
  if (point <= 0) {
    f = "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    f = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0') + ".0";
  } else {
    f = digits.substr(0, static_cast<std::size_t>(point)) + "." +
        digits.substr(static_cast<std::size_t>(point));
  }
  if (neg) out += '-';
  out += f.size() <= s.size() ? f : s;
}

void print(std::string& out, const term& t);

void print_items(std::string& out, const std::vector<term>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    print(out, items[i]);
  }
}

void print_node(std::string& out, const std::string& node) { print_atom(out, node); }

void print(std::string& out, const term& t) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::int64_t>) {
          out += std::to_string(v);
        } else if constexpr (std::is_same_v<V, big_integer>) {
          out += big_decimal(v);
        } else if constexpr (std::is_same_v<V, double>) {
          print_float(out, v);
        } else if constexpr (std::is_same_v<V, atom_value>) {
          print_atom(out, v.name);
        } else if constexpr (std::is_same_v<V, ext_ref>) {
          out += "#Ref<";
          print_node(out, v.node);
          for (std::size_t i = v.ids.size(); i-- > 0;) out += "." + std::to_string(v.ids[i]);
          out += '>';
        } else if constexpr (std::is_same_v<V, ext_fun>) {
          out += "#Fun<>";
        } else if constexpr (std::is_same_v<V, ext_port>) {
          out += "#Port<";
          print_node(out, v.node);
          out += "." + std::to_string(v.id) + ">";
        } else if constexpr (std::is_same_v<V, ext_pid>) {
          out += '<';
          print_node(out, v.node);
          out += "." + std::to_string(v.id) + "." + std::to_string(v.serial) + ">";
        } else if constexpr (std::is_same_v<V, tuple_value>) {
          out += '{';
          print_items(out, v.items);
          out += '}';
        } else if constexpr (std::is_same_v<V, map_value>) {
          out += "#{";
          for (std::size_t i = 0; i < v.entries.size(); ++i) {
            if (i > 0) out += ',';
            print(out, v.entries[i].first);
            out += " => ";
            print(out, v.entries[i].second);
          }
          out += '}';
        } else if constexpr (std::is_same_v<V, list_value>) {
          out += '[';
          print_items(out, v.items);
          if (v.tail) {
            out += '|';
            print(out, *v.tail);
          }
          out += ']';
        } else {
          out += "<<";
          for (std::size_t i = 0; i < v.bytes.size(); ++i) {
            if (i > 0) out += ',';
            const bool partial = i + 1 == v.bytes.size() && v.bits != 8;
            out += std::to_string(partial ? v.bytes[i] >> (8 - v.bits) : v.bytes[i]);
            if (partial) out += ":" + std::to_string(v.bits);
          }
          out += ">>";
        }
      },
      t.value());
}

}  // namespace

bool operator==(const tuple_value& a, const tuple_value& b) { return a.items == b.items; }
bool operator==(const list_value& a, const list_value& b) {
  if (a.items != b.items || static_cast<bool>(a.tail) != static_cast<bool>(b.tail)) return false;
  return !a.tail || *a.tail == *b.tail;
}
bool operator==(const map_value& a, const map_value& b) { return a.entries == b.entries; }

term::term(big_integer b) {
  std::int64_t small = 0;
  while (!b.magnitude.empty() && b.magnitude.back() == 0) b.magnitude.pop_back();
  if (fits_int64(b, small))
    v_ = small;
  else
    v_ = std::move(b);
}

term::term(list_value l) {
  if (l.tail && l.items.empty())
    throw badarg("term: an improper list needs at least one element before its tail");
  if (l.tail && l.tail->is<list_value>())
    throw badarg("term: a list's tail is a list; use term::improper_list, which appends it");
  v_ = std::move(l);
}

term::term(map_value m) {
  auto& e = m.entries;
  // Sorted by key, equal keys in the order given (the index breaks ties).
  std::vector<std::size_t> order(e.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const std::strong_ordering c = map_key_compare(e[x].first, e[y].first);
    return c < 0 || (c == 0 && x < y);
  });
  // Of equal keys the last given wins: keep the last of each run.
  std::vector<std::pair<term, term>> unique;
  for (std::size_t i : order) {
    if (!unique.empty() && unique.back().first == e[i].first)
      unique.back() = std::move(e[i]);
    else
      unique.push_back(std::move(e[i]));
  }
  v_ = map_value{std::move(unique)};
}

term term::improper_list(std::vector<term> items, term tail) {
  if (const auto* l = tail.get_if<list_value>()) {
    items.insert(items.end(), l->items.begin(), l->items.end());
    return term(list_value{std::move(items), l->tail});
  }
  if (items.empty()) return tail;
  return term(list_value{std::move(items), std::make_shared<const term>(std::move(tail))});
}

term term::binary(std::string_view bytes) {
  return term(binary_value{{bytes.begin(), bytes.end()}, 8});
}

bool term::is_atom(std::string_view name) const noexcept {
  const auto* a = get_if<atom_value>();
  return a != nullptr && a->name == name;
}

bool term::is_nil() const noexcept {
  const auto* l = get_if<list_value>();
  return l != nullptr && l->items.empty() && !l->tail;
}

std::string term::to_string() const {
  std::string out;
  print(out, *this);
  return out;
}

std::weak_ordering compare(const term& a, const term& b) { return compare_impl(a, b, false); }

std::strong_ordering map_key_compare(const term& a, const term& b) {
  const std::weak_ordering w = compare_impl(a, b, true);
  if (w < 0) return std::strong_ordering::less;
  if (w > 0) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

}  // namespace otp

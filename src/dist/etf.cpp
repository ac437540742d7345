// The external term format (otp/dist/etf.hpp). Encoding goes through
// erl_interface (ei). Decoding is this file's own: ei's decoders take no
// buffer length and trust every count they read, so bytes from a socket
// could make them read past the buffer (docs/decisions/0007-etf-decoder.md).
#include "otp/dist/etf.hpp"

#include <ei.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "otp/runtime/errors.hpp"

namespace otp {

namespace {

// --- encoding ---

/// An ei_x_buff that frees itself.
class ei_buffer {
 public:
  ei_buffer() {
    if (ei_x_new_with_version(&x_) != 0) throw std::bad_alloc();
  }
  ~ei_buffer() { ei_x_free(&x_); }
  ei_buffer(const ei_buffer&) = delete;
  ei_buffer& operator=(const ei_buffer&) = delete;
  ei_x_buff* get() noexcept { return &x_; }
  std::vector<std::uint8_t> bytes() const {
    const auto* p = reinterpret_cast<const std::uint8_t*>(x_.buff);
    return {p, p + x_.index};
  }

 private:
  ei_x_buff x_{};
};

void check(int rc, const char* what) {
  if (rc != 0) throw badarg(std::string("term_to_binary: ") + what);
}

void copy_node(char (&dst)[MAXATOMLEN_UTF8], const std::string& node) {
  if (node.size() >= MAXATOMLEN_UTF8 || node.size() > 255 * 4)
    throw badarg("term_to_binary: a node name longer than an atom");
  if (node.find('\0') != std::string::npos)  // ei takes it as a C string
    throw badarg("term_to_binary: a node name with a NUL byte");
  std::memcpy(dst, node.data(), node.size());
  dst[node.size()] = '\0';
}

void encode(ei_x_buff* x, const term& t);

void encode_big(ei_x_buff* x, const big_integer& b) {
  std::vector<char> out;
  const std::size_t n = b.magnitude.size();
  if (n <= 255) {
    out = {static_cast<char>(ERL_SMALL_BIG_EXT), static_cast<char>(n)};
  } else {
    out = {static_cast<char>(ERL_LARGE_BIG_EXT), static_cast<char>(n >> 24),
           static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  }
  out.push_back(b.negative ? 1 : 0);
  out.insert(out.end(), b.magnitude.begin(), b.magnitude.end());
  check(ei_x_append_buf(x, out.data(), static_cast<int>(out.size())), "out of memory");
}

void encode(ei_x_buff* x, const term& t) {
  std::visit(
      [x](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::int64_t>) {
          check(ei_x_encode_longlong(x, v), "integer");
        } else if constexpr (std::is_same_v<V, big_integer>) {
          encode_big(x, v);
        } else if constexpr (std::is_same_v<V, double>) {
          if (!std::isfinite(v)) throw badarg("term_to_binary: a float that is not finite");
          check(ei_x_encode_double(x, v), "float");
        } else if constexpr (std::is_same_v<V, atom_value>) {
          check(ei_x_encode_atom_len_as(x, v.name.data(), static_cast<int>(v.name.size()),
                                        ERLANG_UTF8, ERLANG_UTF8),
                "an atom longer than 255 characters, or not UTF-8");
        } else if constexpr (std::is_same_v<V, ext_ref>) {
          if (v.ids.empty() || v.ids.size() > 5)
            throw badarg("term_to_binary: a reference of 1 to 5 words");
          erlang_ref r{};
          copy_node(r.node, v.node);
          r.len = static_cast<int>(v.ids.size());
          std::copy(v.ids.begin(), v.ids.end(), r.n);
          r.creation = v.creation;
          check(ei_x_encode_ref(x, &r), "reference");
        } else if constexpr (std::is_same_v<V, ext_fun>) {
          check(ei_x_append_buf(x, reinterpret_cast<const char*>(v.encoding.data()),
                                static_cast<int>(v.encoding.size())),
                "fun");
        } else if constexpr (std::is_same_v<V, ext_port>) {
          erlang_port p{};
          copy_node(p.node, v.node);
          p.id = v.id;
          p.creation = v.creation;
          check(ei_x_encode_port(x, &p), "port");
        } else if constexpr (std::is_same_v<V, ext_pid>) {
          erlang_pid p{};
          copy_node(p.node, v.node);
          p.num = v.id;
          p.serial = v.serial;
          p.creation = v.creation;
          check(ei_x_encode_pid(x, &p), "pid");
        } else if constexpr (std::is_same_v<V, tuple_value>) {
          check(ei_x_encode_tuple_header(x, static_cast<long>(v.items.size())), "tuple");
          for (const term& e : v.items) encode(x, e);
        } else if constexpr (std::is_same_v<V, map_value>) {
          check(ei_x_encode_map_header(x, static_cast<long>(v.entries.size())), "map");
          for (const auto& [k, val] : v.entries) {
            encode(x, k);
            encode(x, val);
          }
        } else if constexpr (std::is_same_v<V, list_value>) {
          if (!v.items.empty()) {
            check(ei_x_encode_list_header(x, static_cast<long>(v.items.size())), "list");
            for (const term& e : v.items) encode(x, e);
          }
          if (v.tail)
            encode(x, *v.tail);
          else
            check(ei_x_encode_empty_list(x), "list");
        } else {
          if (v.bits == 0 || v.bits > 8)
            throw badarg("term_to_binary: a bitstring's last byte uses 1 to 8 bits");
          if (v.bits == 8 || v.bytes.empty()) {
            check(ei_x_encode_binary(x, v.bytes.data(), static_cast<int>(v.bytes.size())),
                  "binary");
          } else {
            const std::size_t bits = (v.bytes.size() - 1) * 8 + v.bits;
            check(ei_x_encode_bitstring(x, reinterpret_cast<const char*>(v.bytes.data()), 0, bits),
                  "bitstring");
          }
        }
      },
      t.value());
}

// --- decoding ---

/// Reads big-endian fields from a span, never past its end.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> b) : b_(b) {}
  std::size_t offset() const noexcept { return at_; }
  std::size_t left() const noexcept { return b_.size() - at_; }
  [[noreturn]] void fail(const std::string& what) const { throw etf_error(what, at_); }
  std::span<const std::uint8_t> take(std::size_t n) {
    if (n > left()) fail("a truncated term");
    auto s = b_.subspan(at_, n);
    at_ += n;
    return s;
  }
  std::uint64_t uint(std::size_t n) {
    std::uint64_t v = 0;
    for (std::uint8_t byte : take(n)) v = (v << 8) | byte;
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(uint(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }
  /// A count of items that each take at least `each` bytes: no larger than
  /// the input can hold.
  std::size_t count(std::uint64_t n, std::size_t each) {
    if (n > left() / each) fail("a count larger than the bytes left");
    return static_cast<std::size_t>(n);
  }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t at_ = 0;
};

std::string latin1_to_utf8(std::span<const std::uint8_t> s) {
  std::string out;
  for (std::uint8_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

class decoder {
 public:
  decoder(std::span<const std::uint8_t> b, etf_limits l) : r_(b), limits_(l) {}

  term whole() {
    term t = prefix();
    if (r_.left() != 0) r_.fail("bytes after the term");
    return t;
  }

  term prefix() {
    if (r_.u8() != 131) r_.fail("no version byte 131");
    return next(0);
  }

  std::size_t used() const noexcept { return r_.offset(); }

 private:
  std::string atom_text() {
    const std::uint8_t tag = r_.u8();
    switch (tag) {
      case ERL_ATOM_UTF8_EXT: {
        auto s = r_.take(r_.u16());
        return {s.begin(), s.end()};
      }
      case ERL_SMALL_ATOM_UTF8_EXT: {
        auto s = r_.take(r_.u8());
        return {s.begin(), s.end()};
      }
      case ERL_ATOM_EXT:
        return latin1_to_utf8(r_.take(r_.u16()));
      case ERL_SMALL_ATOM_EXT:
        return latin1_to_utf8(r_.take(r_.u8()));
      default:
        r_.fail("an atom expected, tag " + std::to_string(tag));
    }
  }

  big_integer big(std::size_t n) {
    big_integer b;
    const std::uint8_t sign = r_.u8();
    if (sign > 1) r_.fail("a big integer's sign is not 0 or 1");
    b.negative = sign == 1;
    auto d = r_.take(n);
    b.magnitude.assign(d.begin(), d.end());
    return b;
  }

  void enter(std::size_t depth) const {
    if (depth >= limits_.max_depth) r_.fail("nesting deeper than the limit");
  }

  std::vector<term> items(std::size_t n, std::size_t depth) {
    std::vector<term> v;
    v.reserve(n);
    for (std::size_t i = 0; i < n; ++i) v.push_back(next(depth + 1));
    return v;
  }

  term next(std::size_t depth) {
    const std::size_t start = r_.offset();
    const std::uint8_t tag = r_.u8();
    switch (tag) {
      case ERL_SMALL_INTEGER_EXT:
        return term(std::int64_t{r_.u8()});
      case ERL_INTEGER_EXT:
        return term(std::int64_t{static_cast<std::int32_t>(r_.u32())});
      case 70: {  // NEW_FLOAT_EXT
        const double d = std::bit_cast<double>(r_.uint(8));
        if (!std::isfinite(d)) r_.fail("a float that is not finite");
        return term(d);
      }
      case ERL_FLOAT_EXT: {  // 31 bytes of "%.20e"
        auto s = r_.take(31);
        const std::string text(s.begin(), std::find(s.begin(), s.end(), 0));
        char* end = nullptr;
        const double d = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || !std::isfinite(d)) r_.fail("a float that does not read");
        return term(d);
      }
      case ERL_SMALL_BIG_EXT:
        return term(big(r_.u8()));
      case ERL_LARGE_BIG_EXT:
        return term(big(r_.count(r_.u32(), 1)));
      case ERL_ATOM_UTF8_EXT:
      case ERL_SMALL_ATOM_UTF8_EXT:
      case ERL_ATOM_EXT:
      case ERL_SMALL_ATOM_EXT:
        r_ = rewind(start);  // atom_text reads the tag too
        return term(atom_value{atom_text()});
      case ERL_NEW_PID_EXT:
      case ERL_PID_EXT: {
        ext_pid p;
        p.node = atom_text();
        p.id = r_.u32();
        p.serial = r_.u32();
        p.creation = tag == ERL_NEW_PID_EXT ? r_.u32() : r_.u8();
        return term(std::move(p));
      }
      case ERL_NEWER_REFERENCE_EXT:
      case ERL_NEW_REFERENCE_EXT: {
        const std::uint16_t len = r_.u16();
        if (len == 0 || len > 5) r_.fail("a reference of 1 to 5 words expected");
        ext_ref ref;
        ref.node = atom_text();
        ref.creation = tag == ERL_NEWER_REFERENCE_EXT ? r_.u32() : r_.u8();
        for (std::uint16_t i = 0; i < len; ++i) ref.ids.push_back(r_.u32());
        return term(std::move(ref));
      }
      case ERL_REFERENCE_EXT: {
        ext_ref ref;
        ref.node = atom_text();
        ref.ids.push_back(r_.u32());
        ref.creation = r_.u8();
        return term(std::move(ref));
      }
      case ERL_NEW_PORT_EXT:
      case ERL_V4_PORT_EXT:
      case ERL_PORT_EXT: {
        ext_port p;
        p.node = atom_text();
        p.id = tag == ERL_V4_PORT_EXT ? r_.uint(8) : r_.u32();
        p.creation = tag == ERL_PORT_EXT ? r_.u8() : r_.u32();
        return term(std::move(p));
      }
      case ERL_SMALL_TUPLE_EXT:
      case ERL_LARGE_TUPLE_EXT: {
        enter(depth);
        const std::uint64_t n = tag == ERL_SMALL_TUPLE_EXT ? r_.u8() : r_.u32();
        return term(tuple_value{items(r_.count(n, 1), depth)});
      }
      case ERL_NIL_EXT:
        return term();
      case ERL_STRING_EXT: {  // a list of bytes
        auto s = r_.take(r_.u16());
        std::vector<term> v;
        v.reserve(s.size());
        for (std::uint8_t c : s) v.emplace_back(std::int64_t{c});
        return term::list(std::move(v));
      }
      case ERL_LIST_EXT: {
        enter(depth);
        const std::size_t n = r_.count(r_.u32(), 1);
        if (n == 0) r_.fail("a list of no elements before its tail");
        std::vector<term> v = items(n, depth);
        term tail = next(depth + 1);
        if (tail.is_nil()) return term::list(std::move(v));
        return term::improper_list(std::move(v), std::move(tail));
      }
      case ERL_BINARY_EXT: {
        auto s = r_.take(r_.u32());
        return term(binary_value{{s.begin(), s.end()}, 8});
      }
      case ERL_BIT_BINARY_EXT: {
        const std::uint32_t len = r_.u32();
        const std::uint8_t bits = r_.u8();
        if (len == 0 ? bits != 0 && bits != 8 : bits == 0 || bits > 8)
          r_.fail("a bitstring whose last byte uses 1 to 8 bits expected");
        auto s = r_.take(len);
        binary_value b{{s.begin(), s.end()}, len == 0 ? std::uint8_t{8} : bits};
        if (!b.bytes.empty() && b.bits < 8)  // unused low bits are zero in a term
          b.bytes.back() = static_cast<std::uint8_t>(b.bytes.back() & (0xFF << (8 - b.bits)));
        return term(std::move(b));
      }
      case ERL_MAP_EXT: {
        enter(depth);
        const std::size_t n = r_.count(r_.u32(), 2);
        std::vector<std::pair<term, term>> entries;
        entries.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          term k = next(depth + 1);
          term v = next(depth + 1);
          entries.emplace_back(std::move(k), std::move(v));
        }
        return term::map(std::move(entries));
      }
      case ERL_NEW_FUN_EXT: {
        const std::uint32_t size = r_.u32();  // counts itself
        if (size < 4) r_.fail("a fun's size below its own field");
        (void)r_.take(size - 4);
        return fun_since(start);
      }
      case ERL_EXPORT_EXT: {
        (void)atom_text();
        (void)atom_text();
        if (r_.u8() != ERL_SMALL_INTEGER_EXT) r_.fail("an export's arity expected");
        (void)r_.u8();
        return fun_since(start);
      }
      case 80:
        r_.fail("a compressed term (not supported)");
      default:
        r_ = rewind(start);
        r_.fail("an unknown tag " + std::to_string(tag));
    }
  }

  term fun_since(std::size_t start) {
    reader from = rewind(start);
    auto s = from.take(r_.offset() - start);
    return term(ext_fun{{s.begin(), s.end()}});
  }

  /// A reader over the same bytes, at `offset`.
  reader rewind(std::size_t offset) const {
    reader r = origin_;
    (void)r.take(offset);
    return r;
  }

  reader r_;
  const reader origin_ = r_;
  etf_limits limits_;
};

}  // namespace

std::vector<std::uint8_t> term_to_binary(const term& t) {
  ei_buffer x;
  encode(x.get(), t);
  return x.bytes();
}

term binary_to_term(std::span<const std::uint8_t> bytes, etf_limits limits) {
  return decoder(bytes, limits).whole();
}

std::pair<term, std::size_t> binary_to_term_used(std::span<const std::uint8_t> bytes,
                                                 etf_limits limits) {
  decoder d(bytes, limits);
  term t = d.prefix();
  return {std::move(t), d.used()};
}

}  // namespace otp

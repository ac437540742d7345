// The external term format: term_to_binary writes what OTP 25 writes, and
// binary_to_term reads it back; hostile bytes get an otp::etf_error with
// the offset, never a read past the input.
#include "otp/dist/etf.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "otp/runtime/errors.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
using otp::term;

term sample() {
  return term::tuple({
      term::atom("ok"),
      term(-1),
      term(std::int64_t{1} << 40),
      term(otp::big_integer{true, {0, 0, 0, 0, 0, 0, 0, 0, 0x40}}),
      term(2.5),
      term::list({term(1), term::binary("xy")}),
      term::improper_list({term(1)}, term::atom("t")),
      term::map({{term::atom("k"), term()}}),
      term(otp::binary_value{{0xA0}, 3}),
      term(otp::ext_pid{"a@host", 12, 3, 4}),
      term(otp::ext_ref{"a@host", {1, 2, 3}, 4}),
      term(otp::ext_port{"a@host", 77, 4}),
      term::atom("héllo"),
  });
}

std::string decode_error(const bytes& b) {
  try {
    (void)otp::binary_to_term(b);
  } catch (const otp::etf_error& e) {
    return e.what();
  }
  return "decoded";
}

TEST(Etf, ARoundTripGivesTheSameTerm) {
  const term t = sample();
  EXPECT_EQ(otp::binary_to_term(otp::term_to_binary(t)), t);
}

TEST(Etf, WritesTheEncodingsErlangWrites) {
  // erl 25: term_to_binary({ok, 1}, [{minor_version, 2}]) (UTF-8 atoms, as
  // over distribution) = <<131,104,2,119,2,111,107,97,1>>
  EXPECT_EQ(otp::term_to_binary(term::tuple({term::atom("ok"), term(1)})),
            (bytes{131, 104, 2, 119, 2, 111, 107, 97, 1}));
  // term_to_binary([]), term_to_binary(<<1,2>>) and term_to_binary(<<1,2:3>>)
  EXPECT_EQ(otp::term_to_binary(term()), (bytes{131, 106}));
  EXPECT_EQ(otp::term_to_binary(term::binary("\x01\x02")), (bytes{131, 109, 0, 0, 0, 2, 1, 2}));
  EXPECT_EQ(otp::term_to_binary(term(otp::binary_value{{1, 0x40}, 3})),
            (bytes{131, 77, 0, 0, 0, 2, 3, 1, 64}));
}

TEST(Etf, ReadsTheOlderEncodings) {
  // ATOM_EXT (latin-1), STRING_EXT, FLOAT_EXT, SMALL_TUPLE of SMALL_INTEGER
  EXPECT_EQ(otp::binary_to_term(bytes{131, 100, 0, 2, 'o', 0xE9}), term::atom("o\xC3\xA9"));
  EXPECT_EQ(otp::binary_to_term(bytes{131, 107, 0, 2, 1, 2}), term::list({term(1), term(2)}));
  bytes f = {131, 99};
  const std::string text = "2.50000000000000000000e+00";
  f.insert(f.end(), text.begin(), text.end());
  f.resize(2 + 31, 0);
  EXPECT_EQ(otp::binary_to_term(f), term(2.5));
}

TEST(Etf, EveryTruncationIsAnErrorNotARead) {
  const bytes whole = otp::term_to_binary(sample());
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(decode_error(cut), "decoded") << n;
  }
}

TEST(Etf, ACountLargerThanTheInputIsRefusedBeforeAnyAllocation) {
  // LARGE_TUPLE_EXT of 2^32 - 1 elements, in 6 bytes.
  EXPECT_NE(decode_error(bytes{131, 105, 0xFF, 0xFF, 0xFF, 0xFF}).find("count larger"),
            std::string::npos);
  // A binary claiming 4 GiB.
  EXPECT_NE(decode_error(bytes{131, 109, 0xFF, 0xFF, 0xFF, 0xFF, 1}).find("truncated"),
            std::string::npos);
  // A map of 2^31 entries.
  EXPECT_NE(decode_error(bytes{131, 116, 0x80, 0, 0, 0}).find("count larger"), std::string::npos);
}

TEST(Etf, NestingDeeperThanTheLimitIsRefused) {
  bytes deep = {131};
  for (int i = 0; i < 5000; ++i) deep.insert(deep.end(), {104, 1});
  deep.push_back(106);
  EXPECT_NE(decode_error(deep).find("nesting"), std::string::npos);
  bytes ok = {131};
  for (int i = 0; i < 10; ++i) ok.insert(ok.end(), {104, 1});
  ok.push_back(106);
  EXPECT_NO_THROW((void)otp::binary_to_term(ok));
}

TEST(Etf, BadBytesNameWhatAndWhere) {
  EXPECT_EQ(decode_error(bytes{130, 106}), "binary_to_term: no version byte 131 at byte 1");
  EXPECT_EQ(decode_error(bytes{131, 106, 0}), "binary_to_term: bytes after the term at byte 2");
  EXPECT_EQ(decode_error(bytes{131, 200}), "binary_to_term: an unknown tag 200 at byte 1");
  EXPECT_NE(decode_error(bytes{131, 80, 0, 0, 0, 1, 0}).find("compressed"), std::string::npos);
  EXPECT_NE(decode_error(bytes{131, 110, 1, 2, 5}).find("sign"), std::string::npos);
  EXPECT_NE(decode_error(bytes{131, 77, 0, 0, 0, 1, 9, 0}).find("bits"), std::string::npos);
  EXPECT_NE(decode_error(bytes{131, 108, 0, 0, 0, 0, 106}).find("no elements"), std::string::npos);
  // NEW_FLOAT_EXT holding a NaN
  EXPECT_NE(decode_error(bytes{131, 70, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0}).find("finite"),
            std::string::npos);
}

TEST(Etf, WhatErlangCannotHoldIsBadarg) {
  EXPECT_THROW((void)otp::term_to_binary(term(std::numeric_limits<double>::infinity())),
               otp::badarg);
  EXPECT_THROW((void)otp::term_to_binary(term::atom(std::string(256, 'a'))), otp::badarg);
  EXPECT_THROW((void)otp::term_to_binary(term(otp::ext_ref{"n@h", {1, 2, 3, 4, 5, 6}, 1})),
               otp::badarg);
  EXPECT_THROW((void)otp::term_to_binary(term(otp::binary_value{{1}, 0})), otp::badarg);
  EXPECT_THROW((void)otp::term_to_binary(term(otp::ext_pid{std::string("a\0b", 3), 1, 0, 1})),
               otp::badarg);
}

TEST(Etf, MutatedEncodingsDecodeOrFailCleanly) {
  // A fixed-seed sweep of one- to three-byte changes to a valid encoding:
  // each decodes or throws etf_error; under ASan, none reads out of bounds.
  const bytes whole = otp::term_to_binary(sample());
  std::uint32_t seed = 12345;
  const auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  int decoded = 0;
  int refused = 0;
  for (int i = 0; i < 5000; ++i) {
    bytes b = whole;
    const int changes = 1 + static_cast<int>(next() % 3);
    for (int c = 0; c < changes; ++c)
      b[1 + next() % (b.size() - 1)] = static_cast<std::uint8_t>(next());
    try {
      (void)otp::binary_to_term(b);
      ++decoded;
    } catch (const otp::etf_error&) {
      ++refused;
    }
  }
  EXPECT_EQ(decoded + refused, 5000);
  EXPECT_GT(refused, 0);
}

}  // namespace

// otp::term: construction, printing as io:format("~w") does, and Erlang's
// term order. The figures in the expectations are what erl 25 prints and
// sorts (tests/integration/etf_erlang_test.cpp checks them against erl).
#include "otp/dist/term.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "otp/runtime/errors.hpp"

namespace {

using otp::term;

term big(bool negative, std::vector<std::uint8_t> magnitude) {
  return term(otp::big_integer{negative, std::move(magnitude)});
}

TEST(Term, PrintsAsErlangsTildeW) {
  EXPECT_EQ(term::tuple({term::atom("ok"), term(42)}).to_string(), "{ok,42}");
  EXPECT_EQ(term::list({term(1), term(2)}).to_string(), "[1,2]");
  EXPECT_EQ(term::improper_list({term(1)}, term(2)).to_string(), "[1|2]");
  EXPECT_EQ(term().to_string(), "[]");
  EXPECT_EQ(term::tuple({}).to_string(), "{}");
  EXPECT_EQ(term::binary("").to_string(), "<<>>");
  EXPECT_EQ(term(otp::binary_value{{1, 0x40}, 3}).to_string(), "<<1,2:3>>");
  EXPECT_EQ(term::map({{term::atom("a"), term(1)}}).to_string(), "#{a => 1}");
}

TEST(Term, QuotesAtomsAsErlangDoes) {
  EXPECT_EQ(term::atom("ok").to_string(), "ok");
  EXPECT_EQ(term::atom("a@b").to_string(), "a@b");
  EXPECT_EQ(term::atom("hello world").to_string(), "'hello world'");
  EXPECT_EQ(term::atom("Abc").to_string(), "'Abc'");
  EXPECT_EQ(term::atom("").to_string(), "''");
  EXPECT_EQ(term::atom("end").to_string(), "'end'");
  EXPECT_EQ(term::atom("it's").to_string(), "'it\\'s'");
}

TEST(Term, PrintsFloatsInTheShortestFormThatReadsBack) {
  EXPECT_EQ(term(1.0e10).to_string(), "1.0e10");
  EXPECT_EQ(term(1.0e21).to_string(), "1.0e21");
  EXPECT_EQ(term(0.1).to_string(), "0.1");
  EXPECT_EQ(term(1.0e-4).to_string(), "0.0001");
  EXPECT_EQ(term(1.0e-5).to_string(), "1.0e-5");
  EXPECT_EQ(term(123.456).to_string(), "123.456");
  EXPECT_EQ(term(-0.0).to_string(), "-0.0");
  EXPECT_EQ(term(100.0).to_string(), "100.0");
}

TEST(Term, BigIntegersPrintInDecimalAndSmallOnesAreNotBig) {
  // 2^70 = 1180591620717411303424: byte 8 (the 9th) holds 0x40.
  const term b = big(false, {0, 0, 0, 0, 0, 0, 0, 0, 0x40});
  EXPECT_TRUE(b.is<otp::big_integer>());
  EXPECT_EQ(b.to_string(), "1180591620717411303424");
  EXPECT_EQ(big(true, {0, 0, 0, 0, 0, 0, 0, 0, 0x40}).to_string(), "-1180591620717411303424");
  const term small = big(true, {5, 0, 0});
  EXPECT_TRUE(small.is<std::int64_t>());
  EXPECT_EQ(small, term(-5));
}

TEST(Term, SortsInErlangsTermOrder) {
  // number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring
  const std::vector<term> sorted = {
      term(1),
      term::atom("a"),
      term(otp::ext_ref{"n@h", {1, 2, 3}, 1}),
      term(otp::ext_fun{{113}}),
      term(otp::ext_port{"n@h", 5, 1}),
      term(otp::ext_pid{"n@h", 9, 0, 1}),
      term::tuple({}),
      term::map({}),
      term(),
      term::list({term(1)}),
      term::binary(""),
  };
  for (std::size_t i = 0; i + 1 < sorted.size(); ++i)
    EXPECT_TRUE(otp::compare(sorted[i], sorted[i + 1]) < 0) << i;
}

TEST(Term, NumbersCompareByValueAcrossIntegersAndFloats) {
  EXPECT_TRUE(otp::compare(term(1), term(1.0)) == 0);
  EXPECT_FALSE(term(1) == term(1.0));  // =:= tells them apart
  EXPECT_TRUE(otp::compare(term(1), term(1.5)) < 0);
  EXPECT_TRUE(otp::compare(term(2.5), term(3)) < 0);
  const term two70 = big(false, {0, 0, 0, 0, 0, 0, 0, 0, 0x40});
  EXPECT_TRUE(otp::compare(term(1.0e20), two70) < 0);
  EXPECT_TRUE(otp::compare(term(1.0e22), two70) > 0);
  EXPECT_TRUE(otp::compare(term(1180591620717411303424.0), two70) == 0);
  EXPECT_TRUE(otp::compare(big(true, {0, 0, 0, 0, 0, 0, 0, 0, 1}), term(-1.0)) < 0);
  // At 2^53 and above the float is made an integer, so 2^53 + 1 > 2^53 as floats.
  EXPECT_TRUE(otp::compare(term(std::int64_t{9007199254740993}), term(9007199254740992.0)) > 0);
}

TEST(Term, TuplesBySizeFirstListsElementByElement) {
  EXPECT_TRUE(otp::compare(term::tuple({term(9)}), term::tuple({term(1), term(1)})) < 0);
  EXPECT_TRUE(otp::compare(term::list({term(1)}), term::list({term(1), term(0)})) < 0);
  EXPECT_TRUE(otp::compare(term::list({term(2)}), term::list({term(10)})) < 0);
  // [1,2] vs [1|2]: then [2] vs 2, a list after a number.
  EXPECT_TRUE(
      otp::compare(term::list({term(1), term(2)}), term::improper_list({term(1)}, term(2))) > 0);
}

TEST(Term, MapsSortTheirKeysIntegersBeforeFloats) {
  const term m = term::map({{term::atom("b"), term(1)},
                            {term::atom("a"), term(2)},
                            {term(1.0), term::atom("y")},
                            {term(1), term::atom("x")}});
  EXPECT_EQ(m.to_string(), "#{1 => x,1.0 => y,a => 2,b => 1}");
  EXPECT_TRUE(otp::map_key_compare(term(5), term(1.0)) < 0);
  EXPECT_TRUE(otp::compare(term::map({{term(1), term(9)}}), term::map({{term(2), term(0)}})) < 0);
}

TEST(Term, AMapKeepsTheLastOfEqualKeys) {
  const term m = term::map({{term(1), term::atom("first")}, {term(1), term::atom("last")}});
  EXPECT_EQ(m.to_string(), "#{1 => last}");
}

TEST(Term, BitstringsCompareByTheirBits) {
  const term bits3 = term(otp::binary_value{{0x40}, 3});       // <<2:3>>
  EXPECT_TRUE(otp::compare(bits3, term::binary("\x40")) < 0);  // a prefix sorts first
  EXPECT_TRUE(otp::compare(term::binary("a"), term::binary("ab")) < 0);
  EXPECT_TRUE(otp::compare(term::binary("a"), term::binary("b")) < 0);
}

TEST(Term, AnImproperListAppendsAListTailAndRefusesAnEmptyHead) {
  EXPECT_EQ(term::improper_list({term(1)}, term::list({term(2)})).to_string(), "[1,2]");
  EXPECT_EQ(term::improper_list({}, term(3)), term(3));
  EXPECT_THROW(term(otp::list_value{{}, std::make_shared<const term>(term(1))}), otp::badarg);
}

}  // namespace

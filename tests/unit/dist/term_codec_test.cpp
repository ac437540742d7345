// otp::to_term / otp::from_term: the built-in mappings of C++ values to
// Erlang terms, a user type's term_codec, and a clear term_mismatch when a
// term is not the type asked for.
#include "otp/dist/term_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using otp::from_term;
using otp::term;
using otp::to_term;

struct point {
  int x;
  int y;
  friend bool operator==(const point&, const point&) = default;
};

}  // namespace

template <>
struct otp::term_codec<point> {
  static otp::term to(const point& p) {
    return otp::term::tuple({otp::term::atom("point"), p.x, p.y});
  }
  static point from(const otp::term& t) {
    auto [tag, x, y] = otp::from_term<std::tuple<otp::atom_value, int, int>>(t);
    if (tag.name != "point") throw otp::term_mismatch("point", t);
    return {x, y};
  }
};

namespace {

template <class T>
T round_trip(const T& v) {
  return from_term<T>(to_term(v));
}

TEST(TermCodec, BuiltInTypesMapToTheirErlangTerms) {
  EXPECT_EQ(to_term(true), term::atom("true"));
  EXPECT_EQ(to_term(42), term(42));
  EXPECT_EQ(to_term(2.5), term(2.5));
  EXPECT_EQ(to_term(std::string("hi")), term::binary("hi"));
  EXPECT_EQ(to_term(std::vector<int>{1, 2}).to_string(), "[1,2]");
  EXPECT_EQ(to_term(std::make_pair(otp::atom_value{"ok"}, 1)).to_string(), "{ok,1}");
  EXPECT_EQ(to_term(std::map<std::string, int>{{"a", 1}}).to_string(), "#{<<97>> => 1}");
  EXPECT_EQ(to_term(std::optional<int>()), term::atom("undefined"));
  EXPECT_EQ(to_term(std::numeric_limits<std::uint64_t>::max()).to_string(), "18446744073709551615");
}

TEST(TermCodec, ValuesComeBackAsTheyWent) {
  EXPECT_EQ(round_trip(std::vector<std::string>{"a", "b"}), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(round_trip(std::tuple<int, bool, double>{-3, false, 0.5}),
            (std::tuple<int, bool, double>{-3, false, 0.5}));
  EXPECT_EQ(round_trip(std::map<int, std::optional<int>>{{1, 2}, {3, std::nullopt}}),
            (std::map<int, std::optional<int>>{{1, 2}, {3, std::nullopt}}));
  EXPECT_EQ(round_trip(std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int64_t>::min()),
            std::numeric_limits<std::int64_t>::min());
}

TEST(TermCodec, AUserTypeMapsThroughItsCodec) {
  EXPECT_EQ(to_term(point{1, 2}).to_string(), "{point,1,2}");
  EXPECT_EQ(round_trip(std::vector<point>{{1, 2}, {3, 4}}), (std::vector<point>{{1, 2}, {3, 4}}));
  EXPECT_THROW((void)from_term<point>(term::tuple({term::atom("circle"), 1, 2})),
               otp::term_mismatch);
}

TEST(TermCodec, ATermThatIsNotTheTypeIsAMismatchThatSaysWhat) {
  try {
    (void)from_term<int>(term::atom("ok"));
    FAIL() << "no mismatch";
  } catch (const otp::term_mismatch& e) {
    EXPECT_STREQ(e.what(), "from_term: expected an integer in range, got ok");
  }
  EXPECT_THROW((void)from_term<std::uint8_t>(term(256)), otp::term_mismatch);
  EXPECT_THROW((void)from_term<std::uint32_t>(term(-1)), otp::term_mismatch);
  EXPECT_THROW((void)from_term<double>(term(1)), otp::term_mismatch);  // a float is asked for
  EXPECT_THROW((void)from_term<std::string>(term::list({term(104), term(105)})),
               otp::term_mismatch);  // a charlist is not a binary
  EXPECT_THROW((void)(from_term<std::tuple<int, int>>(term::tuple({term(1)}))), otp::term_mismatch);
  EXPECT_THROW((void)from_term<std::vector<int>>(term::improper_list({term(1)}, term(2))),
               otp::term_mismatch);
  EXPECT_THROW((void)from_term<bool>(term::atom("yes")), otp::term_mismatch);
}

}  // namespace

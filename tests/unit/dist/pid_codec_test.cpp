// otp::pid as a term: a local pid names its node (nonode@nohost before
// distribution), a pid from the wire gets one node id per incarnation and
// converts back to the same external pid.
#include <gtest/gtest.h>

#include "otp/dist/term_codec.hpp"
#include "otp/otp.hpp"

namespace {

using otp::term;

TEST(PidCodec, APidOfANodeWithoutDistributionNamesNonode) {
  otp::node n;
  const otp::pid p = n.spawn([]() -> otp::proc { co_return; });
  const term t = otp::to_term(p);
  const auto* e = t.get_if<otp::ext_pid>();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->node, "nonode@nohost");
  EXPECT_EQ(e->id, p.slot());
  EXPECT_EQ(e->serial, p.serial());
  EXPECT_EQ(e->creation, 0u);
}

TEST(PidCodec, APidFromTheWireKeepsItsNodeIncarnation) {
  const term a(otp::ext_pid{"far@host", 80, 0, 7});
  const term b(otp::ext_pid{"far@host", 81, 2, 7});
  const term later(otp::ext_pid{"far@host", 80, 0, 8});
  const otp::pid pa = otp::from_term<otp::pid>(a);
  const otp::pid pb = otp::from_term<otp::pid>(b);
  const otp::pid pl = otp::from_term<otp::pid>(later);
  EXPECT_FALSE(pa.is_null());  // serial 0 is a real Erlang pid
  EXPECT_EQ(pa.slot(), 80u);
  EXPECT_EQ(pa.serial(), 0u);
  EXPECT_EQ(pa.node(), pb.node());
  EXPECT_NE(pa.node(), pl.node());  // another creation: another incarnation
  EXPECT_NE(pa, pl);
  EXPECT_EQ(otp::to_term(pa), a);
  EXPECT_EQ(otp::to_term(pl), later);
  EXPECT_THROW((void)otp::from_term<otp::pid>(term::atom("far@host")), otp::term_mismatch);
}

TEST(PidCodec, TheNullPidIsOnlyTheDefaultOne) {
  EXPECT_TRUE(otp::pid().is_null());
  EXPECT_FALSE(otp::pid(3, 0, 0).is_null());
  EXPECT_FALSE(otp::pid(0, 5, 0).is_null());
}

}  // namespace

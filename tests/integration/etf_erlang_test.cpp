// The external term format against a real erl: erl decodes the terms this
// library encodes, prints each as ~w (checked against term::to_string),
// sorts them (checked against otp::compare), and encodes them again in its
// own way (ATOM_EXT, STRING_EXT, ...), which binary_to_term must read back
// to the same terms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "otp/dist/etf.hpp"
#include "support/temp_dir.hpp"

namespace {

using otp::term;
using bytes = std::vector<std::uint8_t>;

term power_of_two(unsigned n, bool negative = false) {  // +-2^n, n >= 64
  std::vector<std::uint8_t> m(n / 8 + 1, 0);
  m.back() = static_cast<std::uint8_t>(1u << (n % 8));
  return term(otp::big_integer{negative, std::move(m)});
}

/// The terms sent to erl, and whether erl prints them as we do (pids,
/// references and ports name their node here, an index there; erl prints
/// a non-ASCII atom in latin-1).
std::vector<std::pair<term, bool>> terms() {
  std::vector<term> big_tuple;
  for (int i = 0; i < 300; ++i) big_tuple.emplace_back(i);
  return {
      {term::atom("ok"), true},
      {term::atom("hello world"), true},
      {term::atom("Abc"), true},
      {term::atom(""), true},
      {term::atom("héllo"), false},
      {term(0), true},
      {term(-1), true},
      {term(255), true},
      {term(256), true},
      {term(std::int64_t{1} << 31), true},
      {term(-(std::int64_t{1} << 31) - 1), true},
      {term(std::numeric_limits<std::int64_t>::max()), true},
      {term(std::numeric_limits<std::int64_t>::min()), true},
      {power_of_two(70), true},
      {power_of_two(70, true), true},
      {power_of_two(2100), true},
      {term(1), true},
      {term(1.0), true},
      {term(2.5), true},
      {term(1.0e10), true},
      {term(0.1), true},
      {term(1.0e-5), true},
      {term(-123.456), true},
      {term::binary(""), true},
      {term::binary("abc"), true},
      {term(otp::binary_value{{1, 0x40}, 3}), true},
      {term(), true},
      {term::list({term(1), term(2), term(3)}), true},
      {term::improper_list({term(1)}, term(2)), true},
      {term::list({term::atom("a"), term::list({term::atom("b")})}), true},
      {term::tuple({}), true},
      {term::tuple({term::atom("ok"), term(1)}), true},
      {term::tuple(big_tuple), true},
      {term::map({}), true},
      {term::map(
           {{term::atom("a"), term(1)}, {term(1), term::atom("x")}, {term(1.0), term::atom("y")}}),
       true},
      {term(otp::ext_pid{"n@host", 12, 3, 4}), false},
      {term(otp::ext_ref{"n@host", {1, 2, 3}, 4}), false},
      {term(otp::ext_port{"n@host", 77, 4}), false},
  };
}

void write_framed(const std::filesystem::path& p, const std::vector<bytes>& all) {
  std::ofstream out(p, std::ios::binary);
  for (const bytes& b : all) {
    const auto n = static_cast<std::uint32_t>(b.size());
    const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                         static_cast<char>(n >> 8), static_cast<char>(n)};
    out.write(len, 4);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
}

std::vector<bytes> read_framed(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<bytes> all;
  for (std::size_t at = 0; at + 4 <= data.size();) {
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<std::uint8_t>(data[at + i]);
    at += 4;
    all.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(at),
                     data.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
  return all;
}

TEST(EtfErlang, ErlReadsPrintsSortsAndEncodesTheTermsAsWeDo) {
  const auto cases = terms();
  otp_test::temp_dir dir;
  std::vector<bytes> encoded;
  for (const auto& [t, printable] : cases) encoded.push_back(otp::term_to_binary(t));
  write_framed(dir.path / "in.bin", encoded);
  const std::string cmd = "escript " + std::string(OTP_TESTS_SOURCE_DIR) +
                          "/integration/etf_peer.escript " + (dir.path / "in.bin").string() + " " +
                          (dir.path / "out.txt").string() + " " + (dir.path / "out.bin").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  std::ifstream text(dir.path / "out.txt");
  std::vector<std::string> lines;
  for (std::string l; std::getline(text, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), cases.size() + 1);
  for (std::size_t i = 0; i < cases.size(); ++i)
    if (cases[i].second) EXPECT_EQ(cases[i].first.to_string(), lines[i]) << i;

  // lists:sort (stable) against otp::compare.
  std::vector<std::size_t> order(cases.size());
  std::iota(order.begin(), order.end(), 1);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {  // stable: by index
    const std::weak_ordering c = otp::compare(cases[a - 1].first, cases[b - 1].first);
    return c < 0 || (c == 0 && a < b);
  });
  std::string ours = "[";
  for (std::size_t i = 0; i < order.size(); ++i) ours += (i ? "," : "") + std::to_string(order[i]);
  EXPECT_EQ(ours + "]", lines.back());

  const std::vector<bytes> theirs = read_framed(dir.path / "out.bin");
  ASSERT_EQ(theirs.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(otp::binary_to_term(theirs[i]), cases[i].first) << i << ": " << lines[i];
}

}  // namespace

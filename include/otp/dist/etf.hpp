// The external term format: otp::term to bytes and back, as
// erlang:term_to_binary/1 and binary_to_term/1 do, for messages to and
// from Erlang nodes.
//
//   std::vector<std::uint8_t> b = otp::term_to_binary(otp::term::atom("ok"));
//   otp::term t = otp::binary_to_term(b);   // ok
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "otp/dist/etf_error.hpp"
#include "otp/dist/term.hpp"

namespace otp {

/// Bounds on what binary_to_term accepts from untrusted bytes.
struct etf_limits {
  /// Deepest nesting of tuples, lists and maps.
  std::size_t max_depth = 1000;
};

/// Encodes `t`: the version byte 131, then the term, in the encodings an
/// OTP 25 node sends over distribution (NEW_FLOAT_EXT, SMALL_ATOM_UTF8_EXT,
/// NEW_PID_EXT, ...; what term_to_binary(T, [{minor_version, 2}]) writes).
/// @throws otp::badarg for what Erlang cannot hold: a float that is not
///   finite, an atom longer than 255 characters, a node name longer than
///   an atom or holding a NUL byte, a reference of more than 5 words, a bitstring whose last
///   byte uses 0 or more than 8 bits.
/// @mirrors erlang:term_to_binary/1
std::vector<std::uint8_t> term_to_binary(const term& t);

/// Decodes the bytes of one term, version byte first. Every length and
/// count is checked against the bytes left, so hostile input never reads
/// past its end and costs memory in proportion to its own size.
/// @throws otp::etf_error (with the offset) for anything else.
/// @mirrors erlang:binary_to_term/1
term binary_to_term(std::span<const std::uint8_t> bytes, etf_limits limits = {});

/// Decodes the term at the start of `bytes` (version byte first) and tells
/// how many bytes it took: what follows it is left alone. Checked as
/// binary_to_term is. @throws otp::etf_error
/// @mirrors erlang:binary_to_term/2 with the `used` option
std::pair<term, std::size_t> binary_to_term_used(std::span<const std::uint8_t> bytes,
                                                 etf_limits limits = {});

}  // namespace otp

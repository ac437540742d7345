// otp::etf_error: bytes that are not a term the decoder takes.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace otp {

/// Thrown by binary_to_term for bytes that are not a valid term: a
/// truncated or unknown encoding, a count larger than the bytes left,
/// nesting deeper than the limit, trailing bytes, or a kind this library
/// does not take (a compressed term, an old-style fun). `offset` is where
/// in the input the problem was found.
/// @mirrors error:badarg from erlang:binary_to_term/1
class etf_error : public std::runtime_error {
 public:
  etf_error(const std::string& what, std::size_t offset)
      : std::runtime_error("binary_to_term: " + what + " at byte " + std::to_string(offset)),
        offset_(offset) {}
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

}  // namespace otp

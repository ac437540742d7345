// libFuzzer target for the external term format decoder: any bytes decode
// or throw otp::etf_error, and a decoded term encodes and decodes back to
// itself. Built by the Clang 14 preset (tests/CMakeLists.txt), which runs a
// bounded number of inputs as the ctest `fuzz.etf`; run it longer offline:
//   build/clang14/tests/etf_fuzz -max_total_time=600 corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "otp/dist/etf.hpp"
#include "otp/runtime/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  otp::term t;
  try {
    t = otp::binary_to_term(std::span<const std::uint8_t>(data, size));
  } catch (const otp::etf_error&) {
    return 0;
  }
  try {
    if (!(otp::binary_to_term(otp::term_to_binary(t)) == t)) std::abort();
  } catch (const otp::badarg&) {
    // A term that decodes but that Erlang could not send back: an atom
    // whose bytes are not UTF-8, say. Refusing it is the defined outcome.
  }
  return 0;
}

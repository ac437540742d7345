// Seeds of the randomized stress tests: random unless OTP_STRESS_SEED is set,
// and printed on failure so a run's random choices can be replayed. Also the
// stress tests' common wait, kWait.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

namespace otp_test {

/// Upper bound of every real-time wait of the stress tests: long enough for
/// TSan on a loaded machine.
inline constexpr std::chrono::seconds kWait{30};

/// OTP_STRESS_SEED when set, else a fresh random seed.
inline std::uint32_t pick_seed() {
  if (const char* s = std::getenv("OTP_STRESS_SEED"))
    return static_cast<std::uint32_t>(std::stoul(s));
  return std::random_device{}();
}

/// The note a failing test prints (SCOPED_TRACE) to tell how to replay it.
inline std::string seed_note(std::uint32_t seed) {
  return "seed " + std::to_string(seed) + " (replay with OTP_STRESS_SEED=" + std::to_string(seed) +
         ")";
}

}  // namespace otp_test

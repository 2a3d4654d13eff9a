#pragma once
// Reproducible randomness: the same seed gives the same numbers with every standard library. The
// engine is std::mt19937_64 (its output is fixed by the C++ standard); the uniform and normal
// transforms are our own, because std::uniform_real_distribution and std::normal_distribution
// differ between standard libraries. Uniform() and Below() are exact integer arithmetic, identical
// everywhere; Normal() calls the C library's log and sqrt, so its last bits can differ between
// libm implementations (sqrt is correctly rounded everywhere; log is not required to be).
#include <cstdint>
#include <random>
#include <string_view>

namespace nlhf {

// The largest seed every entry point takes (YAML `seeds`, a spec's `seed=`, `--seed`, Python): one
// range everywhere, below 2^63 so that a seed is an int64 and a double bound holds it exactly.
inline constexpr std::int64_t kMaxSeed = 9'000'000'000'000'000'000;

class Rng {
 public:
  // `stream` separates consumers that share a seed (a game and its reference policy), so that
  // they draw independent numbers: the engine is seeded with SplitMix64(seed) xor Fnv1a(stream).
  Rng(std::uint64_t seed, std::string_view stream);

  std::uint64_t NextU64() { return engine_(); }
  // Uniform on [0, 1): the top 53 bits of one draw, so every value is a multiple of 2^-53.
  double Uniform();
  // Standard normal by the Marsaglia polar method (uses only log and sqrt).
  double Normal();
  // Uniform integer in [0, k).
  std::uint64_t Below(std::uint64_t k);

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

std::uint64_t SplitMix64(std::uint64_t x);
std::uint64_t Fnv1a64(std::string_view s);

}  // namespace nlhf

#include "nlhf/rng.h"

#include <cmath>

namespace nlhf {

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t Fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rng::Rng(std::uint64_t seed, std::string_view stream)
    : engine_(SplitMix64(seed) ^ Fnv1a64(stream)) {}

double Rng::Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::Normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * Uniform() - 1.0;
    v = 2.0 * Uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

std::uint64_t Rng::Below(std::uint64_t k) {
  // Rejection sampling: unbiased and platform independent.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % k);
  std::uint64_t x;
  do {
    x = engine_();
  } while (x >= limit);
  return x % k;
}

}  // namespace nlhf

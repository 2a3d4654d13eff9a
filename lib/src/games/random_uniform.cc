// random_uniform: P[i][j] ~ U[0, 1) for i > j and P[j][i] = 1 - P[i][j].
// The generator of the EGPO tabular experiments: Zhou et al., "Extragradient Preference
// Optimization (EGPO)", arXiv:2503.08942. Generic: the equilibrium is mixed.
#include "games.h"
#include "nlhf/rng.h"

namespace nlhf::games {

GameEntry RandomUniformEntry() {
  return {"random_uniform",
          "P[i][j] ~ U[0,1) below the diagonal, P[j][i] = 1 - P[i][j] (EGPO's generator)",
          {SizeParam(), SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "random_uniform");
            return FillPreferences(n, [&rng](Eigen::Index, Eigen::Index) {
              const double u = rng.Uniform();  // a multiple of 2^-53, so 1 - u is exact
              return std::pair(u, 1.0 - u);
            });
          }};
}

}  // namespace nlhf::games

// disc (multidimensional Elo, "mElo"): s_ij = (r_i - r_j) + c_i^T Omega c_j, P = sigma(s), with
// Omega = sum of `dim` 2x2 rotation blocks [[0, 1], [-1, 0]] (skew-symmetric).
// Balduzzi et al., "Re-evaluating evaluation", NeurIPS 2018 (the disc game and mElo).
// Interpolates between transitive (cyclic_scale = 0: Bradley-Terry) and cyclic (scale = 0).
#include "games.h"
#include "nlhf/rng.h"

namespace nlhf::games {

GameEntry DiscEntry() {
  return {"disc",
          "multidimensional Elo: sigmoid((r_i - r_j) + c_i' Omega c_j), transitive <-> cyclic",
          {SizeParam(),
           ParamSpec::Int("dim", 1, "number of 2-D rotation blocks in Omega").Range(1, 64),
           ParamSpec::Double("scale", 1.0, "standard deviation of the ratings r").AtLeast(0),
           ParamSpec::Double("cyclic_scale", 1.0, "standard deviation of the vectors c").AtLeast(0),
           SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const Eigen::Index k = p.Int("dim");
            Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "disc");
            Eigen::VectorXd r(n);
            for (Eigen::Index i = 0; i < n; ++i) r[i] = p.Double("scale") * rng.Normal();
            Eigen::MatrixXd c(n, 2 * k);
            for (Eigen::Index i = 0; i < n; ++i)
              for (Eigen::Index d = 0; d < 2 * k; ++d) c(i, d) = p.Double("cyclic_scale") * rng.Normal();
            Eigen::MatrixXd S(n, n);
            for (Eigen::Index i = 0; i < n; ++i) {
              for (Eigen::Index j = 0; j < n; ++j) {
                double cyc = 0.0;
                for (Eigen::Index b = 0; b < k; ++b)
                  cyc += c(i, 2 * b) * c(j, 2 * b + 1) - c(i, 2 * b + 1) * c(j, 2 * b);
                S(i, j) = (r[i] - r[j]) + cyc;
              }
            }
            return PreferencesFromLogits(S);
          }};
}

}  // namespace nlhf::games

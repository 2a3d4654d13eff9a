// tournament: every pair oriented at random, P in {0, 1/2, 1} (a tie with probability `ties`).
// Degenerate games: deterministic preferences, often several equilibria at beta = 0 and nearly
// pure regularized equilibria; they stress solvers and the certified equilibrium.
#include "games.h"
#include "nlhf/rng.h"

namespace nlhf::games {

GameEntry TournamentEntry() {
  return {"tournament",
          "random tournament: each pair oriented at random, P in {0, 1/2, 1}",
          {SizeParam(), ParamSpec::Double("ties", 0.0, "probability that a pair is a tie (P = 1/2)").Range(0, 1),
           SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const double ties = p.Double("ties");
            Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "tournament");
            Eigen::MatrixXd P(n, n);
            for (Eigen::Index i = 0; i < n; ++i) {
              P(i, i) = 0.5;
              for (Eigen::Index j = 0; j < i; ++j) {
                const bool tie = rng.Uniform() < ties;
                const bool i_wins = rng.Uniform() < 0.5;
                P(i, j) = tie ? 0.5 : (i_wins ? 1.0 : 0.0);
                P(j, i) = 1.0 - P(i, j);
              }
            }
            return P;
          }};
}

}  // namespace nlhf::games

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
            return FillPreferences(n, [&rng, ties](Eigen::Index, Eigen::Index) {
              const bool tie = rng.Uniform() < ties;
              const bool i_wins = rng.Uniform() < 0.5;
              const double p_ij = tie ? 0.5 : (i_wins ? 1.0 : 0.0);
              return std::pair(p_ij, 1.0 - p_ij);
            });
          }};
}

}  // namespace nlhf::games

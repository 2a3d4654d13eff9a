// bradley_terry: P[i][j] = sigma((r_i - r_j) / T), ratings r ~ N(0, scale^2) or given.
// Bradley and Terry, "Rank analysis of incomplete block designs", Biometrika 39 (1952).
// Transitive: the best-rated action is a Condorcet winner and pi*_beta -> it as beta -> 0.
#include <fmt/format.h>

#include "games.h"
#include "nlhf/errors.h"
#include "nlhf/rng.h"

namespace nlhf::games {

GameEntry BradleyTerryEntry() {
  return {"bradley_terry",
          "P[i][j] = sigmoid((r_i - r_j)/temperature), r ~ N(0, scale^2) or given (transitive)",
          {SizeParam(), ParamSpec::Double("scale", 1.0, "standard deviation of the ratings").AtLeast(0),
           ParamSpec::Double("temperature", 1.0, "divides rating differences").Above(0),
           ParamSpec::DoubleList("ratings", "the ratings r (n values); empty: drawn at random"),
           SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const std::vector<double>& given = p.DoubleList("ratings");
            Eigen::VectorXd r(n);
            if (!given.empty()) {
              if (static_cast<Eigen::Index>(given.size()) != n)
                throw InputError("game.ratings", fmt::format("has {} values but n = {}, expected n values",
                                                             given.size(), n));
              for (Eigen::Index i = 0; i < n; ++i) r[i] = given[i];
            } else {
              Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "bradley_terry");
              for (Eigen::Index i = 0; i < n; ++i) r[i] = p.Double("scale") * rng.Normal();
            }
            const double t = p.Double("temperature");
            Eigen::MatrixXd S(n, n);
            for (Eigen::Index i = 0; i < n; ++i)
              for (Eigen::Index j = 0; j < n; ++j) S(i, j) = (r[i] - r[j]) / t;
            return PreferencesFromLogits(S);
          }};
}

}  // namespace nlhf::games

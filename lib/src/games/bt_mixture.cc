// bt_mixture: P = sum_k w_k sigma(r^(k)_i - r^(k)_j), a population of Bradley-Terry voters.
// Each population is transitive; their mixture can have Condorcet cycles (the voting paradox),
// the mechanism by which aggregated human preferences become intransitive (Munos et al., "Nash
// Learning from Human Feedback", arXiv:2312.00886, motivate NLHF with it).
#include <fmt/format.h>

#include "games.h"
#include "nlhf/errors.h"
#include "nlhf/rng.h"

namespace nlhf::games {

GameEntry BtMixtureEntry() {
  return {"bt_mixture",
          "mixture of Bradley-Terry populations sum_k w_k sigmoid(r^k_i - r^k_j) (Condorcet cycles)",
          {SizeParam(),
           ParamSpec::Int("components", 3, "number of populations K").Range(1, 1000),
           ParamSpec::Double("scale", 3.0, "standard deviation of each population's ratings").AtLeast(0),
           ParamSpec::DoubleList("weights", "population weights w (K values > 0); empty: equal").AtLeast(0),
           SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const Eigen::Index K = p.Int("components");
            Eigen::VectorXd w = Eigen::VectorXd::Constant(K, 1.0 / static_cast<double>(K));
            const std::vector<double>& given = p.DoubleList("weights");
            if (!given.empty()) {
              if (static_cast<Eigen::Index>(given.size()) != K)
                throw InputError("game.weights", fmt::format("has {} values but components = {}, "
                                                             "expected one weight per component",
                                                             given.size(), K));
              for (Eigen::Index k = 0; k < K; ++k) w[k] = given[k];
              if (!(w.sum() > 0.0))
                throw InputError("game.weights", "sum to 0, expected a positive total");
              w /= w.sum();
            }
            Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "bt_mixture");
            Eigen::MatrixXd r(K, n);
            for (Eigen::Index k = 0; k < K; ++k)
              for (Eigen::Index i = 0; i < n; ++i) r(k, i) = p.Double("scale") * rng.Normal();
            return FillPreferences(n, [&r, &w, K](Eigen::Index i, Eigen::Index j) {
              double pij = 0.0;
              for (Eigen::Index k = 0; k < K; ++k) pij += w[k] * Sigmoid(r(k, i) - r(k, j));
              return std::pair(pij, 1.0 - pij);
            });
          }};
}

}  // namespace nlhf::games

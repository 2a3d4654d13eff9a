// low_rank_disc: multidimensional Elo (mElo) with a linear link, so that it stays low rank:
//   A_ij = t (r_i - r_j) + s c_i^T Omega c_j,  P = 1/2 + A,
// Omega = sum of `dim` 2x2 rotation blocks [[0, 1], [-1, 0]] (skew-symmetric, orthogonal), ratings
// r_i ~ U[0, 1) and vectors c_i uniform in the unit ball of R^(2 dim). Balduzzi et al.,
// "Re-evaluating evaluation", NeurIPS 2018 (mElo: a rating plus a cyclic disc-game part); `disc` is
// the same model with the logistic link sigma(.), which makes P full rank. Bounds: |r_i - r_j| < 1
// and |c_i^T Omega c_j| <= |c_i| |Omega c_j| <= 1, so |A_ij| <= t + s, and the parameters require t
// + s <= 1/2: every entry is a probability. Rank <= 2 + 2 dim. Implicit (storage: auto): with F =
// [1, r, c] (n x (2 + 2 dim)), A = t (r 1^T - 1 r^T) + s C Omega C^T, P x = (1/2)(1^T x) 1 + F h, h
// from the 2 + 2 dim sums F^T x: O(n dim) per product (SkewLowRankOperator). P + P^T = 1 by
// construction (entries are read from the lower triangle).
#include <fmt/format.h>

#include <cmath>

#include "games.h"
#include "nlhf/errors.h"
#include "nlhf/rng.h"

namespace nlhf::games {

namespace {

std::shared_ptr<const PreferenceOperator> Build(const ParamMap& p) {
  const Eigen::Index n = p.Int("n"), d = p.Int("dim");
  const double t = p.Double("scale"), s = p.Double("cyclic_scale");
  if (t + s > 0.5)
    throw InputError("game.cyclic_scale",
                     fmt::format("{} with scale = {} gives scale + cyclic_scale = {} > 1/2, "
                                 "expected scale + cyclic_scale <= 1/2 (so that |A| <= 1/2)",
                                 s, t, t + s));
  Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "low_rank_disc");
  const Eigen::Index m = 2 + 2 * d;
  RowMatrix F(n, m);
  Eigen::VectorXd g(2 * d);
  for (Eigen::Index i = 0; i < n; ++i) {
    F(i, 0) = 1.0;
    F(i, 1) = rng.Uniform();
    for (Eigen::Index k = 0; k < 2 * d; ++k) g[k] = rng.Normal();
    // Uniform in the unit ball: a uniform direction at radius U^(1/(2 dim)).
    const double norm = g.norm();
    const double radius = std::pow(rng.Uniform(), 1.0 / static_cast<double>(2 * d));
    for (Eigen::Index k = 0; k < 2 * d; ++k) F(i, 2 + k) = norm > 0.0 ? radius * g[k] / norm : 0.0;
  }
  std::vector<SkewLowRankOperator::Pair> pairs;
  pairs.push_back({1, 0, t});  // t (r_i - r_j)
  for (Eigen::Index b = 0; b < d; ++b)
    pairs.push_back({2 + 2 * b, 3 + 2 * b, s});  // s c_i^T Omega c_j
  return std::make_shared<const SkewLowRankOperator>(std::move(F), std::move(pairs));
}

}  // namespace

GameEntry LowRankDiscEntry() {
  return {"low_rank_disc",
          "mElo with a linear link: A_ij = t (r_i - r_j) + s c_i' Omega c_j, rank 2 + 2 dim, "
          "implicit (O(n dim) per P x)",
          {LargeSizeParam(),
           ParamSpec::Int("dim", 1, "number of 2-D rotation blocks in Omega").Range(1, 256),
           ParamSpec::Double("scale", 0.25, "t: weight of the rating difference (r in [0, 1))")
               .Range(0, 0.5),
           ParamSpec::Double("cyclic_scale", 0.25,
                             "s: weight of the cyclic part (|c| <= 1); scale + cyclic_scale <= 1/2")
               .Range(0, 0.5),
           SeedParam()},
          [](const ParamMap& p) { return Materialize(*Build(p)); },
          GameTraits{Build,
                     [](const ParamMap& p) {
                       return SkewLowRankOperator::StoredBytes(p.Int("n"), 2 + 2 * p.Int("dim"));
                     },
                     /*implicit_by_default=*/true}};
}

}  // namespace nlhf::games

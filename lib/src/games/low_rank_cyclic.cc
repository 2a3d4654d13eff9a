// low_rank_cyclic: a low-rank intransitive game, a sum of K rotations on circles,
//   A_ij = (1/2) sum_k w_k sin(theta_ik - theta_jk),  P = 1/2 + A,  theta_ik ~ U[0, 2 pi),
// w_k >= 0 with sum_k w_k <= 1, so |A_ij| <= 1/2 and every entry is a probability. Each component
// is the disc game on the unit circle (Balduzzi et al., "Open-ended learning in symmetric zero-sum
// games", ICML 2019; "Re-evaluating evaluation", NeurIPS 2018): sin(a - b) = sin a cos b - cos a
// sin b, so A = (1/2) sum_k w_k (s_k c_k^T - c_k s_k^T) with c_k = cos(theta_.k), s_k =
// sin(theta_.k): rank 2K. Implicit (storage: auto): P x = (1/2)(1^T x) 1 + A x, with A x from the
// 2K sums sum_j cos(theta_jk) x_j and sum_j sin(theta_jk) x_j, O(n K) per product and 2 n K stored
// doubles (SkewLowRankOperator). P + P^T = 1 holds by construction (entries are read from the lower
// triangle), |A| <= 1/2 by the weights' bound (the operator shrinks A by a few ulps so rounding
// cannot cross it).
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "games.h"
#include "nlhf/errors.h"
#include "nlhf/rng.h"

namespace nlhf::games {

namespace {

// The K weights: given (>= 0, one per component, sum <= 1), or K equal weights strength/K.
Eigen::VectorXd Weights(const ParamMap& p) {
  const Eigen::Index K = p.Int("k");
  const std::vector<double>& given = p.DoubleList("weights");
  if (given.empty())
    return Eigen::VectorXd::Constant(K, p.Double("strength") / static_cast<double>(K));
  if (static_cast<Eigen::Index>(given.size()) != K)
    throw InputError("game.weights",
                     fmt::format("has {} values but k = {}, expected one weight per component",
                                 given.size(), K));
  Eigen::VectorXd w(K);
  for (Eigen::Index k = 0; k < K; ++k) w[k] = given[static_cast<size_t>(k)];
  const double sum = w.sum();
  // Decimal weights meant to sum to 1 may sum to 1 + 1 ulp; anything more is a mistake.
  if (sum > 1.0 + 1e-12)
    throw InputError("game.weights",
                     fmt::format("sum to {}, expected a sum <= 1 (so that |A| <= 1/2)", sum));
  if (sum > 1.0) w /= sum;
  return w;
}

std::shared_ptr<const PreferenceOperator> Build(const ParamMap& p) {
  const Eigen::Index n = p.Int("n"), K = p.Int("k");
  const Eigen::VectorXd w = Weights(p);
  Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "low_rank_cyclic");
  RowMatrix F(n, 2 * K);  // [cos theta | sin theta]
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index k = 0; k < K; ++k) {
      const double theta = 2.0 * std::numbers::pi * rng.Uniform();
      F(i, k) = std::cos(theta);
      F(i, K + k) = std::sin(theta);
    }
  }
  std::vector<SkewLowRankOperator::Pair> pairs;
  // (1/2) w_k (s_i c_j - c_i s_j): the pair (sin column, cos column).
  for (Eigen::Index k = 0; k < K; ++k) pairs.push_back({K + k, k, 0.5 * w[k]});
  return std::make_shared<const SkewLowRankOperator>(std::move(F), std::move(pairs));
}

}  // namespace

GameEntry LowRankCyclicEntry() {
  return {
      "low_rank_cyclic",
      "A_ij = 1/2 sum_k w_k sin(theta_ik - theta_jk): rank 2K intransitive game, implicit (O(n K) "
      "per P x)",
      {LargeSizeParam(),
       ParamSpec::Int("k", 8, "number of sine components K (A has rank 2K)").Range(1, 512),
       ParamSpec::Double("strength", 1.0,
                         "sum of the K equal weights (|A| <= strength/2); unused with weights")
           .Range(0, 1)
           .Above(0),
       ParamSpec::DoubleList("weights", "the K weights w_k >= 0, sum <= 1; empty: K equal weights")
           .AtLeast(0),
       SeedParam()},
      [](const ParamMap& p) { return Materialize(*Build(p)); },
      GameTraits{Build,
                 [](const ParamMap& p) {
                   return SkewLowRankOperator::StoredBytes(p.Int("n"), 2 * p.Int("k"));
                 },
                 /*implicit_by_default=*/true}};
}

}  // namespace nlhf::games

// low_rank_disc (lib/src/games/low_rank_disc.cc): mElo with a linear link,
// A_ij = t (r_i - r_j) + s c_i^T Omega c_j, implicit, O(n dim) per product.
#include <gtest/gtest.h>

#include <Eigen/SVD>

#include <string>

#include "nlhf/descriptors.h"
#include "nlhf/generators.h"
#include "operator_checks.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

std::shared_ptr<const PreferenceOperator> Build(GivenParams given, std::uint64_t seed = 0) {
  return MakePreferenceOperator("low_rank_disc", given, seed).P;
}

TEST(LowRankDisc, IsImplicitByDefaultAndItsProductEqualsTheDenseMatrixs) {
  for (std::int64_t n : {2, 50, 2000}) {
    for (std::int64_t dim : {1, 4}) {
      const auto op = Build({{"n", n}, {"dim", dim}}, 11);
      ASSERT_EQ(op->dense(), nullptr);
      // F (n x m) and M (m x m), m = 2 + 2 dim
      EXPECT_EQ(op->StoredBytes(), 8.0 * static_cast<double>(n + 2 + 2 * dim) * static_cast<double>(2 + 2 * dim));
      testing::ExpectProductsMatchTheEntries(*op, std::to_string(n) + " " + std::to_string(dim));
    }
  }
}

TEST(LowRankDisc, EntriesAgreeWithTheProductsColumnsAndAreProbabilities) {
  const Eigen::Index n = 200;
  // scale + cyclic_scale = 1/2: the bound is tight.
  const auto op = Build(
      {{"n", std::int64_t{n}}, {"dim", std::int64_t{2}}, {"scale", 0.3}, {"cyclic_scale", 0.2}}, 4);
  testing::ExpectEntriesMatchTheColumnsAndAreProbabilities(*op, {0, 77, n - 1});
}

TEST(LowRankDisc, WithoutTheCyclicPartIsTransitiveAndAdditive) {
  // s = 0: A_ij = t (r_i - r_j), so A_ij + A_jk = A_ik and the best-rated action is a Condorcet
  // winner.
  const auto op = Build({{"n", std::int64_t{60}}, {"scale", 0.5}, {"cyclic_scale", 0.0}}, 2);
  const Eigen::MatrixXd A = Materialize(*op).array() - 0.5;
  for (Eigen::Index i = 0; i < 60; i += 7)
    for (Eigen::Index j = 0; j < 60; j += 5)
      for (Eigen::Index k = 0; k < 60; k += 3)
        if (i != j && j != k && i != k) {
          EXPECT_NEAR(A(i, j) + A(j, k), A(i, k), 1e-15);
        }
  const GameDescriptors d = Describe(A.array() + 0.5);
  EXPECT_TRUE(d.condorcet_winner.has_value());
  EXPECT_EQ(d.cyclic_triples, 0);
  EXPECT_LE(d.max_abs_margin, 0.5);
}

TEST(LowRankDisc, HasRankAtMostTwoPlusTwoDim) {
  const auto op = Build({{"n", std::int64_t{40}}, {"dim", std::int64_t{2}}}, 1);
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(Materialize(*op).array() - 0.5));
  EXPECT_GT(svd.singularValues()[5], 1e-4);
  EXPECT_LT(svd.singularValues()[6], 1e-13);
  // Purely cyclic (t = 0): rank 2 dim, and intransitive.
  const auto cyclic = Build(
      {{"n", std::int64_t{40}}, {"dim", std::int64_t{2}}, {"scale", 0.0}, {"cyclic_scale", 0.5}},
      1);
  const Eigen::MatrixXd P = Materialize(*cyclic);
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd2(Eigen::MatrixXd(P.array() - 0.5));
  EXPECT_LT(svd2.singularValues()[4], 1e-13);
  EXPECT_GT(Describe(P).cyclic_triples, 0);
}

TEST(LowRankDisc, RefusesScalesThatCouldLeaveTheProbabilities) {
  ExpectInputError(
      [] {
        Build({{"scale", 0.3}, {"cyclic_scale", 0.3}});
      },
      {"game.cyclic_scale", "scale + cyclic_scale = 0.6 > 1/2"});
  ExpectInputError([] { Build({{"scale", 0.6}}); }, {"game.scale"});
}

// rho's low_rank method (equilibrium.h) reads A as F M F^T.
TEST(LowRankDisc, ItsSkewFactorsAreItsMargins) {
  const auto op = Build(
      {{"n", std::int64_t{90}}, {"dim", std::int64_t{3}}, {"scale", 0.3}, {"cyclic_scale", 0.2}}, 6);
  testing::ExpectSkewFactorsAreTheMargins(*op, "low_rank_disc");
  // Stored densely it is a dense game, without factors.
  const Game dense = MakeGame("low_rank_disc(n=30,storage=dense)", "uniform", 6);
  EXPECT_EQ(dense.preferences().skew_factors(), nullptr);
}

}  // namespace
}  // namespace nlhf

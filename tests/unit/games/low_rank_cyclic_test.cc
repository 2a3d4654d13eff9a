// low_rank_cyclic (lib/src/games/low_rank_cyclic.cc): A_ij = 1/2 sum_k w_k sin(theta_ik -
// theta_jk), implicit, O(n K) per product.
#include <gtest/gtest.h>

#include <Eigen/SVD>

#include <string>

#include "nlhf/generators.h"
#include "operator_checks.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

std::shared_ptr<const PreferenceOperator> Build(GivenParams given, std::uint64_t seed = 0) {
  return MakePreferenceOperator("low_rank_cyclic", given, seed).P;
}

TEST(LowRankCyclic, IsImplicitByDefaultAndItsProductEqualsTheDenseMatrixs) {
  for (std::int64_t n : {2, 50, 2000}) {
    for (std::int64_t k : {1, 8}) {
      const auto op = Build({{"n", n}, {"k", k}}, 7);
      ASSERT_EQ(op->dense(), nullptr);
      // F (n x 2k) and M (2k x 2k)
      EXPECT_EQ(op->StoredBytes(), 8.0 * static_cast<double>(n + 2 * k) * 2.0 * static_cast<double>(k));
      testing::ExpectProductsMatchTheEntries(*op, std::to_string(n) + " " + std::to_string(k));
    }
  }
}

TEST(LowRankCyclic, EntriesAgreeWithTheProductsColumnsAndAreProbabilities) {
  const Eigen::Index n = 300;
  const auto op = Build({{"n", std::int64_t{n}}, {"k", std::int64_t{4}}}, 2);
  // P e_j comes from the 2K sums: another computation than Entry's.
  testing::ExpectEntriesMatchTheColumnsAndAreProbabilities(*op, {0, 1, 150, n - 1});
}

TEST(LowRankCyclic, HasRankTwoKAndMarginsBoundedByHalfTheStrength) {
  const auto op = Build({{"n", std::int64_t{40}}, {"k", std::int64_t{3}}, {"strength", 0.6}}, 1);
  const Eigen::MatrixXd A = Materialize(*op).array() - 0.5;
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(A);
  const Eigen::VectorXd s = svd.singularValues();
  EXPECT_GT(s[5], 1e-3);
  EXPECT_LT(s[6], 1e-13 * s[0]);
  EXPECT_LE(A.cwiseAbs().maxCoeff(), 0.3);
  // The strength scales A: strength 0.3 is the same game at half the margins.
  const Eigen::MatrixXd half =
      Materialize(*Build({{"n", std::int64_t{40}}, {"k", std::int64_t{3}}, {"strength", 0.3}}, 1))
          .array() -
      0.5;
  EXPECT_LE((2.0 * half - A).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(LowRankCyclic, KeepsEveryEntryAProbabilityAtTheLargestStrength) {
  // K = 1, strength 1: A_ij = sin(theta_i - theta_j)/2 comes within rounding of 1/2 for many pairs;
  // the operator's few-ulp shrink keeps P in [0, 1].
  const auto op = Build({{"n", std::int64_t{2000}}, {"k", std::int64_t{1}}}, 5);
  const Eigen::MatrixXd P = Materialize(*op);
  EXPECT_GE(P.minCoeff(), 0.0);
  EXPECT_LE(P.maxCoeff(), 1.0);
  EXPECT_GT(P.maxCoeff(), 1.0 - 1e-6);  // the bound is reached, not avoided
}

TEST(LowRankCyclic, TakesWeights) {
  // Weights (1, 0): the second component contributes nothing, so A is rank 2.
  const auto op = Build({{"n", std::int64_t{30}},
                         {"k", std::int64_t{2}},
                         {"weights", std::vector<double>{1.0, 0.0}}});
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(Materialize(*op).array() - 0.5));
  EXPECT_LT(svd.singularValues()[2], 1e-13);
  // Decimal weights that sum to 1 + 1 ulp are accepted.
  EXPECT_NO_THROW(Build({{"k", std::int64_t{3}}, {"weights", std::vector<double>{0.1, 0.2, 0.7}}}));
  ExpectInputError(
      [] {
        Build({{"k", std::int64_t{2}}, {"weights", std::vector<double>{0.6, 0.6}}});
      },
      {"game.weights", "sum to 1.2", "sum <= 1"});
  ExpectInputError(
      [] {
        Build({{"k", std::int64_t{2}}, {"weights", std::vector<double>{0.5}}});
      },
      {"game.weights", "has 1 values but k = 2"});
  ExpectInputError(
      [] {
        Build({{"weights", std::vector<double>{-0.1}}, {"k", std::int64_t{1}}});
      },
      {"game.weights"});
}

TEST(LowRankCyclic, DenseStorageMaterializesTheSameGame) {
  const BuiltOperator dense =
      MakePreferenceOperator("low_rank_cyclic", {{"n", std::int64_t{20}}}, 3, GameStorage::kDense);
  const BuiltOperator implicit =
      MakePreferenceOperator("low_rank_cyclic", {{"n", std::int64_t{20}}}, 3);
  ASSERT_NE(dense.P->dense(), nullptr);
  EXPECT_EQ(*dense.P->dense(), Materialize(*implicit.P));
  EXPECT_EQ(implicit.spec, "low_rank_cyclic(n=20,k=8,strength=1,weights=[],seed=3)");
  EXPECT_EQ(dense.spec, "low_rank_cyclic(n=20,k=8,strength=1,weights=[],seed=3,storage=dense)");
  // The spec string rebuilds it, storage included.
  const Game again = MakeGame(dense.spec, "uniform", 99);
  ASSERT_NE(again.dense(), nullptr);
  EXPECT_EQ(*again.dense(), *dense.P->dense());
  EXPECT_EQ(again.game_spec(), dense.spec);
}

TEST(LowRankCyclic, BuildsAMillionActions) {
  const auto op = Build({{"n", std::int64_t{1000000}}, {"k", std::int64_t{2}}}, 0);
  const Eigen::Index n = op->n();
  const Eigen::VectorXd u = Eigen::VectorXd::Constant(n, 1.0 / static_cast<double>(n));
  Eigen::VectorXd g;
  op->Apply(u, g);
  // g_y = P(y > uniform) in [0, 1], and u^T P u = 1/2 (A is skew-symmetric).
  EXPECT_GE(g.minCoeff(), 0.0);
  EXPECT_LE(g.maxCoeff(), 1.0);
  EXPECT_NEAR(u.dot(g), 0.5, 1e-12);
  EXPECT_NO_THROW(ValidateOperatorSample(*op, "game"));
}

// rho's low_rank method (equilibrium.h) reads A as F M F^T.
TEST(LowRankCyclic, ItsSkewFactorsAreItsMargins) {
  const auto op = Build({{"n", std::int64_t{90}},
                         {"k", std::int64_t{5}},
                         {"weights", std::vector<double>{0.3, 0.1, 0.2, 0.1, 0.2}}},
                        6);
  testing::ExpectSkewFactorsAreTheMargins(*op, "low_rank_cyclic");
  // Stored densely it is a dense game, without factors.
  const Game dense = MakeGame("low_rank_cyclic(n=30,storage=dense)", "uniform", 6);
  EXPECT_EQ(dense.preferences().skew_factors(), nullptr);
}

}  // namespace
}  // namespace nlhf

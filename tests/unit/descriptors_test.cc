#include "nlhf/descriptors.h"

#include <gtest/gtest.h>

#include "nlhf/errors.h"
#include "nlhf/generators.h"

namespace nlhf {
namespace {

Eigen::MatrixXd MakeP(const std::string& spec, std::uint64_t seed = 0) {
  return MakeGame(spec, "uniform", seed).P();
}

// The definition: a triple is cyclic iff its strict majority relation is a 3-cycle.
std::int64_t BruteForceCyclicTriples(const Eigen::MatrixXd& P) {
  std::int64_t count = 0;
  const Eigen::Index n = P.rows();
  auto beats = [&](Eigen::Index a, Eigen::Index b) { return P(a, b) > 0.5; };
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j)
      for (Eigen::Index k = j + 1; k < n; ++k)
        if ((beats(i, j) && beats(j, k) && beats(k, i)) || (beats(j, i) && beats(k, j) && beats(i, k)))
          ++count;
  return count;
}

TEST(Describe, CountsCyclicTriplesLikeTheDefinition) {
  for (const std::string spec : {"random_uniform(n=12)", "tournament(n=15,ties=0.3)", "bt_mixture(n=11)",
                                 "disc(n=9)", "cyclic(n=7)", "bradley_terry(n=8)"}) {
    for (std::uint64_t seed : {0u, 1u}) {
      const Eigen::MatrixXd P = MakeP(spec, seed);
      const GameDescriptors d = Describe(P);
      ASSERT_TRUE(d.cyclic_triples.has_value()) << spec;
      EXPECT_EQ(*d.cyclic_triples, BruteForceCyclicTriples(P)) << spec;
      EXPECT_DOUBLE_EQ(d.cyclic_triple_fraction.value(),
                       static_cast<double>(*d.cyclic_triples) / static_cast<double>(d.triples));
    }
  }
}

TEST(Describe, FindsTheCondorcetWinnerOfATransitiveGame) {
  const GameDescriptors d = Describe(MakeP("bradley_terry(n=5,ratings=[0,3,1,2,-1])"));
  ASSERT_TRUE(d.condorcet_winner.has_value());
  EXPECT_EQ(*d.condorcet_winner, 1);
  EXPECT_EQ(d.cyclic_triples, std::optional<std::int64_t>(0));
  EXPECT_FALSE(Describe(MakeP("rps3")).condorcet_winner.has_value());
}

TEST(Describe, RockPaperScissorsIsOneCyclicTriple) {
  const GameDescriptors d = Describe(MakeP("rps3(x=0.9,y=0.9,z=0.8)"));
  EXPECT_EQ(d.cyclic_triples, std::optional<std::int64_t>(1));
  EXPECT_EQ(d.triples, 1);
  EXPECT_NEAR(d.max_abs_margin, 0.4, 1e-15);
}

// Both counting paths (the O(n^2) tournament formula and the O(n^3) product with ties) against the
// definition, on tournaments with and without ties, and the hodge ratio against its definition.
TEST(Describe, BothCountingPathsAndTheHodgeRatioMatchTheirDefinitions) {
  for (const std::string spec : {"tournament(n=30,ties=0)", "tournament(n=30,ties=0.05)", "random_uniform(n=40)"}) {
    const Eigen::MatrixXd P = MakeP(spec, 3);
    const GameDescriptors d = Describe(P);
    ASSERT_TRUE(d.cyclic_triples.has_value()) << spec;
    EXPECT_EQ(*d.cyclic_triples, BruteForceCyclicTriples(P)) << spec;
    const Eigen::MatrixXd A = P.array() - 0.5;
    const Eigen::VectorXd s = A.rowwise().mean();
    const Eigen::MatrixXd grad = s.rowwise().replicate(P.rows()) - s.transpose().colwise().replicate(P.rows());
    EXPECT_NEAR(d.hodge_cyclic_ratio.value(), (A - grad).squaredNorm() / A.squaredNorm(), 1e-13) << spec;
    EXPECT_EQ(d.max_abs_margin, A.cwiseAbs().maxCoeff()) << spec;
  }
}

// Above kCyclicTriplesMaxN a game with ties is not counted (O(n^3)); one without ties still is.
TEST(Describe, LargeGamesWithTiesAreNotCounted) {
  const Eigen::Index n = kCyclicTriplesMaxN + 1;
  Eigen::MatrixXd P = Eigen::MatrixXd::Constant(n, n, 0.5);  // all ties
  EXPECT_FALSE(Describe(P).cyclic_triples.has_value());
  EXPECT_FALSE(Describe(P).cyclic_triple_fraction.has_value());
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < i; ++j) P(i, j) = 1.0, P(j, i) = 0.0;  // transitive, no ties
  const GameDescriptors d = Describe(P);
  EXPECT_EQ(d.cyclic_triples, std::optional<std::int64_t>(0));
  EXPECT_EQ(d.condorcet_winner, std::optional<Eigen::Index>(n - 1));
}

// A ratio of nothing is not a number: no triple among 2 actions, no margin where every pair ties.
TEST(Describe, UndefinedRatiosAreNotReported) {
  const GameDescriptors two = Describe(MakeP("random_uniform(n=2)"));
  EXPECT_EQ(two.triples, 0);
  EXPECT_EQ(two.cyclic_triples, std::optional<std::int64_t>(0));
  EXPECT_FALSE(two.cyclic_triple_fraction.has_value());
  EXPECT_TRUE(two.hodge_cyclic_ratio.has_value());
  const GameDescriptors tied = Describe(Eigen::MatrixXd::Constant(5, 5, 0.5));
  EXPECT_EQ(tied.cyclic_triples, std::optional<std::int64_t>(0));
  EXPECT_EQ(tied.cyclic_triple_fraction, std::optional<double>(0.0));
  EXPECT_FALSE(tied.hodge_cyclic_ratio.has_value());
  EXPECT_EQ(tied.max_abs_margin, 0.0);
}

// hodge's construction makes the two parts orthogonal: the ratio is kappa^2/((1-kappa)^2+kappa^2).
TEST(Describe, HodgeRatioMatchesTheGeneratorsKnob) {
  for (double kappa : {0.0, 0.3, 0.5, 0.8, 1.0}) {
    const GameDescriptors d = Describe(MakeP("hodge(n=12,kappa=" + std::to_string(kappa) + ")"));
    const double expected = kappa * kappa / ((1 - kappa) * (1 - kappa) + kappa * kappa);
    EXPECT_NEAR(d.hodge_cyclic_ratio.value(), expected, 1e-12) << kappa;
  }
  // A balanced tournament is purely cyclic: every action has the same score.
  EXPECT_NEAR(Describe(MakeP("cyclic(n=9)")).hodge_cyclic_ratio.value(), 1.0, 1e-14);
}

// From an operator: a dense game's matrix as it is, a float32 game's stored entries (the rounded
// game, ties and all); an implicit game, which computes its entries, is refused.
TEST(Describe, ReadsTheEntriesAnOperatorStores) {
  for (const std::string spec : {"random_uniform(n=30", "tournament(n=30,ties=0.3", "bradley_terry(n=30"}) {
    const Game dense = MakeGame(spec + ")", "uniform", 1);
    const Game f32 = MakeGame(spec + ",storage=float32)", "uniform", 1);
    const GameDescriptors a = Describe(dense.preferences()), b = Describe(dense.P());
    EXPECT_EQ(a.cyclic_triples, b.cyclic_triples) << spec;
    EXPECT_EQ(a.hodge_cyclic_ratio, b.hodge_cyclic_ratio) << spec;
    Eigen::MatrixXd rounded(30, 30);
    for (Eigen::Index j = 0; j < 30; ++j)
      for (Eigen::Index i = 0; i < 30; ++i) rounded(i, j) = f32.Entry(i, j);
    const GameDescriptors c = Describe(f32.preferences()), d = Describe(rounded);
    EXPECT_EQ(c.cyclic_triples, d.cyclic_triples) << spec;
    EXPECT_EQ(c.condorcet_winner, d.condorcet_winner) << spec;
    EXPECT_EQ(c.max_abs_margin, d.max_abs_margin) << spec;
    EXPECT_EQ(c.hodge_cyclic_ratio, d.hodge_cyclic_ratio) << spec;
    // The same game up to float rounding.
    EXPECT_EQ(c.cyclic_triples, a.cyclic_triples) << spec;
    EXPECT_NEAR(c.hodge_cyclic_ratio.value(), a.hodge_cyclic_ratio.value(), 1e-6) << spec;
  }
  EXPECT_THROW(Describe(MakeGame("low_rank_cyclic(n=30)", "uniform", 1).preferences()), InternalError);
}

}  // namespace
}  // namespace nlhf

// Known answers (docs/mathematics.md, known answers), each with its source.
#include <gtest/gtest.h>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "test_util.h"

namespace nlhf {
namespace {

Eigen::VectorXd Vec3(double a, double b, double c) {
  Eigen::VectorXd v(3);
  v << a, b, c;
  return v;
}

double MaxAbsDiff(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff();
}

// pi*_beta by the default path (dense at these sizes), once the matrix-free Krylov path has given
// the same answer: pi and the logits to 1e-10, both certified.
Equilibrium SolveBothWays(const Game& game, double beta) {
  const Equilibrium eq = SolveEquilibrium(game, beta);
  EquilibriumOptions krylov_options;
  krylov_options.method = EquilibriumMethod::kKrylov;
  const Equilibrium krylov = SolveEquilibrium(game, beta, krylov_options);
  EXPECT_TRUE(krylov.certified()) << game.game_spec() << " beta " << beta << ": " << krylov.message;
  EXPECT_EQ(krylov.method, "krylov");
  EXPECT_LE(MaxAbsDiff(krylov.pi, eq.pi), 1e-10) << game.game_spec() << " beta " << beta;
  EXPECT_LE(MaxAbsDiff(krylov.log_pi, eq.log_pi), 1e-10) << game.game_spec() << " beta " << beta;
  return eq;
}

// COMAL's game (Liu et al., arXiv:2410.23223): rps3(0.9, 0.9, 0.8) has the unregularized NE
// (4/11, 3/11, 4/11); pi*_beta approaches it as beta -> 0, with a bias of order beta.
TEST(KnownAnswers, ComalRockPaperScissorsApproachesItsNashEquilibrium) {
  const Game game = MakeGame("rps3(x=0.9,y=0.9,z=0.8)", "uniform", 0);
  const Eigen::VectorXd ne = Vec3(4.0 / 11, 3.0 / 11, 4.0 / 11);
  double previous = 1.0;
  for (double beta : {1e-1, 1e-2, 1e-3, 1e-4}) {
    const Equilibrium eq = SolveBothWays(game, beta);
    ASSERT_TRUE(eq.certified()) << eq.message;
    const double err = MaxAbsDiff(eq.pi, ne);
    EXPECT_LE(err, 2.0 * beta) << beta;       // O(beta) bias
    EXPECT_LE(err, previous / 5.0) << beta;   // and shrinking with beta
    previous = err;
  }
}

// Biased rock-paper-scissors with payoff [[0,-0.25,0.5],[0.25,0,-0.05],[-0.5,0.05,0]]:
// NE (1/16, 10/16, 5/16) (docs/mathematics.md, known answers; check: A pi = 0 row by row).
TEST(KnownAnswers, BiasedRockPaperScissors) {
  testing::TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.25,1\n0.75,0.5,0.45\n0,0.55,0.5\n");
  const Game game = MakeGame("matrix(path=" + path + ")", "uniform", 0);
  const Eigen::VectorXd ne = Vec3(1.0 / 16, 10.0 / 16, 5.0 / 16);
  EXPECT_LE(((game.P().array() - 0.5).matrix() * ne).cwiseAbs().maxCoeff(), 1e-15);
  const Equilibrium eq = SolveBothWays(game, 1e-4);
  ASSERT_TRUE(eq.certified()) << eq.message;
  EXPECT_LE(MaxAbsDiff(eq.pi, ne), 1e-3);
}

// The balanced tournament C_n is symmetric under rotation: with uniform mu, pi*_beta is uniform.
TEST(KnownAnswers, CyclicGameWithUniformReferenceHasUniformEquilibrium) {
  for (double beta : {1e-4, 1e-2, 1.0}) {
    for (const std::string spec : {"cyclic(n=3)", "cyclic(n=9,a=0.4)", "cyclic(n=101)"}) {
      const Game game = MakeGame(spec, "uniform", 0);
      const Equilibrium eq = SolveBothWays(game, beta);
      ASSERT_TRUE(eq.certified()) << eq.message;
      const double u = 1.0 / static_cast<double>(game.n());
      EXPECT_LE(MaxAbsDiff(eq.pi, Eigen::VectorXd::Constant(game.n(), u)), 1e-13 * u) << spec;
    }
  }
}

// beta -> infinity: the regularization dominates and pi*_beta -> mu, at distance O(1/beta).
TEST(KnownAnswers, LargeBetaGivesTheReference) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 2);
  for (double beta : {1e2, 1e4, 1e6}) {
    const Equilibrium eq = SolveBothWays(game, beta);
    ASSERT_TRUE(eq.certified());
    EXPECT_LE(MaxAbsDiff(eq.pi, game.mu()), 1.0 / beta) << beta;
  }
}

// A Bradley-Terry game is transitive: as beta -> 0 the mass goes to the best-rated action.
TEST(KnownAnswers, BradleyTerrySmallBetaConcentratesOnTheTopRating) {
  const Game game = MakeGame("bradley_terry(n=6,ratings=[0.3,-1,2,0.5,1.2,-0.2])", "uniform", 0);
  const Equilibrium eq = SolveBothWays(game, 1e-3);
  ASSERT_TRUE(eq.certified());
  Eigen::Index best;
  eq.pi.maxCoeff(&best);
  EXPECT_EQ(best, 2);
  EXPECT_GT(eq.pi[2], 1.0 - 1e-6);
}

// Pinned generated values: a seeded game must be the same on every platform and compiler.
TEST(KnownAnswers, SeededGamesArePinned) {
  const Game game = MakeGame("random_uniform(n=4,seed=0)", "softmax_normal(scale=1,seed=0)", 0);
  EXPECT_EQ(game.P()(1, 0), 0.13851145647866092);
  EXPECT_EQ(game.P()(3, 2), 0.075338427121300344);
  EXPECT_EQ(game.mu()[0], 0.046756163069909568);
}

}  // namespace
}  // namespace nlhf

#include "nlhf/equilibrium.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

void ExpectCertifiedFixedPoint(const Game& game, double beta, const EquilibriumOptions& options = {}) {
  const Equilibrium eq = SolveEquilibrium(game, beta, options);
  ASSERT_TRUE(eq.certified()) << game.game_spec() << " beta " << beta << ": " << eq.message;
  EXPECT_LE(eq.certificate, 1e-12);
  EXPECT_NEAR(eq.pi.sum(), 1.0, 1e-12);
  EXPECT_TRUE(eq.log_pi.allFinite());
  // Independent check of the fixed point: pi* = BR_beta(pi*) in the span norm (relative to 1/beta,
  // the scale of g/beta whose rounding dominates).
  const PolicyPoint p = Evaluate(game, eq.log_pi);
  EXPECT_LE(FpResidual(game, beta, p), 1e-9 * std::max(1.0, 1.0 / beta));
}

TEST(SolveEquilibrium, CertifiesAcrossTheRangeOfBeta) {
  for (double beta : {1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0}) {
    for (std::uint64_t seed : {0u, 1u, 2u}) {
      ExpectCertifiedFixedPoint(MakeGame("random_uniform(n=10)", "softmax_normal", seed), beta);
    }
  }
}

TEST(SolveEquilibrium, CertifiesDegenerateTournaments) {
  for (double beta : {1e-4, 1e-2, 1.0}) {
    for (std::uint64_t seed : {0u, 1u, 2u}) {
      ExpectCertifiedFixedPoint(MakeGame("tournament(n=40)", "uniform", seed), beta);
      ExpectCertifiedFixedPoint(MakeGame("tournament(n=40,ties=0.5)", "uniform", seed), beta);
    }
  }
}

TEST(SolveEquilibrium, CertifiesWithTinyReferenceEntries) {
  // zipf(s=10) over 16 actions: mu_15 / mu_0 = 16^-10 ~ 1e-12.
  const Game game = MakeGame("random_uniform(n=16)", "zipf(s=10)", 3);
  ASSERT_LT(game.mu().minCoeff(), 2e-12);
  for (double beta : {1e-4, 1e-2, 1.0}) ExpectCertifiedFixedPoint(game, beta);
}

TEST(SolveEquilibrium, CertifiesSmallBetaOnALargerGame) {
  ExpectCertifiedFixedPoint(MakeGame("random_uniform(n=200)", "softmax_normal", 0), 1e-4);
}

TEST(SolveEquilibrium, CertifiesAThousandActions) {
  ExpectCertifiedFixedPoint(MakeGame("random_uniform(n=1000)", "softmax_normal", 0), 1e-2);
  ExpectCertifiedFixedPoint(MakeGame("tournament(n=1000)", "uniform", 0), 1e-4);
}

TEST(SolveEquilibrium, CertifiesEveryGeneratorAtModerateBeta) {
  for (const std::string spec : {"random_skew(n=30,scale=2)", "bradley_terry(n=30,scale=3)", "cyclic(n=31)",
                                 "disc(n=30,dim=2)", "bt_mixture(n=30)", "hodge(n=30,kappa=0.9)"}) {
    ExpectCertifiedFixedPoint(MakeGame(spec, "softmax_normal", 7), 0.01);
  }
}

TEST(SolveEquilibrium, NashMpFallbackAgreesWithNewton) {
  for (const std::string spec : {"random_uniform(n=12)", "rps3", "bt_mixture(n=9)"}) {
    const Game game = MakeGame(spec, "softmax_normal", 1);
    const Equilibrium newton = SolveEquilibrium(game, 0.2);
    EquilibriumOptions fallback_only;
    fallback_only.newton = false;
    const Equilibrium fallback = SolveEquilibrium(game, 0.2, fallback_only);
    ASSERT_TRUE(newton.certified());
    ASSERT_TRUE(fallback.certified()) << fallback.message;
    EXPECT_EQ(newton.method, "newton");
    EXPECT_EQ(fallback.method, "nash_mp");
    EXPECT_GT(fallback.fallback_iterations, 0);
    EXPECT_LE((newton.pi - fallback.pi).cwiseAbs().maxCoeff(), 1e-7) << spec;
  }
}

TEST(SolveEquilibrium, ReportsFailureInsteadOfAWrongAnswer) {
  const Game game = MakeGame("random_uniform(n=20)", "softmax_normal", 0);
  EquilibriumOptions starved;
  starved.max_newton_iterations = 1;
  starved.max_fallback_iterations = 1;
  const Equilibrium eq = SolveEquilibrium(game, 1e-3, starved);
  EXPECT_FALSE(eq.certified());
  EXPECT_EQ(eq.status, EquilibriumStatus::kNotCertified);
  EXPECT_GT(eq.certificate, 1e-12);
  EXPECT_NE(eq.message.find("not certified"), std::string::npos) << eq.message;
}

TEST(SolveEquilibrium, RejectsBetaZeroNegativeAndNaN) {
  const Game game = MakeGame("rps3", "uniform", 0);
  ExpectInputError([&] { SolveEquilibrium(game, 0.0); }, {"beta", "linear program", "beta > 0"});
  ExpectInputError([&] { SolveEquilibrium(game, -0.1); }, {"beta", "-0.1", "> 0"});
  ExpectInputError([&] { SolveEquilibrium(game, std::nan("")); }, {"beta", "nan"});
}

}  // namespace
}  // namespace nlhf

#include "nlhf/equilibrium.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <complex>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "nlhf/preference_operator.h"
#include "nlhf/rng.h"
#include "nlhf/solver.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;
using testing::LimitOf;

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

// pi* as the outputs show it: below e^-708, exp of log pi* (subnormal, or 0). Eigen's vectorized exp
// gave 5.6e-309 to the actions in full packets: at beta = 1/1430, where log pi* of the four losers
// is about -715 (a new user's case), three of them showed 5.6e-309 and the last 3e-311.
TEST(SolveEquilibrium, ProbabilitiesBelowTheNormalRangeAreExpOfTheirLogits) {
  Eigen::MatrixXd P = Eigen::MatrixXd::Constant(5, 5, 0.5);
  for (Eigen::Index i = 0; i < 5; ++i)
    for (Eigen::Index j = i + 1; j < 5; ++j) P(i, j) = 1.0, P(j, i) = 0.0;  // 0 beats everyone
  const Game game(P, Eigen::VectorXd::Constant(5, 0.2), "strict order", "uniform");
  for (double beta : {1.0 / 1430.0, 1e-4}) {
    const Equilibrium eq = SolveEquilibrium(game, beta);
    ASSERT_TRUE(eq.certified()) << eq.message;
    int below = 0;
    for (Eigen::Index y = 0; y < 5; ++y) {
      if (eq.log_pi[y] >= kEigenExpFloor) continue;
      ++below;
      EXPECT_EQ(eq.pi[y], std::exp(eq.log_pi[y])) << "beta " << beta << ", action " << y;
    }
    EXPECT_EQ(below, 4) << beta;
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

// An implicit game has no stored P: pi* comes from the matrix-free Newton-Krylov path and agrees with
// the dense Newton on the same game stored densely; rho agrees too (dense from materialized entries at
// these small n; from the low-rank factors above kSpectralRadiusDenseMaxN, checked below).
TEST(SolveEquilibrium, CertifiesImplicitGamesWithoutAStoredMatrix) {
  for (const std::string spec : {"low_rank_cyclic(n=40,k=3", "low_rank_disc(n=40,dim=2", "bradley_terry(n=30,scale=2"}) {
    const Game implicit = MakeGame(spec + ",storage=implicit)", "softmax_normal", 7);
    const Game dense = MakeGame(spec + ",storage=dense)", "softmax_normal", 7);
    ASSERT_EQ(implicit.dense(), nullptr);
    const Equilibrium a = SolveEquilibrium(implicit, 0.05), b = SolveEquilibrium(dense, 0.05);
    ASSERT_TRUE(a.certified()) << spec << ": " << a.message;
    ASSERT_TRUE(b.certified());
    EXPECT_EQ(a.method, "krylov");  // matrix-free Newton: no dense Jacobian without a stored P
    EXPECT_GT(a.newton_iterations, 0);
    EXPECT_EQ(b.method, "newton");
    EXPECT_LE((a.log_pi - b.log_pi).cwiseAbs().maxCoeff(), 1e-10) << spec;
    ASSERT_TRUE(a.stability && b.stability);
    EXPECT_NEAR(a.stability->rho, b.stability->rho, 1e-12) << spec;
  }
  const Game implicit = MakeGame("low_rank_cyclic(n=150,k=4)", "softmax_normal", 3);
  ASSERT_EQ(implicit.dense(), nullptr);
  const Equilibrium a = SolveEquilibrium(implicit, 0.05);
  ASSERT_TRUE(a.certified() && a.stability);
  const Game dense = MakeGame("low_rank_cyclic(n=150,k=4,storage=dense)", "softmax_normal", 3);
  const double rho = ComputeSpectralRadius(dense, a.pi, SpectralRadiusMethod::kDense).rho;
  EXPECT_NEAR(a.stability->rho, rho, 1e-8 * rho);
}

// A float32 game has no double P, but stores its entries: pi* takes the path n picks (the dense
// Jacobian formed from the entries below kKrylovFromN; matrix-free Krylov when asked, as from
// kKrylovFromN on) and is certified against the game it stores (gap_beta <= 1e-12 with its own
// products). It is the float-rounded game's pi* (the dense Newton on that game materialized agrees
// to 1e-10), and within the perturbation of the game of the double game's: entries moved by <= 1.5e-8
// move log pi* by at most about that over beta (measured below).
TEST(SolveEquilibrium, CertifiesTheFloat32GameItStores) {
  for (const std::string spec : {"random_uniform(n=300", "bradley_terry(n=200,scale=2", "hodge(n=120,kappa=0.9"}) {
    const Game f32 = MakeGame(spec + ",storage=float32)", "softmax_normal", 7);
    const Game dense = MakeGame(spec + ")", "softmax_normal", 7);
    const Game rounded(Materialize(f32.preferences()), f32.mu(), "rounded", "softmax_normal");
    ASSERT_EQ(f32.dense(), nullptr);
    const double beta = 0.01;
    EquilibriumOptions krylov;
    krylov.method = EquilibriumMethod::kKrylov;
    const Equilibrium a = SolveEquilibrium(f32, beta), b = SolveEquilibrium(rounded, beta),
                      c = SolveEquilibrium(dense, beta), k = SolveEquilibrium(f32, beta, krylov);
    ASSERT_TRUE(a.certified()) << spec << ": " << a.message;
    ASSERT_TRUE(b.certified() && c.certified());
    ASSERT_TRUE(k.certified()) << spec << ": " << k.message;
    EXPECT_EQ(a.method, "newton");
    EXPECT_EQ(k.method, "krylov");
    EXPECT_LE(a.certificate, 1e-12);
    EXPECT_LE(GapBeta(f32, beta, Evaluate(f32, a.log_pi)), 1e-12);
    EXPECT_LE((a.log_pi - b.log_pi).cwiseAbs().maxCoeff(), 1e-10) << spec;
    EXPECT_LE((k.log_pi - b.log_pi).cwiseAbs().maxCoeff(), 1e-10) << spec;
    // Measured: max |pi - pi_double| 4e-10, 2.9e-9, 1e-9 and max |log pi - log pi_double| 1.9e-7,
    // 1.5e-6, 1e-7 (the 2^-26 perturbation over beta = 0.01 is 1.5e-6).
    const double moved = (a.pi - c.pi).cwiseAbs().maxCoeff();
    EXPECT_LE(moved, 1e-8) << spec;
    EXPECT_GT(moved, 0.0) << spec;
    EXPECT_LE((a.log_pi - c.log_pi).cwiseAbs().maxCoeff(), 1e-5) << spec;
    ASSERT_TRUE(a.stability && b.stability);
    EXPECT_NEAR(a.stability->rho, b.stability->rho, 1e-8 * b.stability->rho) << spec;
  }
}

// At small beta the dense path factors J: for a float32 game, J is formed from its stored entries
// and gives the float-rounded game's pi* (to the rounding floor of the logits at beta = 1e-4).
TEST(SolveEquilibrium, FactorsTheJacobianOfAFloat32GameFromItsEntries) {
  const Game f32 = MakeGame("random_uniform(n=200,storage=float32)", "softmax_normal", 3);
  const Game rounded(Materialize(f32.preferences()), f32.mu(), "rounded", "softmax_normal");
  const Equilibrium a = SolveEquilibrium(f32, 1e-4), b = SolveEquilibrium(rounded, 1e-4);
  ASSERT_TRUE(a.certified()) << a.message;
  ASSERT_TRUE(b.certified()) << b.message;
  EXPECT_EQ(a.method, "newton");
  EXPECT_GT(a.factorizations, 0);
  EXPECT_EQ(a.factorizations, b.factorizations);
  EXPECT_LE((a.log_pi - b.log_pi).cwiseAbs().maxCoeff(), 1e-9);
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
    EXPECT_LE((newton.pi - fallback.pi).cwiseAbs().maxCoeff(), 1e-11) << spec;
  }
}

// At small beta gap_beta is not monotone along Nash-MP's iterates in its first hundred iterations.
// The fallback used to stop at the first check (every 16 iterations) that was not lower than the
// one before: here after 32-64 iterations at gap_beta 0.17-0.33, not certified. It now runs on
// while new lows keep coming (5-25 thousand iterations here) and certifies.
TEST(SolveEquilibrium, NashMpFallbackIsNotStoppedByANonMonotoneGap) {
  for (const std::string spec : {"random_uniform(n=30)", "random_uniform(n=100)"}) {
    const Game game = MakeGame(spec, "softmax_normal", 1);
    EquilibriumOptions fallback_only;
    fallback_only.newton = false;
    const Equilibrium newton = SolveEquilibrium(game, 0.002);
    const Equilibrium fallback = SolveEquilibrium(game, 0.002, fallback_only);
    ASSERT_TRUE(newton.certified());
    ASSERT_TRUE(fallback.certified()) << spec << ": " << fallback.message;
    EXPECT_GT(fallback.fallback_iterations, 1000) << spec;
    EXPECT_LE((newton.pi - fallback.pi).cwiseAbs().maxCoeff(), 1e-10) << spec;
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

EquilibriumOptions Using(EquilibriumMethod method) {
  EquilibriumOptions options;
  options.method = method;
  options.stability = false;
  return options;
}

double MaxAbsDiff(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff();
}

// The matrix-free Krylov path solves the same equations as the dense one, to the same rounding
// floor: the same pi* and the same logits (to 1e-10), both certified.
void ExpectKrylovMatchesDense(
    const Game& game, double beta,
    EquilibriumOptions krylov_options = Using(EquilibriumMethod::kKrylov)) {
  const Equilibrium dense = SolveEquilibrium(game, beta, Using(EquilibriumMethod::kDense));
  const Equilibrium krylov = SolveEquilibrium(game, beta, krylov_options);
  const std::string where = fmt::format("{} beta {}", game.game_spec(), beta);
  ASSERT_TRUE(dense.certified()) << where << ": " << dense.message;
  ASSERT_TRUE(krylov.certified()) << where << ": " << krylov.message;
  EXPECT_EQ(dense.method, "newton") << where;
  EXPECT_EQ(krylov.method, "krylov") << where;
  EXPECT_EQ(krylov.factorizations, 0) << where;
  EXPECT_LE(MaxAbsDiff(krylov.pi, dense.pi), 1e-10) << where;
  EXPECT_LE(MaxAbsDiff(krylov.log_pi, dense.log_pi), 1e-10) << where;
}

TEST(SolveEquilibrium, KrylovMatchesDenseOnRandomGames) {
  for (const std::string spec : {"random_uniform(n=40)", "disc(n=40,dim=2)",
                                 "bradley_terry(n=40,scale=3)", "cyclic(n=41)"}) {
    for (std::uint64_t seed : {0u, 1u}) {
      const Game game = MakeGame(spec, "softmax_normal", seed);
      for (double beta : {1.0, 0.1, 1e-2, 1e-3, 1e-4}) ExpectKrylovMatchesDense(game, beta);
    }
  }
}

TEST(SolveEquilibrium, KrylovMatchesDenseOnAThreeHundredActionGame) {
  const Game game = MakeGame("random_uniform(n=300)", "softmax_normal", 0);
  for (double beta : {1e-2, 1e-3}) ExpectKrylovMatchesDense(game, beta);
}

TEST(SolveEquilibrium, KrylovMatchesDenseWithRestartedGmres) {
  // A basis of 8 vectors: at beta = 1e-2 Newton steps need dozens of GMRES iterations, so restarts.
  // (Restarted GMRES can stagnate on this non-normal J at smaller beta; the default basis holds n
  // vectors up to n = 4096 and 1677 at n = 10^4.)
  EquilibriumOptions restarted = Using(EquilibriumMethod::kKrylov);
  restarted.gmres_restart = 8;
  int most = 0;
  restarted.progress = [&](const EquilibriumProgress& p) { most = std::max(most, p.linear_iterations); };
  ExpectKrylovMatchesDense(MakeGame("random_uniform(n=60)", "softmax_normal", 4), 1e-2, restarted);
  EXPECT_GT(most, 8);
}

TEST(SolveEquilibrium, DenseFactorsOnlyWhereGmresWouldCostMore) {
  // At beta = 1 Newton converges in a few steps of a few GMRES iterations each: no LU. At 1e-4
  // plain GMRES needs about as many iterations as pi* has actions in its support, more than one LU
  // costs.
  const Game game = MakeGame("random_uniform(n=300)", "softmax_normal", 0);
  const Equilibrium easy = SolveEquilibrium(game, 1.0, Using(EquilibriumMethod::kDense));
  const Equilibrium hard = SolveEquilibrium(game, 1e-4, Using(EquilibriumMethod::kDense));
  ASSERT_TRUE(easy.certified() && hard.certified());
  EXPECT_EQ(easy.factorizations, 0);
  EXPECT_GT(easy.linear_iterations, 0);
  EXPECT_GT(hard.factorizations, 0);
  EXPECT_NE(hard.message.find("LU factorizations"), std::string::npos) << hard.message;
}

// Up to 64 actions each Newton direction comes from a fresh LU of the dense Jacobian, with no
// GMRES iteration (cheaper there); from 65 on, GMRES as above (at beta = 1, with no LU at all). The
// direct path's pi* matches Krylov's (KrylovMatchesDenseOnRandomGames, n = 40 and 41).
// Newton alone certifies (no Nash-MP fallback, which would hide a wrong direction), with one LU
// per Newton iteration; a float32 game's J comes from its stored entries there too.
TEST(SolveEquilibrium, DenseTakesExactDirectionsUpToSixtyFourActions) {
  for (const std::string spec : {"random_uniform(n=3)", "random_uniform(n=10)", "random_uniform(n=64)",
                                 "random_uniform(n=30,storage=float32)"}) {
    const Game game = MakeGame(spec, "softmax_normal", 0);
    for (double beta : {1.0, 1e-3}) {
      const Equilibrium eq = SolveEquilibrium(game, beta, Using(EquilibriumMethod::kDense));
      const std::string where = fmt::format("{} beta {}: {}", spec, beta, eq.message);
      ASSERT_TRUE(eq.certified()) << where;
      EXPECT_EQ(eq.method, "newton") << where;
      EXPECT_EQ(eq.fallback_iterations, 0) << where;
      EXPECT_EQ(eq.linear_iterations, 0) << where;
      EXPECT_EQ(eq.factorizations, eq.newton_iterations) << where;
      EXPECT_GT(eq.newton_iterations, 0) << where;
    }
  }
  const Equilibrium gmres =
      SolveEquilibrium(MakeGame("random_uniform(n=65)", "softmax_normal", 0), 1.0, Using(EquilibriumMethod::kDense));
  ASSERT_TRUE(gmres.certified()) << gmres.message;
  EXPECT_GT(gmres.linear_iterations, 0);
  EXPECT_EQ(gmres.factorizations, 0);
}

TEST(SolveEquilibrium, AutoPicksDenseBelowTheCrossoverAndKrylovFromIt) {
  EXPECT_EQ(ResolveEquilibriumMethod(kKrylovFromN - 1, EquilibriumMethod::kAuto), EquilibriumMethod::kDense);
  EXPECT_EQ(ResolveEquilibriumMethod(kKrylovFromN, EquilibriumMethod::kAuto), EquilibriumMethod::kKrylov);
  EXPECT_EQ(ResolveEquilibriumMethod(10, EquilibriumMethod::kKrylov), EquilibriumMethod::kKrylov);
  EXPECT_EQ(ResolveEquilibriumMethod(1000000, EquilibriumMethod::kDense), EquilibriumMethod::kDense);
  EquilibriumOptions automatic;
  automatic.stability = false;
  EXPECT_EQ(SolveEquilibrium(MakeGame("random_uniform(n=50)", "uniform", 0), 0.1, automatic).method, "newton");
}

TEST(EquilibriumWorkBytes, CountsTheDenseFactorsAndTheKrylovBasis) {
  const double n = 2000;
  // GMRES with a basis of r + 1 vectors of n doubles and an (r + 1) x r Hessenberg matrix, and 16
  // more vectors.
  const auto gmres = [](double size, double r) { return (size + r) * (r + 1) + 16 * size; };
  // Dense: J and its LU factors (2 n^2 doubles), and a basis of n / 12 vectors.
  EXPECT_EQ(EquilibriumWorkBytes(2000, EquilibriumMethod::kDense), 8.0 * (2 * n * n + gmres(n, 166)));
  // Krylov: n vectors (no restarts) up to n = 4096, 2^24 / n beyond (at least 30), or the option.
  EXPECT_EQ(EquilibriumWorkBytes(2000, EquilibriumMethod::kKrylov), 8.0 * gmres(n, 2000));
  EXPECT_EQ(EquilibriumWorkBytes(10000, EquilibriumMethod::kAuto), 8.0 * gmres(1e4, 1677));
  EXPECT_EQ(EquilibriumWorkBytes(1000000, EquilibriumMethod::kKrylov), 8.0 * gmres(1e6, 30));
  EXPECT_EQ(EquilibriumWorkBytes(100, EquilibriumMethod::kKrylov, 7), 8.0 * gmres(100, 7));
}

TEST(SolveEquilibrium, KrylovFallsBackToNashMpAndSaysSo) {
  const Game game = MakeGame("random_uniform(n=20)", "softmax_normal", 0);
  EquilibriumOptions starved = Using(EquilibriumMethod::kKrylov);
  starved.max_newton_iterations = 1;
  const Equilibrium eq = SolveEquilibrium(game, 0.05, starved);
  ASSERT_TRUE(eq.certified()) << eq.message;
  EXPECT_EQ(eq.method, "krylov+nash_mp");
  EXPECT_GT(eq.fallback_iterations, 0);
}

TEST(SolveEquilibrium, ReportsProgressOncePerNewtonIteration) {
  const Game game = MakeGame("random_uniform(n=80)", "softmax_normal", 2);
  for (EquilibriumMethod method : {EquilibriumMethod::kDense, EquilibriumMethod::kKrylov}) {
    EquilibriumOptions options = Using(method);
    std::vector<EquilibriumProgress> seen;
    options.progress = [&](const EquilibriumProgress& p) { seen.push_back(p); };
    const Equilibrium eq = SolveEquilibrium(game, 1e-3, options);
    ASSERT_TRUE(eq.certified()) << eq.message;
    ASSERT_EQ(static_cast<int>(seen.size()), eq.newton_iterations);
    int linear = 0;
    for (size_t k = 0; k < seen.size(); ++k) {
      const EquilibriumProgress& p = seen[k];
      EXPECT_EQ(p.method, method);
      EXPECT_EQ(p.newton_iteration, static_cast<int>(k) + 1);
      EXPECT_TRUE(p.step >= 0.0 && p.step <= 1.0) << p.step;
      EXPECT_TRUE(std::isfinite(p.residual) && p.residual >= 0.0);
      if (k > 0) {
        EXPECT_GE(p.stage, seen[k - 1].stage);
        if (p.stage == seen[k - 1].stage) {
          EXPECT_EQ(p.beta, seen[k - 1].beta);
        }
      }
      linear += p.linear_iterations;
    }
    EXPECT_EQ(linear, eq.linear_iterations);
    EXPECT_EQ(seen.back().beta, 1e-3);
    EXPECT_EQ(seen.back().stage, eq.continuation_stages);
    EXPECT_LE(seen.back().residual, 1e-9);  // the final stage runs to the rounding floor
  }
}

TEST(SolveEquilibrium, EndsWithoutACertificateWhereGOverBetaOverflows) {
  // beta = 1e-310 (subnormal): g / beta overflows on the way down; the continuation must still end
  // (every stage costs budget, a failed line search is retried once) and say it did not certify.
  const Game game = MakeGame("rps3", "uniform", 0);
  for (EquilibriumMethod method : {EquilibriumMethod::kDense, EquilibriumMethod::kKrylov}) {
    const Equilibrium eq = SolveEquilibrium(game, 1e-310, Using(method));
    EXPECT_FALSE(eq.certified()) << eq.message;
    EXPECT_NE(eq.message.find("not certified"), std::string::npos) << eq.message;
  }
}

TEST(SolveEquilibrium, RejectsBetaZeroNegativeAndNaN) {
  const Game game = MakeGame("rps3", "uniform", 0);
  ExpectInputError([&] { SolveEquilibrium(game, 0.0); }, {"beta", "linear program", "beta > 0"});
  ExpectInputError([&] { SolveEquilibrium(game, -0.1); }, {"beta", "-0.1", "> 0"});
  ExpectInputError([&] { SolveEquilibrium(game, std::nan("")); }, {"beta", "nan"});
}

// The extragradient factor f = (1-a) + i a (1-a) s - a^2 s^2 (docs/mathematics.md, stability limits).
double ExtragradientFactor(double a, double s) { return std::abs(std::complex<double>(1 - a - a * a * s * s, a * (1 - a) * s)); }

// rho by `method`, which must converge and be the one that ran.
double RhoBy(SpectralRadiusMethod method, const Game& game, const Eigen::VectorXd& pi) {
  const SpectralRadiusResult r = ComputeSpectralRadius(game, pi, method);
  EXPECT_TRUE(r.converged) << game.game_spec() << ": " << r.message;
  EXPECT_EQ(r.method, method);
  return r.rho;
}

// The policies rho is checked at: the uniform policy, mu, a random and a nearly pure policy, and
// pi* at two strengths.
std::vector<std::pair<std::string, Eigen::VectorXd>> RhoTestPolicies(const Game& game) {
  Rng rng(5, "rho");
  return {{"uniform", Eigen::VectorXd::Constant(game.n(), 1.0 / static_cast<double>(game.n()))},
          {"mu", game.mu()},
          {"random", testing::RandomLogits(game.n(), rng, 1.0).array().exp()},
          {"nearly pure", testing::RandomLogits(game.n(), rng, 8.0).array().exp()},
          {"pi* at 1e-2", SolveEquilibrium(game, 1e-2, {.stability = false}).pi},
          {"pi* at 1e-4", SolveEquilibrium(game, 1e-4, {.stability = false}).pi}};
}

// The matrix-free Lanczos rho against the dense eigendecomposition, 1e-8 relative (issue 13; n = 1000
// and 2000 in tests/slow/spectral_radius_large_test.cc): every kind of generator (random, disc with
// transitive and cyclic parts, cyclic with its multiple singular values, transitive Bradley-Terry
// and hodge at kappa = 0), at the uniform policy, mu, a random and a nearly pure policy, and pi* at
// two strengths. Concentrated policies are the hard case: there S^T S has one pair of eigenvalues
// and the rest ~0 (Bradley-Terry's pi* at 1e-2, n = 100: rho = 7.5e-7, which Spectra without the
// scale and shift of LanczosSpectralRadius returned 8e-6 off).
TEST(SpectralRadius, LanczosAgreesWithDenseOnEveryGeneratorAndPolicy) {
  for (const int n : {100, 300}) {
    for (const std::string name : {"random_uniform", "disc", "cyclic", "bradley_terry", "hodge", "hodge0"}) {
      std::string spec = name + "(n=" + std::to_string(name == "cyclic" ? n + 1 : n);
      if (name == "disc") spec += ",dim=3";
      if (name == "bradley_terry") spec += ",scale=3";
      if (name == "hodge") spec += ",kappa=0.9";
      if (name == "hodge0") spec = "hodge(n=" + std::to_string(n) + ",kappa=0";
      const Game game = MakeGame(spec + ")", "softmax_normal", 5);
      for (const auto& [where, pi] : RhoTestPolicies(game)) {
        const double dense = RhoBy(SpectralRadiusMethod::kDense, game, pi);
        const double lanczos = RhoBy(SpectralRadiusMethod::kLanczos, game, pi);
        // Below its resolution Lanczos says 0, and dense says rounding: hodge at kappa = 0 is a
        // gradient game, A = g 1^T - 1 g^T, whose S is exactly 0 (Q sqrt(pi) = 0): dense ~2e-17.
        // Bradley-Terry's pi* at 1e-4 is a vertex to double precision; at 1e-2 and scale 3, n = 100
        // its rho is 4e-16 (dense; rounding), and at n = 300 3.9e-12 (resolved by both).
        if (lanczos == 0.0) {
          EXPECT_LE(dense, SpectralRadiusResolution(game.n())) << game.game_spec() << " at " << where;
        } else {
          EXPECT_NEAR(lanczos, dense, 1e-8 * dense) << game.game_spec() << " at " << where;
        }
      }
    }
  }
}

// The low-rank rho (from the game's factors F M F^T, O(n m^2)) against the dense eigendecomposition
// of the same game stored densely, on both low-rank generators (a cyclic game with unequal weights,
// whose singular values differ, and mElo with its transitive columns, which include one along
// sqrt(pi) for the uniform policy) at the same six policies as above.
TEST(SpectralRadius, LowRankAgreesWithDenseOnTheLowRankGames) {
  for (const int n : {100, 300}) {
    for (const std::string params :
         {"low_rank_cyclic(k=1", "low_rank_cyclic(k=4,weights=[0.4,0.3,0.2,0.1]",
          "low_rank_disc(dim=3,scale=0.3,cyclic_scale=0.2", "low_rank_disc(dim=2,scale=0.5,cyclic_scale=0",
          "low_rank_disc(dim=2,scale=0,cyclic_scale=0.5"}) {
      const std::string spec = params + ",n=" + std::to_string(n);
      const Game game = MakeGame(spec + ")", "softmax_normal", 5);
      const Game dense = MakeGame(spec + ",storage=dense)", "softmax_normal", 5);
      ASSERT_NE(game.preferences().skew_factors(), nullptr) << spec;
      for (const auto& [where, pi] : RhoTestPolicies(game)) {
        const double exact = RhoBy(SpectralRadiusMethod::kDense, dense, pi);
        const double low_rank = RhoBy(SpectralRadiusMethod::kLowRank, game, pi);
        if (low_rank == 0.0) {
          // mElo without its cyclic part is a gradient game: S = 0 (dense: rounding).
          EXPECT_LE(exact, SpectralRadiusResolution(game.n())) << spec << " at " << where;
        } else {
          EXPECT_NEAR(low_rank, exact, 1e-10 * exact) << spec << " at " << where;
          EXPECT_NEAR(low_rank, RhoBy(SpectralRadiusMethod::kLanczos, game, pi), 1e-8 * exact)
              << spec << " at " << where;
        }
      }
    }
  }
}

// Where pi is supported on two actions, S is rounding (rho ~ 1e-18) and is reported as 0; with
// 1e-16 elsewhere, rho ~ 1e-8 comes out to 1e-14 absolute, as the dense answer (an early version
// went through the Gram matrix G^T G, whose rounding came out of its square root as ~sqrt(eps):
// 4e-11 for the first, 4e-13 off for the second).
TEST(SpectralRadius, LowRankStaysAccurateWherePiIsNearlyOnTwoActions) {
  for (const std::string spec : {"low_rank_cyclic(n=200,k=1", "low_rank_cyclic(n=200,k=4"}) {
    const Game game = MakeGame(spec + ")", "uniform", 3);
    const Game dense = MakeGame(spec + ",storage=dense)", "uniform", 3);
    Eigen::VectorXd two = Eigen::VectorXd::Zero(200);
    two[17] = 0.4;
    two[101] = 0.6;
    EXPECT_EQ(RhoBy(SpectralRadiusMethod::kLowRank, game, two), 0.0) << spec;
    EXPECT_LE(RhoBy(SpectralRadiusMethod::kDense, dense, two), SpectralRadiusResolution(200)) << spec;
    Eigen::VectorXd nearly = Eigen::VectorXd::Constant(200, 1e-16);
    nearly[17] = 0.4;
    nearly[101] = 0.6 - 198e-16;
    const double exact = RhoBy(SpectralRadiusMethod::kDense, dense, nearly);
    EXPECT_GT(exact, 1e-10) << spec;
    EXPECT_NEAR(RhoBy(SpectralRadiusMethod::kLowRank, game, nearly), exact, 1e-14) << spec;
  }
}

TEST(SpectralRadius, IsZeroWhenAIsZeroOrPiIsAVertex) {
  // P = 1/2 everywhere: A = 0, so S = 0.
  const Game ties(Eigen::MatrixXd::Constant(50, 50, 0.5), Eigen::VectorXd::Constant(50, 0.02), "ties", "uniform");
  const Eigen::VectorXd uniform = ties.mu();
  EXPECT_EQ(RhoBy(SpectralRadiusMethod::kDense, ties, uniform), 0.0);
  // Lanczos: P w is summed in another order than 1^T w / 2, so S v is rounding, below resolution.
  EXPECT_EQ(RhoBy(SpectralRadiusMethod::kLanczos, ties, uniform), 0.0);
  // A pure policy: D = 0.
  const Game game = MakeGame("random_uniform(n=50)", "uniform", 1);
  const Eigen::VectorXd vertex = Eigen::VectorXd::Unit(50, 7);
  EXPECT_EQ(RhoBy(SpectralRadiusMethod::kDense, game, vertex), 0.0);
  EXPECT_EQ(RhoBy(SpectralRadiusMethod::kLanczos, game, vertex), 0.0);
  // Two actions: S acts on the one direction orthogonal to sqrt(pi), where a skew form is 0.
  const Game two = MakeGame("random_uniform(n=2)", "uniform", 1);
  EXPECT_EQ(RhoBy(SpectralRadiusMethod::kDense, two, two.mu()), 0.0);
  EXPECT_EQ(RhoBy(SpectralRadiusMethod::kLanczos, two, two.mu()), 0.0);
  // ... at every pi: a 2 x 2 game with a lopsided pi gave rho ~ 1e-104 by the dense method.
  Eigen::VectorXd lopsided(2);
  lopsided << 1.0 - 1e-90, 1e-90;
  EXPECT_EQ(RhoBy(SpectralRadiusMethod::kDense, two, lopsided), 0.0);
}

TEST(SpectralRadius, LanczosWorksOnTinyGames) {
  // Spectra needs nev < n and ncv <= n: the subspace shrinks with n.
  for (const std::string spec : {"random_uniform(n=3)", "random_uniform(n=4)", "random_uniform(n=21)"}) {
    const Game game = MakeGame(spec, "softmax_normal", 2);
    const double dense = RhoBy(SpectralRadiusMethod::kDense, game, game.mu());
    EXPECT_NEAR(RhoBy(SpectralRadiusMethod::kLanczos, game, game.mu()), dense, 1e-8 * dense) << spec;
  }
}

TEST(SpectralRadius, AutoIsDenseUpToTheCrossoverAndLanczosOrLowRankAbove) {
  for (const Eigen::Index n : {kSpectralRadiusDenseMaxN, kSpectralRadiusDenseMaxN + 1}) {
    for (const std::string generator : {"random_uniform", "low_rank_cyclic", "low_rank_disc"}) {
      const Game game = MakeGame(generator + "(n=" + std::to_string(n) + ")", "softmax_normal", 0);
      const SpectralRadiusResult r = ComputeSpectralRadius(game, game.mu());
      const SpectralRadiusMethod above =
          generator == "random_uniform" ? SpectralRadiusMethod::kLanczos : SpectralRadiusMethod::kLowRank;
      EXPECT_EQ(r.method, n <= kSpectralRadiusDenseMaxN ? SpectralRadiusMethod::kDense : above) << generator;
      EXPECT_TRUE(r.converged);
      EXPECT_EQ(SpectralRadius(game, game.mu()), r.rho);
    }
  }
  // Beyond kSpectralRadiusLowRankMaxM columns Lanczos's ~100 products of O(n m) cost less.
  const Game wide = MakeGame("low_rank_cyclic(n=200,k=33)", "softmax_normal", 0);
  EXPECT_EQ(ComputeSpectralRadius(wide, wide.mu()).method, SpectralRadiusMethod::kLanczos);
  const Game widest = MakeGame("low_rank_cyclic(n=200,k=32)", "softmax_normal", 0);
  EXPECT_EQ(ComputeSpectralRadius(widest, widest.mu()).method, SpectralRadiusMethod::kLowRank);
  // The low-rank method needs the factors.
  const Game dense = MakeGame("random_uniform(n=100)", "uniform", 0);
  EXPECT_THROW(ComputeSpectralRadius(dense, dense.mu(), SpectralRadiusMethod::kLowRank), InternalError);
}

// The low-rank rho is exact where Lanczos's is: at n = 3000 (a few Lanczos products at a stored P would
// take longer) on an implicit game, the two agree to 1e-9, and the low-rank one took no product.
TEST(SpectralRadius, LowRankAgreesWithLanczosOnALargerImplicitGame) {
  const Game game = MakeGame("low_rank_cyclic(n=3000,k=3)", "softmax_normal", 2);
  const Eigen::VectorXd pi = SolveEquilibrium(game, 0.01, {.stability = false}).pi;
  const SpectralRadiusResult low_rank = ComputeSpectralRadius(game, pi, SpectralRadiusMethod::kLowRank);
  const SpectralRadiusResult lanczos = ComputeSpectralRadius(game, pi, SpectralRadiusMethod::kLanczos);
  ASSERT_TRUE(low_rank.converged && lanczos.converged) << lanczos.message;
  EXPECT_GT(low_rank.rho, 0.0);
  EXPECT_NEAR(low_rank.rho, lanczos.rho, 1e-9 * lanczos.rho);
  EXPECT_EQ(low_rank.products, 0);
  EXPECT_GT(lanczos.products, 0);
}

TEST(ExtragradientLimit, IsWhereTheFactorReachesOne) {
  for (double s : {0.0, 0.3, 1.0, 1.7, 3.0, 50.0, 220.0, 1e4}) {
    const double a = ExtragradientLimit(s);
    ASSERT_TRUE(a > 0.0 && a < 2.0) << s;
    EXPECT_NEAR(ExtragradientFactor(a, s), 1.0, 1e-12) << s;
    // Stable below, unstable above (the stable steps form an interval).
    for (double x : {1e-3, 0.1, 0.5, 0.9, 0.999}) EXPECT_LT(ExtragradientFactor(x * a, s), 1.0) << s << " x " << x;
    for (double x : {1.001, 1.1, 1.5}) EXPECT_GT(ExtragradientFactor(x * a, s), 1.0) << s << " x " << x;
  }
  EXPECT_NEAR(ExtragradientLimit(1.0), 1.0, 1e-12);  // nash_mp's eta = a/(1-a) is unbounded at rho = beta
  EXPECT_NEAR(ExtragradientLimit(0.0), 2.0, 1e-12);  // egpo's necessary eta' beta < 2
  // For large s it approaches 1/s + 1/s^2 (the rounded rules beta/rho and 1/(beta+rho) are ~ 1/s - O(1/s^2)).
  EXPECT_NEAR(ExtragradientLimit(1e3) * 1e3, 1.0 + 1e-3, 1e-5);
}

TEST(ComputeStabilityLimits, ConvertsTheExtragradientLimitToEachConvention) {
  const double beta = 0.01, rho = 0.15;
  const StabilityLimits s = ComputeStabilityLimits(beta, rho);
  const double a = ExtragradientLimit(rho / beta);
  const double nash_mp = LimitOf(s, "nash_mp"), egpo = LimitOf(s, "egpo");
  EXPECT_DOUBLE_EQ(egpo, a / beta);
  EXPECT_DOUBLE_EQ(nash_mp / (1 + nash_mp), a);  // nash_mp(eta) = egpo(eta / (beta (1 + eta)))
  EXPECT_DOUBLE_EQ(LimitOf(s, "omd"), 2 * beta / (beta * beta + rho * rho));
  EXPECT_DOUBLE_EQ(LimitOf(s, "mmd"), 2 * beta / (rho * rho - beta * beta));
  // Within ~1/s = 7% of the rounded rules, and larger.
  EXPECT_GT(nash_mp, beta / rho);
  EXPECT_LT(nash_mp, 1.2 * beta / rho);
  EXPECT_GT(egpo, 1 / (beta + rho));
  EXPECT_LT(egpo, 1.2 / (beta + rho));
  // Every step is stable when rho <= beta.
  const StabilityLimits loose = ComputeStabilityLimits(0.2, 0.15);
  EXPECT_TRUE(std::isinf(LimitOf(loose, "nash_mp")));
  EXPECT_TRUE(std::isinf(LimitOf(loose, "mmd")));
  EXPECT_TRUE(std::isfinite(LimitOf(loose, "egpo")));
}

// The rows nlhf-equilibrium prints, with the numbers it printed before the limits moved into the
// solvers' registry traits (rps3(x=0.9,y=0.9,z=0.8) at beta = 0.01: rho = 0.2089; stable steps:
// nash_mp eta < 0.05253, egpo eta < 4.991, omd eta < 0.4573 (best 0.2286), mmd eta < 0.4594
// (best 0.2292)), and the closed forms of the best steps.
TEST(ComputeStabilityLimits, HasOneRowPerSolverWithALimitInRegistryOrder) {
  const double beta = 0.01, rho = 0.15;
  const StabilityLimits s = ComputeStabilityLimits(beta, rho);
  EXPECT_EQ(s.rho, rho);
  // One row per registered solver with a stability_limit trait, in registry order (a new one gets
  // its row with no edit here); the known ones among them.
  std::vector<std::string> names, with_limit;
  for (const StepLimit& row : s.steps) names.push_back(row.solver + " " + row.step);
  for (const auto& e : SolverRegistry().entries())
    if (e.traits.stability_limit) with_limit.push_back(e.name + " " + e.traits.step);
  EXPECT_EQ(names, with_limit);
  for (const char* known : {"nash_mp eta", "egpo eta", "omd eta", "mmd eta"})
    EXPECT_NE(std::find(names.begin(), names.end(), known), names.end()) << known;
  EXPECT_FALSE(s.Find("nash_mp")->best.has_value());
  EXPECT_FALSE(s.Find("egpo")->best.has_value());
  EXPECT_DOUBLE_EQ(*s.Find("omd")->best, beta / (beta * beta + rho * rho));
  EXPECT_DOUBLE_EQ(*s.Find("mmd")->best, beta / (rho * rho));
  EXPECT_EQ(s.Find("mwu"), nullptr);
  EXPECT_EQ(s.Find("no_such_solver"), nullptr);
  // rho = 0 (a Condorcet winner): mmd's best step is unbounded.
  EXPECT_TRUE(std::isinf(*ComputeStabilityLimits(beta, 0.0).Find("mmd")->best));

  const Game game = MakeGame("rps3(x=0.9,y=0.9,z=0.8)", "uniform", 0);
  const Equilibrium eq = SolveEquilibrium(game, 0.01);
  ASSERT_TRUE(eq.certified() && eq.stability);
  EXPECT_EQ(fmt::format("{:.6g}", eq.stability->rho), "0.2089");
  std::string printed;
  for (const StepLimit& row : eq.stability->steps) {
    printed += fmt::format("{} {:.4g}", row.solver, row.limit);
    if (row.best) printed += fmt::format(" ({:.4g})", *row.best);
    printed += "; ";
  }
  for (const char* known : {"nash_mp 0.05253; ", "egpo 4.991; ", "omd 0.4573 (0.2286); ", "mmd 0.4594 (0.2292); "})
    EXPECT_NE(printed.find(known), std::string::npos) << known << " in " << printed;
}

// P by a dense matrix; its `at`-th product sets `flag` (a signal that arrives at that moment).
class CancelAtProduct final : public PreferenceOperator {
 public:
  CancelAtProduct(Eigen::MatrixXd P, std::atomic<bool>& flag) : P_(std::move(P)), flag_(flag) {}
  Eigen::Index n() const override { return P_.rows(); }
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const override {
    if (++products_ == at_) flag_.store(true);
    out.noalias() = P_ * x;
  }
  double Entry(Eigen::Index i, Eigen::Index j) const override { return P_(i, j); }
  double StoredBytes() const override { return 0.0; }
  int products() const { return products_; }
  void CancelAt(int at) { at_ = at; }

 private:
  Eigen::MatrixXd P_;
  std::atomic<bool>& flag_;
  std::atomic<int> at_{-1};
  mutable std::atomic<int> products_{0};
};

// A set cancel flag stops the certification of pi* with Cancelled wherever it is: Newton, the
// Nash-MP fallback, the Lanczos spectral radius (not reported as its failure); a flag set from
// another thread mid-solve too.
TEST(SolveEquilibrium, ACancelFlagStopsItWithCancelled) {
  const Game game = MakeGame("random_uniform(n=300)", "uniform", 0);
  std::atomic<bool> cancel{true};
  EXPECT_THROW(SolveEquilibrium(game, 0.01, EquilibriumOptions{.cancel = &cancel}), Cancelled);
  EXPECT_THROW(SolveEquilibrium(game, 0.01, EquilibriumOptions{.newton = false, .cancel = &cancel}), Cancelled);
  const Eigen::VectorXd pi = Eigen::VectorXd::Constant(300, 1.0 / 300);
  EXPECT_THROW(ComputeSpectralRadius(game, pi, SpectralRadiusMethod::kLanczos, &cancel), Cancelled);
  const Game low_rank = MakeGame("low_rank_cyclic(n=300)", "uniform", 0);
  EXPECT_THROW(ComputeSpectralRadius(low_rank, pi, SpectralRadiusMethod::kLowRank, &cancel), Cancelled);
  // Set inside Spectra's Lanczos iteration (at the second-to-last product of an uncancelled run):
  // Cancelled comes out, not a failed eigensolve.
  cancel.store(false);
  const auto op = std::make_shared<CancelAtProduct>(*game.preferences().dense(), cancel);
  const Game counted(op, game.mu(), "counted", "uniform");
  const int before = op->products();
  ASSERT_TRUE(
      ComputeSpectralRadius(counted, pi, SpectralRadiusMethod::kLanczos, &cancel).converged);
  const int run = op->products() - before;
  ASSERT_GT(run, 20);  // power iteration, noise estimate, then Spectra
  op->CancelAt(op->products() + run - 2);
  EXPECT_THROW(ComputeSpectralRadius(counted, pi, SpectralRadiusMethod::kLanczos, &cancel),
               Cancelled);
  EXPECT_TRUE(cancel.load());
  // The fallback alone at beta = 1e-4 runs its 200 000 iterations for seconds: the flag ends it.
  cancel.store(false);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel.store(true);
  });
  EXPECT_THROW(SolveEquilibrium(game, 1e-4, EquilibriumOptions{.newton = false, .cancel = &cancel}), Cancelled);
  later.join();
  cancel.store(false);
  EXPECT_TRUE(SolveEquilibrium(MakeGame("rps3", "uniform", 0), 0.1, EquilibriumOptions{.cancel = &cancel}).certified());
}

}  // namespace
}  // namespace nlhf

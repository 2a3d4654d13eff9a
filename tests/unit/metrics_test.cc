#include "nlhf/metrics.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "nlhf/solver.h"
#include "test_util.h"

namespace nlhf {
namespace {

// Brute-force helpers in plain probabilities, written from the definitions.
double Kl(const Eigen::VectorXd& p, const Eigen::VectorXd& q) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < p.size(); ++i)
    if (p[i] > 0) s += p[i] * std::log(p[i] / q[i]);
  return s;
}

// max over x of x^T g - beta KL(x || mu), by its maximizer x = BR ∝ mu exp(g / beta).
Eigen::VectorXd ExplicitBestResponse(const Game& game, double beta, const Eigen::VectorXd& g) {
  Eigen::VectorXd w = game.mu().array() * ((g.array() - g.maxCoeff()) / beta).exp();
  return w / w.sum();
}

class MetricsTest : public ::testing::TestWithParam<double> {};

TEST_P(MetricsTest, GapBetaEqualsTheExplicitDualityGap) {
  const double beta = GetParam();
  const Game game = MakeGame("random_uniform(n=7)", "softmax_normal", 3);
  Rng rng(11, "metrics");
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::VectorXd l = testing::RandomLogits(7, rng, 1.5);
    const PolicyPoint p = Evaluate(game, l);
    // max_x J(x, pi) - min_y J(pi, y) with J(x, y) = x^T P y - beta KL(x||mu) + beta KL(y||mu).
    const Eigen::VectorXd br = ExplicitBestResponse(game, beta, game.P() * p.pi);
    auto J = [&](const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
      return x.dot(game.P() * y) - beta * Kl(x, game.mu()) + beta * Kl(y, game.mu());
    };
    const double explicit_gap = J(br, p.pi) - J(p.pi, br);  // min_y J(pi, y) is attained at BR too
    EXPECT_NEAR(GapBeta(game, beta, p), explicit_gap, 1e-12);
    // The literal log-sum-exp form of docs/mathematics.md.
    const double top = p.g.maxCoeff() / beta;  // shifted, else exp(g/beta) overflows at small beta
    const double lse = top + std::log((game.mu().array() * (p.g.array() / beta - top).exp()).sum());
    EXPECT_NEAR(GapBeta(game, beta, p), 2 * (beta * lse + beta * Kl(p.pi, game.mu()) - 0.5), 1e-11);
    EXPECT_NEAR(Exploitability(game, beta, p), GapBeta(game, beta, p) / 2, 1e-16);
    // No other response does better than the best response.
    for (int k = 0; k < 5; ++k) {
      const Eigen::VectorXd x = Softmax(testing::RandomLogits(7, rng, 1.0));
      EXPECT_LE(J(x, p.pi), J(br, p.pi) + 1e-14);
    }
  }
}

TEST_P(MetricsTest, GapBetaIsNonNegativeEvenForNearlyPurePolicies) {
  const double beta = GetParam();
  const Game game = MakeGame("tournament(n=9)", "zipf(s=2)", 4);
  Rng rng(12, "metrics");
  // Up to logits of -1e300, whose probabilities underflow to 0 (Eigen's exp returned 5.6e-309 for
  // them, and p (log p - log q) made gap_beta -0.0186 for a solver run at eta = 1e307).
  for (double spread : {0.01, 1.0, 10.0, 100.0, 1e3, 1e10, 1e300}) {
    for (int trial = 0; trial < 10; ++trial) {
      const PolicyPoint p = Evaluate(game, testing::RandomLogits(9, rng, spread));
      EXPECT_GE(GapBeta(game, beta, p), 0.0) << "spread " << spread;
      EXPECT_TRUE(std::isfinite(GapBeta(game, beta, p)));
    }
  }
}

// A probability that underflows is 0: the policy's gap is that of the policy with zeros there.
TEST_P(MetricsTest, AnUnderflowingProbabilityCountsAsZero) {
  const double beta = GetParam();
  const Game game = MakeGame("random_uniform(n=5)", "softmax_normal", 1);
  const double inf = std::numeric_limits<double>::infinity();
  for (double low : {-720.0, -1e5, -1e300}) {
    Eigen::VectorXd l(5), zeros(5);
    l << low, 0.0, low, low * 0.5, low;
    zeros << -inf, 0.0, -inf, -inf, -inf;
    const PolicyPoint p = Evaluate(game, l);
    for (Eigen::Index y = 0; y < 5; ++y) EXPECT_EQ(p.pi[y], std::exp(l[y])) << "low " << low;
    const double gap = GapBeta(game, beta, p);
    EXPECT_GE(gap, 0.0) << "low " << low;
    EXPECT_NEAR(gap, GapBeta(game, beta, Evaluate(game, zeros)), 1e-15) << "low " << low;
  }
}

TEST_P(MetricsTest, GapBetaVanishesAtTheEquilibriumOnly) {
  const double beta = GetParam();
  const Game game = MakeGame("random_uniform(n=8)", "softmax_normal", 5);
  const Equilibrium eq = SolveEquilibrium(game, beta);
  ASSERT_TRUE(eq.certified()) << eq.message;
  const PolicyPoint star = Evaluate(game, eq.log_pi);
  EXPECT_LE(GapBeta(game, beta, star), 1e-12);
  EXPECT_LE(FpResidual(game, beta, star), 1e-9);
  EXPECT_EQ(KlToStar(star, eq.log_pi), 0.0);
  EXPECT_EQ(SpanToStar(star, eq.log_pi), 0.0);
  EXPECT_GT(GapBeta(game, beta, Evaluate(game, game.log_mu())), 1e-6);
}

TEST_P(MetricsTest, DistancesToStarMatchTheirDefinitions) {
  const double beta = GetParam();
  const Game game = MakeGame("bt_mixture(n=6)", "uniform", 6);
  const Equilibrium eq = SolveEquilibrium(game, beta);
  Rng rng(13, "metrics");
  for (int trial = 0; trial < 10; ++trial) {
    const Eigen::VectorXd l = testing::RandomLogits(6, rng, 2.0);
    const PolicyPoint p = Evaluate(game, l);
    EXPECT_NEAR(KlToStar(p, eq.log_pi), Kl(eq.pi, p.pi), 1e-13);
    EXPECT_NEAR(KlFromStar(p, eq.log_pi), Kl(p.pi, eq.pi), 1e-13);
    const Eigen::VectorXd d = (p.pi.array().log() - eq.pi.array().log()).matrix();
    EXPECT_NEAR(SpanToStar(p, eq.log_pi), d.maxCoeff() - d.minCoeff(), 1e-12);
    const Eigen::VectorXd r = (p.pi.array().log() - game.mu().array().log() - p.g.array() / beta).matrix();
    EXPECT_NEAR(FpResidual(game, beta, p), r.maxCoeff() - r.minCoeff(), 1e-9);
    // span bounds both KLs: KL <= span (both are averages of l - l* shifted by a constant <= span).
    EXPECT_LE(KlToStar(p, eq.log_pi), SpanToStar(p, eq.log_pi) + 1e-15);
    EXPECT_LE(KlFromStar(p, eq.log_pi), SpanToStar(p, eq.log_pi) + 1e-15);
  }
}

class GapBetaBoundTest : public ::testing::TestWithParam<double> {};

// GapBetaLowerBound (the tolerance check's cheap test): a computed gap_beta is never below
// value - error, anywhere: random points far from the anchor, and points along a run that
// converges to the rounding floor (gap_beta down to 1e-30), with the anchor a few steps behind.
TEST_P(GapBetaBoundTest, IsNeverAboveTheComputedGap) {
  const double beta = GetParam();
  for (const char* spec :
       {"random_uniform(n=2)", "random_uniform(n=10)", "tournament(n=9)", "random_uniform(n=150)",
        "tournament(n=301)"}) {
    SCOPED_TRACE(spec);
    const Game game = MakeGame(spec, "softmax_normal", 7);
    const Eigen::Index n = game.n();
    Rng rng(21, "gap bound");
    GapBetaAnchor anchor;
    for (int trial = 0; trial < 40; ++trial) {
      const PolicyPoint a = Evaluate(game, NormalizeLogits(testing::RandomLogits(n, rng, 2.0)));
      const double at_anchor = GapBeta(game, beta, a, anchor);
      EXPECT_EQ(at_anchor, GapBeta(game, beta, a));  // the anchored form is GapBeta, bit for bit
      const GapBetaBound self = GapBetaLowerBound(beta, a, anchor);
      EXPECT_NEAR(self.value, at_anchor, self.error);  // equality at the anchor's own point
      for (double spread : {1e-6, 1e-2, 1.0, 5.0}) {
        const Eigen::VectorXd l = NormalizeLogits(a.log_pi + testing::RandomLogits(n, rng, spread));
        const PolicyPoint p = Evaluate(game, l);
        const GapBetaBound bound = GapBetaLowerBound(beta, p, anchor);
        ASSERT_TRUE(std::isfinite(bound.value) && bound.error > 0.0);
        EXPECT_LE(bound.value - bound.error, GapBeta(game, beta, p)) << "spread " << spread;
      }
      // Logits normalized from values near 1e4 and 1e6, whose sum pi misses 1 by 1e-12 to 1e-10
      // (the bound's terms for it; without them it is above the computed gap here).
      for (double size : {1e4, 1e6}) {
        Eigen::VectorXd raw = a.log_pi + testing::RandomLogits(n, rng, 1.0);
        raw.array() += size;
        const PolicyPoint p = Evaluate(game, NormalizeLogits(raw));
        const GapBetaBound bound = GapBetaLowerBound(beta, p, anchor);
        EXPECT_LE(bound.value - bound.error, GapBeta(game, beta, p)) << "logits near " << size;
      }
    }
    if (n > 200) continue;  // n = 301: bit identity and random points only (the run is slow)
    // Along an omd run from mu to its rounding floor, anchored 1, 7 and 50 iterations behind.
    auto solver = testing::StartSolver("omd", game, beta);
    std::vector<PolicyPoint> points;
    double smallest = 1.0;
    for (int k = 0; k < 6000 && smallest > 1e-30; ++k) {
      points.push_back(Evaluate(game, solver->current()));
      smallest = std::min(smallest, GapBeta(game, beta, points.back()));
      solver->Step();
    }
    for (size_t behind : {1u, 7u, 50u}) {
      for (size_t k = behind; k < points.size(); ++k) {
        GapBeta(game, beta, points[k - behind], anchor);
        const GapBetaBound bound = GapBetaLowerBound(beta, points[k], anchor);
        ASSERT_LE(bound.value - bound.error, GapBeta(game, beta, points[k])) << "iteration " << k << ", " << behind;
      }
    }
  }
}

// The bound is tight to second order: close to the anchor it is within a small fraction of the
// gap, so the tolerance check can trust it for many iterations (tolerance_check_test.cc counts them).
TEST_P(GapBetaBoundTest, IsTightNearTheAnchor) {
  const double beta = GetParam();
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 8);
  Rng rng(22, "gap bound");
  GapBetaAnchor anchor;
  for (int trial = 0; trial < 20; ++trial) {
    const PolicyPoint a = Evaluate(game, NormalizeLogits(testing::RandomLogits(10, rng, 1.0)));
    const double gap = GapBeta(game, beta, a, anchor);
    for (double step : {1e-2, 1e-3, 1e-4}) {
      const Eigen::VectorXd direction = testing::RandomLogits(10, rng, 1.0);
      const PolicyPoint p = Evaluate(game, NormalizeLogits(a.log_pi + step * direction));
      const double exact = GapBeta(game, beta, p);
      const double lost = exact - GapBetaLowerBound(beta, p, anchor).value;
      EXPECT_GE(lost, -1e-14 * std::max(1.0, 1.0 / beta));
      // beta KL(b || b') with log b' - log b = O(step / beta): second order in the step.
      EXPECT_LE(lost, 1e-12 + 50.0 * step * step / beta) << "gap " << gap << " step " << step;
    }
  }
}

// GapBetaLinearBound (the tolerance check's first test below 32 actions): everywhere at or below
// GapBetaLowerBound's value - error, so it proves no tolerance unmet that GapBetaLowerBound would
// not (nor any that a computed gap_beta meets); equal to gap_beta at its anchor up to its error;
// and so on a loaded matrix whose P + P^T misses 1 by up to kGameTolerance, and with a reference
// that puts 1e-200 on one action.
TEST_P(GapBetaBoundTest, LinearBoundIsBelowTheLowerBound) {
  const double beta = GetParam();
  std::vector<Game> games;
  for (const char* spec : {"random_uniform(n=2)", "random_uniform(n=10)", "tournament(n=9)", "random_uniform(n=31)"})
    games.push_back(MakeGame(spec, "softmax_normal", 7));
  {
    Eigen::MatrixXd P = games[1].P();
    Rng rng(5, "asymmetry");
    for (Eigen::Index j = 0; j < P.cols(); ++j)
      for (Eigen::Index i = 0; i < j; ++i) P(i, j) += kGameTolerance * (2.0 * rng.Uniform() - 1.0);
    Eigen::VectorXd mu = games[1].mu();
    mu[3] = 1e-200;
    mu /= mu.sum();
    games.emplace_back(P, mu, "loaded", "tiny entry");
  }
  for (const Game& game : games) {
    SCOPED_TRACE(game.game_spec());
    const Eigen::MatrixXd& P = game.P();
    const Eigen::Index n = game.n();
    const double asymmetry = Asymmetry(P);
    Rng rng(23, "linear bound");
    GapBetaAnchor anchor;
    GapBetaLinearBound linear;
    auto expect_below = [&](const PolicyPoint& p, const char* where) {
      const GapBetaBound bound = GapBetaLowerBound(beta, p, anchor);
      const GapBetaBound one_sum = GapBetaLinearLowerBound(beta, p, linear);
      ASSERT_TRUE(std::isfinite(one_sum.value) && one_sum.error > 0.0);
      ASSERT_LE(one_sum.value - one_sum.error, bound.value - bound.error) << where;
      ASSERT_LE(bound.value - bound.error, GapBeta(game, beta, p)) << where;
    };
    for (int trial = 0; trial < 40; ++trial) {
      const PolicyPoint a = Evaluate(game, NormalizeLogits(testing::RandomLogits(n, rng, 2.0)));
      const double at_anchor = GapBeta(game, beta, a, anchor);
      LinearizeGapBetaBound(P, asymmetry, beta, anchor, linear);
      EXPECT_NEAR(GapBetaLinearLowerBound(beta, a, linear).value, at_anchor, linear.error);
      for (double spread : {1e-6, 1e-2, 1.0, 5.0})
        expect_below(Evaluate(game, NormalizeLogits(a.log_pi + testing::RandomLogits(n, rng, spread))), "random");
      // Logits normalized from values of size 1e4 and 1e6: sum pi misses 1 by about 1e-12 and
      // 1e-10, not n eps.
      for (double size : {1e4, 1e6}) {
        Eigen::VectorXd raw = a.log_pi + testing::RandomLogits(n, rng, 1.0);
        raw.array() += size;
        expect_below(Evaluate(game, NormalizeLogits(raw)), "large logits");
      }
    }
    // Along runs from mu to their rounding floor, anchored 1 and 50 iterations behind: omd at its
    // default step, and mmd with eta beta = 1, whose logits before normalization are about g / beta
    // (1e4 at beta = 1e-4), so that its iterates' sum pi misses 1 by up to 1e-12.
    for (const std::string& solver_spec : {std::string("omd"), fmt::format("mmd(eta={})", 1.0 / beta)}) {
      SCOPED_TRACE(solver_spec);
      auto solver = testing::StartSolver(solver_spec, game, beta);
      std::vector<PolicyPoint> points;
      for (int k = 0; k < 3000; ++k) {
        points.push_back(Evaluate(game, solver->current()));
        solver->Step();
      }
      for (size_t behind : {1u, 20u, 50u}) {
        for (size_t k = behind; k < points.size(); k += 3) {
          GapBeta(game, beta, points[k - behind], anchor);
          LinearizeGapBetaBound(P, asymmetry, beta, anchor, linear);
          expect_below(points[k], "run");
        }
      }
    }
  }
}

// Its error is small enough to decide realistic tolerances: at most 2e-12 on generated games of 10
// actions at beta <= 1 (the check tries it when the error is at most the tolerance), and
// infinite, so never trusted, when the anchor's log b is infinite.
TEST_P(GapBetaBoundTest, LinearBoundErrorIsSmall) {
  const double beta = GetParam();
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 9);
  const double asymmetry = Asymmetry(game.P());
  Rng rng(24, "linear error");
  GapBetaAnchor anchor;
  GapBetaLinearBound linear;
  for (int trial = 0; trial < 20; ++trial) {
    GapBeta(game, beta, Evaluate(game, NormalizeLogits(testing::RandomLogits(10, rng, 2.0))), anchor);
    LinearizeGapBetaBound(game.P(), asymmetry, beta, anchor, linear);
    EXPECT_LT(linear.error, 2e-12);
  }
  anchor.log_br[4] = -std::numeric_limits<double>::infinity();
  LinearizeGapBetaBound(game.P(), asymmetry, beta, anchor, linear);
  EXPECT_EQ(linear.error, std::numeric_limits<double>::infinity());
}

INSTANTIATE_TEST_SUITE_P(Betas, MetricsTest, ::testing::Values(1e-3, 0.05, 1.0));
INSTANTIATE_TEST_SUITE_P(Betas, GapBetaBoundTest, ::testing::Values(1e-4, 1e-3, 0.05, 1.0));

TEST(Metrics, UnregularizedGapAndBestResponseWinRate) {
  const Game game = MakeGame("rps3(x=0.9,y=0.9,z=0.8)", "uniform", 0);
  Eigen::VectorXd ne(3);
  ne << 4.0 / 11, 3.0 / 11, 4.0 / 11;
  const PolicyPoint at_ne = Evaluate(game, ne.array().log());
  EXPECT_NEAR(Gap0(at_ne), 0.0, 1e-15);
  EXPECT_NEAR(BrWinrate(at_ne), 0.5, 1e-15);
  // Pure rock (a): paper (b) beats it with probability x = 0.9.
  Eigen::VectorXd rock(3);
  rock << 1.0 - 2e-300, 1e-300, 1e-300;
  const PolicyPoint p = Evaluate(game, rock.array().log());
  EXPECT_NEAR(BrWinrate(p), 0.9, 1e-12);
  EXPECT_NEAR(Gap0(p), 0.8, 1e-12);
  EXPECT_EQ(GapBeta(game, 0.0, p), Gap0(p));  // beta = 0 is the unregularized gap
}

TEST(Metrics, TableListsEveryColumnInOrder) {
  std::vector<std::string> names;
  for (const MetricInfo& m : MetricTable()) names.emplace_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"gap_beta", "exploitability", "gap_0", "br_winrate",
                                             "kl_to_star", "kl_from_star", "span", "fp_residual", "kl_to_ne"}));
}

}  // namespace
}  // namespace nlhf

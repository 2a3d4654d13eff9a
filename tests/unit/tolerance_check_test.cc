#include "tolerance_check.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/run.h"
#include "test_util.h"

namespace nlhf {
namespace {

size_t Index(Metric m) { return static_cast<size_t>(m); }

// The first iteration (<= cap) at which every tolerance holds, each metric computed exactly at
// every iteration from its definition in metrics.h: what stop.tolerance means.
std::int64_t FirstCrossing(const std::string& spec, const Game& game, double beta, const Equilibrium& eq,
                           const std::vector<std::pair<Metric, double>>& tolerances, std::int64_t cap) {
  auto solver = testing::StartSolver(spec, game, beta, {}, 0, {}, eq.stability->rho);
  for (std::int64_t it = 1; it <= cap; ++it) {
    solver->Step();
    const PolicyPoint p = Evaluate(game, solver->current());
    bool met = true;
    for (const auto& [m, v] : tolerances) met = met && ComputeMetric(m, game, beta, p, eq.log_pi) <= v;
    if (met) return it;
  }
  return -1;
}

// RunSolver on a fresh `spec` with these tolerances, `cap` iterations at most, a record every
// `every` (all metrics when `which` is empty) and no observer; expects it to stop where
// FirstCrossing says (by the cap when that is -1).
void ExpectStopAtFirstCrossing(const std::string& spec, const Game& game, double beta, const Equilibrium& eq,
                               const std::vector<std::pair<Metric, double>>& tolerances, std::int64_t cap,
                               std::int64_t every, const std::vector<Metric>& which = {}) {
  const std::int64_t expected = FirstCrossing(spec, game, beta, eq, tolerances, cap);
  auto solver = testing::StartSolver(spec, game, beta, {}, 0, {}, eq.stability->rho);
  RunOptions o;
  o.stop.iterations = cap;
  o.log.every = every;
  o.log.metrics = which;
  o.stop.tolerances = tolerances;
  const RunSummary r = RunSolver(*solver, game, beta, eq.log_pi, o);
  if (expected < 0) {
    EXPECT_EQ(r.termination, Termination::kIterations) << r.message;
  } else {
    EXPECT_EQ(r.termination, Termination::kTolerance) << r.message;
    EXPECT_EQ(r.iterations, expected) << r.message;
  }
}

// The bound only skips iterations it proves unmet: a run stops exactly where a check of every
// metric at every iteration would stop, for tolerances from loose to the rounding floor, on
// gap_beta, exploitability (gap_beta / 2) and with a second metric, over solvers whose iterates
// approach pi* monotonically, spiral in, or move their reference.
TEST(ToleranceCheck, StopsWhereAnExactCheckAtEveryIterationStops) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 3);
  for (double beta : {0.01, 0.1, 1.0}) {
    const Equilibrium eq = SolveEquilibrium(game, beta);
    ASSERT_TRUE(eq.certified()) << eq.message;
    for (const char* spec : {"omd", "nash_mp", "egpo", "mmd", "online_ipo2", "nash_md", "omd(reference_every=20)"}) {
      for (double tol : {1e-4, 1e-9, 1e-13, 1e-16, 1e-24}) {
        for (int form = 0; form < 3; ++form) {
          std::vector<std::pair<Metric, double>> tolerances;
          if (form == 0) tolerances = {{Metric::kGapBeta, tol}};
          if (form == 1) tolerances = {{Metric::kExploitability, tol}};
          if (form == 2) tolerances = {{Metric::kGapBeta, tol}, {Metric::kKlToStar, 10 * tol}};
          SCOPED_TRACE(fmt::format("{} beta {} tol {} form {}", spec, beta, tol, form));
          ExpectStopAtFirstCrossing(spec, game, beta, eq, tolerances, 4000, 4000);
        }
      }
    }
  }
}

// A run of omd on `game` driven by a check on gap_beta <= tol built with `log_pi_star` (empty: none),
// as RunSolver drives it, to the tolerance or `cap` iterations; also asserts at every iteration that
// a point proved unmet has an exact gap_beta above the tolerance. Returns the iterations run and the
// iterations (after 0) at which the exact metrics were computed.
std::pair<std::int64_t, std::vector<std::int64_t>> ExactEvaluations(const Game& game, double beta, double tol,
                                                            const Eigen::VectorXd& log_pi_star,
                                                            std::int64_t cap = 100000) {
  const Eigen::VectorXd none;
  ToleranceCheck check(game, beta, log_pi_star, none, {{Metric::kGapBeta, tol}});
  EXPECT_TRUE(check.needs_payoff());
  auto solver = testing::StartSolver("omd", game, beta);
  PolicyPoint p = Evaluate(game, solver->current());
  check.Exact(0, p);
  std::int64_t it = 0;
  std::vector<std::int64_t> exact;
  while (!check.Met() && it < cap) {
    solver->Step();
    ++it;
    Evaluate(game, solver->current(), p);
    if (check.ProvedUnmet(it, p)) {
      EXPECT_GT(GapBeta(game, beta, p), tol) << "iteration " << it;
      continue;
    }
    check.Exact(it, p);
    exact.push_back(it);
  }
  return {it, exact};
}

// The point of the bounds: at a realistic tolerance the exact metrics (one exp per action and a
// log) are computed at a few percent of the iterations (the bound anchored at the last exact point
// needs a new anchor every ~30 iterations here); with pi* given (as the tools give it), its bound
// decides every iteration until the gap nears the tolerance, and a tolerance on gap_beta alone has
// no kExactEvery schedule (the stall rule keeps its iterates instead), so the first three quarters
// of the run (the gap still 100 times the tolerance or more) compute none: 13 in all instead of 51.
// The same stop either way.
TEST(ToleranceCheck, ComputesTheExactMetricsRarely) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  const double beta = 0.05;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  ASSERT_TRUE(eq.certified()) << eq.message;
  const auto [it, exact] = ExactEvaluations(game, beta, 1e-12, Eigen::VectorXd());
  ASSERT_LT(it, 100000) << "the run should stop by its tolerance";
  EXPECT_GT(it, 1000);
  EXPECT_LT(exact.size(), it / 20) << exact.size() << " exact evaluations in " << it << " iterations";
  const auto [it_star, exact_star] = ExactEvaluations(game, beta, 1e-12, eq.log_pi);
  EXPECT_EQ(it_star, it);
  EXPECT_LT(exact_star.size(), exact.size() / 2);
  const std::int64_t early = 3 * it / 4;
  auto before = [&](const std::vector<std::int64_t>& at) {
    return std::lower_bound(at.begin(), at.end(), early) - at.begin();
  };
  EXPECT_EQ(before(exact_star), 0);
  EXPECT_GT(before(exact), early / 64);
}

// Where a tolerance is on a metric the bounds do not cover, the exact metrics are computed at every
// multiple of kExactEvery at least (so that a NaN of that metric is found within as many
// iterations, and the stall rule has its values there); on gap_beta alone, at none of them here.
TEST(ToleranceCheck, AnUncoveredMetricKeepsTheSchedule) {
  const Game game = MakeGame("random_uniform(n=10)", "softmax_normal", 0);
  const double beta = 0.05;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  ASSERT_TRUE(eq.certified()) << eq.message;
  const Eigen::VectorXd none;
  for (bool uncovered : {false, true}) {
    std::vector<std::pair<Metric, double>> tolerances = {{Metric::kGapBeta, 1e-12}};
    if (uncovered) tolerances.emplace_back(Metric::kKlToStar, 1e-12);
    ToleranceCheck check(game, beta, eq.log_pi, none, tolerances);
    auto solver = testing::StartSolver("omd", game, beta);
    PolicyPoint p = Evaluate(game, solver->current());
    check.Exact(0, p);
    std::int64_t scheduled = 0;
    for (std::int64_t it = 1; it <= 640; ++it) {
      solver->Step();
      Evaluate(game, solver->current(), p);
      const bool unmet = check.ProvedUnmet(it, p);
      if (it % ToleranceCheck::kExactEvery == 0) {
        scheduled += unmet ? 0 : 1;
        if (uncovered) {
          EXPECT_FALSE(unmet) << "iteration " << it;
        }
      }
      if (!unmet) check.Exact(it, p);
    }
    EXPECT_EQ(scheduled, uncovered ? 10 : 0);
  }
}

// Any anchor gives a lower bound: a pi* that is not the equilibrium (mu, pi* reversed, or
// 0.9 pi* + 0.1 mu, wrong but close enough that its bound decides many iterations) never proves
// unmet a point that meets the tolerance (ExactEvaluations asserts it at every iteration), and the
// run stops where it stops without one (or at the cap in all). A pi* off by a constant is
// normalized (the same exact iterations as pi*), and a non-finite one is not used (the same as
// none). Over n = 2 to 31, beta 1e-4 to 1 and tolerances from loose to near the rounding floor.
TEST(ToleranceCheck, AWrongPiStarNeverSkipsAMetTolerance) {
  int stopped = 0;
  size_t exact_none = 0, exact_close = 0;
  for (const char* spec : {"random_uniform(n=2)", "random_uniform(n=10)", "random_uniform(n=31)"}) {
    const Game game = MakeGame(spec, "softmax_normal", 6);
    for (double beta : {1e-4, 0.05, 1.0}) {
      const Equilibrium eq = SolveEquilibrium(game, beta);
      ASSERT_TRUE(eq.certified()) << eq.message;
      const Eigen::VectorXd reversed = eq.log_pi.reverse();
      const Eigen::VectorXd close = (0.9 * eq.log_pi.array().exp() + 0.1 * game.log_mu().array().exp()).log();
      const Eigen::VectorXd shifted = eq.log_pi.array() + 3.0;
      Eigen::VectorXd broken = eq.log_pi;
      broken[0] = std::numeric_limits<double>::quiet_NaN();
      for (double tol : {1e-3, 1e-8, 1e-12}) {
        SCOPED_TRACE(fmt::format("{} beta {} tol {}", spec, beta, tol));
        const std::int64_t cap = 3000;
        const auto none = ExactEvaluations(game, beta, tol, Eigen::VectorXd(), cap);
        const auto star = ExactEvaluations(game, beta, tol, eq.log_pi, cap);
        EXPECT_EQ(star.first, none.first);
        const auto from_shifted = ExactEvaluations(game, beta, tol, shifted, cap);
        EXPECT_EQ(from_shifted.first, star.first);
        EXPECT_NEAR(static_cast<double>(from_shifted.second.size()), static_cast<double>(star.second.size()), 1.0);
        EXPECT_EQ(ExactEvaluations(game, beta, tol, broken, cap), none);
        EXPECT_EQ(ExactEvaluations(game, beta, tol, game.log_mu(), cap).first, none.first);
        EXPECT_EQ(ExactEvaluations(game, beta, tol, reversed, cap).first, none.first);
        const auto near = ExactEvaluations(game, beta, tol, close, cap);
        EXPECT_EQ(near.first, none.first);
        exact_none += none.second.size();
        exact_close += near.second.size();
        stopped += none.first < cap;
      }
    }
  }
  EXPECT_GT(stopped, 10);  // of 27 cases: the test sees tolerance stops, not only caps
  EXPECT_LT(exact_close, exact_none) << "the wrong anchor's bound should decide some iterations";
}

// The same equivalence where records supply the exact values (log.every = 7: the check adopts
// them, and its anchor stays where it last computed), at beta = 1e-4, and at n = 300.
TEST(ToleranceCheck, StopsWhereAnExactCheckStopsWithRecordsSmallBetaAndLargeN) {
  struct Case {
    const char* game;
    double beta;
    std::int64_t every;
    double tol;
  };
  // tol < 0: the gap nash_mp reaches after 2000 iterations (at beta = 1e-4 it converges slowly).
  for (const Case& c : {Case{"random_uniform(n=10)", 0.05, 7, 1e-12}, Case{"random_uniform(n=10)", 1e-4, 1, -1},
                        Case{"random_uniform(n=10)", 1e-4, 1000, -1}, Case{"random_uniform(n=300)", 0.05, 1000, 1e-10},
                        Case{"random_uniform(n=300)", 0.05, 7, 1e-10}}) {
    SCOPED_TRACE(fmt::format("{} beta {} every {} tol {}", c.game, c.beta, c.every, c.tol));
    const Game game = MakeGame(c.game, "softmax_normal", 5);
    const Equilibrium eq = SolveEquilibrium(game, c.beta);
    ASSERT_TRUE(eq.certified()) << eq.message;
    double tol = c.tol;
    if (tol < 0) {
      auto probe = testing::StartSolver("nash_mp", game, c.beta, {}, 0, {}, eq.stability->rho);
      for (int k = 0; k < 2000; ++k) probe->Step();
      tol = GapBeta(game, c.beta, Evaluate(game, probe->current()));
    }
    const std::vector<std::pair<Metric, double>> tolerances = {{Metric::kGapBeta, tol}};
    const std::int64_t cap = 3000;
    ASSERT_GT(FirstCrossing("nash_mp", game, c.beta, eq, tolerances, cap), 0)
        << "the case should stop by its tolerance";
    ExpectStopAtFirstCrossing("nash_mp", game, c.beta, eq, tolerances, cap, c.every, {Metric::kGapBeta});
  }
}

// Below 32 actions on a stored P the check first tries GapBetaLinearBound, which proves a
// tolerance unmet only where GapBetaLowerBound does (metrics_test.cc): the exact metrics are
// computed at the same iterations as with GapBetaLowerBound alone (replayed here), so the anchors
// and the stop are those of the check without it. Tolerances on gap_beta
// and exploitability, from loose to near the bound's rounding, at beta from 1e-4 to 1, with omd at
// its default step and mmd at eta beta = 1 (whose sum pi misses 1 by up to 1e-12; metrics_test.cc
// checks the bounds themselves at such points); the replay also counts the iterations the one-sum
// bound decides, so the test is known to reach it.
TEST(ToleranceCheck, TheLinearBoundChangesNoExactIteration) {
  std::int64_t decided_by_linear = 0;
  for (const char* spec : {"random_uniform(n=2)", "random_uniform(n=10)", "random_uniform(n=31)"}) {
    const Game game = MakeGame(spec, "softmax_normal", 4);
    const double asymmetry = Asymmetry(game.P());
    for (double beta : {1e-4, 0.05, 1.0}) {
      for (const std::string& solver_spec : {std::string("omd"), fmt::format("mmd(eta={})", 1.0 / beta)}) {
        for (double tol : {1e-3, 1e-8, 1e-12}) {
          for (Metric metric : {Metric::kGapBeta, Metric::kExploitability}) {
            SCOPED_TRACE(
                fmt::format("{} {} beta {} tol {} {}", spec, solver_spec, beta, tol, static_cast<int>(metric)));
            const Eigen::VectorXd none;
            ToleranceCheck check(game, beta, none, none, {{metric, tol}});
            const double unmet_above = metric == Metric::kGapBeta ? tol : 2.0 * tol;
            GapBetaAnchor anchor;
            GapBetaLinearBound linear;
            auto solver = testing::StartSolver(solver_spec, game, beta);
            PolicyPoint p = Evaluate(game, solver->current());
            auto renew = [&](std::int64_t at) {
              check.Exact(at, p);
              GapBeta(game, beta, p, anchor);
              LinearizeGapBetaBound(game.P(), asymmetry, beta, anchor, linear);
            };
            renew(0);
            std::int64_t it = 0;
            while (!check.Met() && it < 3000) {
              solver->Step();
              ++it;
              Evaluate(game, solver->current(), p);
              const GapBetaBound bound = GapBetaLowerBound(beta, p, anchor);
              const double gap = bound.value - bound.error;
              const bool replayed_unmet = std::isfinite(gap) && gap > unmet_above;
              const bool unmet = check.ProvedUnmet(it, p);
              ASSERT_EQ(unmet, replayed_unmet) << "iteration " << it;
              const GapBetaBound one_sum = GapBetaLinearLowerBound(beta, p, linear);
              if (linear.error <= unmet_above && one_sum.value - one_sum.error > unmet_above)
                ++decided_by_linear;
              if (!unmet) renew(it);
            }
            EXPECT_GT(it, 0);
          }
        }
      }
    }
  }
  EXPECT_GT(decided_by_linear, 10000);
}

// A point with a non-finite payoff is never proved unmet: its exact metrics are computed, so the
// driver sees the NaN (a numerical failure, never a silent skip).
TEST(ToleranceCheck, NeverSkipsANonFinitePoint) {
  const Game game = MakeGame("random_uniform(n=6)", "uniform", 1);
  const double beta = 0.1;
  const Eigen::VectorXd none;
  ToleranceCheck check(game, beta, none, none, {{Metric::kGapBeta, 1e-300}});
  PolicyPoint p = Evaluate(game, game.log_mu());
  check.Exact(0, p);
  EXPECT_TRUE(check.ProvedUnmet(1, p));  // far above 1e-300
  PolicyPoint bad = p;
  bad.g[2] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(check.ProvedUnmet(1, bad));
  bad.g[2] = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(check.ProvedUnmet(1, bad));
  check.Exact(1, bad);
  EXPECT_TRUE(std::isnan(check.values()[Index(Metric::kGapBeta)]));
  EXPECT_FALSE(check.Met());

  // At a loose tolerance the one-sum bound is tried first (it reads pi and log pi, not the payoff:
  // on a stored P a finite pi has a finite P pi); a non-finite pi or log pi is not skipped either.
  ToleranceCheck loose(game, beta, none, none, {{Metric::kGapBeta, 1e-6}});
  loose.Exact(0, p);
  EXPECT_TRUE(loose.ProvedUnmet(1, p));
  for (double value : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    PolicyPoint broken = p;
    broken.pi[2] = value;
    EXPECT_FALSE(loose.ProvedUnmet(1, broken)) << value;
    broken = p;
    broken.log_pi[2] = value;
    EXPECT_FALSE(loose.ProvedUnmet(1, broken)) << value;
  }
}

// Metrics the bound does not cover are computed exactly whenever the bound proves nothing, and a
// metric not defined at beta is never met (the YAML reader refuses it; the C++ API may not).
TEST(ToleranceCheck, OtherMetricsAreExact) {
  const Game game = MakeGame("random_uniform(n=6)", "uniform", 1);
  const double beta = 0.1;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  const Eigen::VectorXd none;
  ToleranceCheck check(game, beta, eq.log_pi, none, {{Metric::kKlToStar, 1e-3}});
  EXPECT_FALSE(check.needs_payoff());
  PolicyPoint p;
  p.log_pi = game.log_mu();
  EXPECT_FALSE(check.ProvedUnmet(1, p));
  check.Exact(1, p);
  EXPECT_EQ(check.values()[Index(Metric::kKlToStar)], KlToStar(p, eq.log_pi));
  EXPECT_EQ(check.Met(), KlToStar(p, eq.log_pi) <= 1e-3);

  ToleranceCheck at_zero(game, 0.0, eq.log_pi, none, {{Metric::kFpResidual, 1.0}});
  EXPECT_FALSE(at_zero.mask()[Index(Metric::kFpResidual)]);
  at_zero.Exact(1, Evaluate(game, game.log_mu()));
  EXPECT_FALSE(at_zero.Met());
}

}  // namespace
}  // namespace nlhf

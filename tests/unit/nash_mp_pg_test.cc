// nash_mp_pg (approximate Nash-MP, lib/src/solvers/nash_mp_pg.cc): its inner steps are gradient
// ascent on the half-step's bandit objective; with the exact oracle and many inner steps it is
// nash_mp; with a sampled oracle it costs 2 T B queries per iteration, repeats from a seed, and at a
// large batch and T it ends near exact nash_mp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "nlhf/solver.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::GapOf;
using testing::StartSolver;

// The half-step objective J(theta) = E_pi[r] - tau E_pi[log pi], pi = softmax(theta), written from
// its definition (docs/mathematics.md §5.7), and one inner step theta + lr grad J by central
// differences: one iteration with T = 1 is two such steps (against pi_k, then against pi_half).
TEST(NashMpPg, OneInnerStepIsGradientAscentOnTheBanditObjective) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 4);
  const double beta = 0.1, eta = 0.3, lr = 0.7, tau = beta * (1 + 1 / eta);
  Rng rng(1, "pg");
  const Eigen::VectorXd lk = testing::RandomLogits(6, rng, 1.0);
  const auto step = [&](const Eigen::VectorXd& theta, const Eigen::VectorXd& opp) {
    const Eigen::VectorXd r = game.P() * opp.array().exp().matrix() + beta * game.log_mu() + (beta / eta) * lk;
    const auto J = [&](const Eigen::VectorXd& t) {
      const Eigen::VectorXd l = NormalizeLogits(t);
      const Eigen::VectorXd p = l.array().exp();
      return p.dot(r) - tau * p.dot(l);
    };
    Eigen::VectorXd grad(6);
    for (int z = 0; z < 6; ++z) {
      Eigen::VectorXd up = theta, down = theta;
      up[z] += 1e-6;
      down[z] -= 1e-6;
      grad[z] = (J(up) - J(down)) / 2e-6;
    }
    return NormalizeLogits(theta + lr * grad);
  };
  const Eigen::VectorXd half = step(lk, lk);
  const Eigen::VectorXd next = step(half, half);
  auto s = StartSolver(fmt::format("nash_mp_pg(eta={},inner_steps=1,inner_lr={})", eta, lr), game, beta, {}, 0, lk);
  s->Step();
  EXPECT_LE((s->current() - next).cwiseAbs().maxCoeff(), 1e-8);
}

// Exact oracle, T -> infinity: each half-step converges to nash_mp's closed form, at the default
// inner step and near the top of the stable range (lr tau = 3.9 < 4).
TEST(NashMpPg, ManyExactInnerStepsRecoverNashMp) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 2);
  for (double beta : {0.05, 0.5}) {
    const double tau = beta * (1 + 1 / (2 * beta));
    auto pg = StartSolver("nash_mp_pg(inner_steps=4000)", game, beta), mp = StartSolver("nash_mp", game, beta);
    auto fast = StartSolver(fmt::format("nash_mp_pg(inner_steps=4000,inner_lr={})", 3.9 / tau), game, beta);
    for (int k = 0; k < 20; ++k) {
      const StepInfo info = pg->Step();
      mp->Step();
      fast->Step();
      ASSERT_LE((fast->current().array().exp() - mp->current().array().exp()).abs().maxCoeff(), 1e-10)
          << "lr tau = 3.9, beta " << beta << " iteration " << k;
      EXPECT_EQ(info.oracle_calls, 2);
      EXPECT_EQ(info.queries, 0);
      ASSERT_LE((pg->current().array().exp() - mp->current().array().exp()).abs().maxCoeff(), 1e-10)
          << "beta " << beta << " iteration " << k;
    }
  }
}

// With T = 1 the iteration is far from nash_mp's, but pi*_beta is still its fixed point and it
// converges there (deterministically).
TEST(NashMpPg, OneExactInnerStepStillConvergesToPiStar) {
  const Game game = MakeGame("cyclic(n=5)", "softmax_normal", 1);
  const double beta = 0.1;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  auto s = StartSolver("nash_mp_pg(inner_steps=1)", game, beta), again = StartSolver("nash_mp_pg(inner_steps=1)", game, beta);
  for (int k = 0; k < 20000; ++k) {
    s->Step();
    again->Step();
  }
  EXPECT_EQ(s->current(), again->current());
  EXPECT_LE((s->current().array().exp() - eq.pi.array()).abs().maxCoeff(), 1e-10);
}

TEST(NashMpPg, SampledCostsTwoTBQueriesAndRepeatsFromASeed) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 1);
  for (OracleType type : {OracleType::kSampled, OracleType::kPairs}) {
    const OracleConfig oracle{type, 16, OracleSampler::kIterate};
    auto a = StartSolver("nash_mp_pg(inner_steps=3)", game, 0.1, oracle, 5);
    auto b = StartSolver("nash_mp_pg(inner_steps=3)", game, 0.1, oracle, 5);
    auto other = StartSolver("nash_mp_pg(inner_steps=3)", game, 0.1, oracle, 6);
    bool differs = false;
    for (int k = 0; k < 30; ++k) {
      const StepInfo info = a->Step();
      b->Step();
      other->Step();
      EXPECT_EQ(info.oracle_calls, 0);
      EXPECT_EQ(info.queries, 2 * 3 * 16);
      ASSERT_EQ(a->current(), b->current()) << k;
      differs = differs || a->current() != other->current();
    }
    EXPECT_TRUE(differs);
  }
}

// Large T and B: after K = 25 outer steps exact nash_mp is at gap_beta < 1e-7 and the sampled run at
// its noise floor, which must be below 1e-4. The bound: a REINFORCE gradient component
// (1/B) sum_b (1[y_b = y] - pi_y)(o_b - 1/2) has variance <= pi_y / (4B); each inner step (lr = 1/tau)
// pulls the logit's deviation back by the factor (1 - pi_y) and adds that noise times lr, so the
// stationary logit variance is ~ lr^2 pi_y / (4B) / (2 pi_y) = lr^2 / (8B) = 6e-5 here (tau = 0.7,
// B = 4096), and gap_beta ~ beta x (logit variance) ~ 1e-5. With B = 4 the same estimate is 1000
// times larger: the check that the bound is not vacuous.
TEST(NashMpPg, LargeBatchAndManyInnerStepsApproachExactNashMp) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 3);
  const double beta = 0.2;
  auto mp = StartSolver("nash_mp", game, beta);
  auto pg = StartSolver("nash_mp_pg(inner_steps=100)", game, beta, OracleConfig{OracleType::kSampled, 4096}, 7);
  auto few = StartSolver("nash_mp_pg(inner_steps=100)", game, beta, OracleConfig{OracleType::kSampled, 4}, 7);
  for (int k = 0; k < 25; ++k) {
    mp->Step();
    pg->Step();
    few->Step();
  }
  const double exact = GapOf(game, beta, *mp), sampled = GapOf(game, beta, *pg), noisy = GapOf(game, beta, *few);
  EXPECT_LE(exact, 1e-7);
  EXPECT_LE(sampled, 1e-4) << "exact " << exact;
  EXPECT_LE((pg->current().array().exp() - mp->current().array().exp()).abs().maxCoeff(), 0.02);
  EXPECT_GT(noisy, 100 * sampled) << "B=4: " << noisy;
}

TEST(NashMpPg, RejectsUnstableInnerSteps) {
  const Game game = MakeGame("rps3", "uniform", 0);
  // tau = 0.1 (1 + 1/0.2) = 0.6: inner_lr < 4/0.6.
  testing::ExpectInputError([&] { StartSolver("nash_mp_pg(inner_lr=6.7)", game, 0.1); },
                            {"solver.inner_lr", "6.7", "inner_lr < 4/tau = 6.66667"});
  EXPECT_NO_THROW(StartSolver("nash_mp_pg(inner_lr=6.6)", game, 0.1));
  testing::ExpectInputError([&] { MakeSolver("nash_mp_pg(inner_steps=0)"); }, {"inner_steps"});
}

}  // namespace
}  // namespace nlhf

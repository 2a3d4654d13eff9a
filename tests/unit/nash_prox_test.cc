// nash_prox (lib/src/solvers/nash_prox.cc): an inner step is omd on the proximal subgame; with the
// exact oracle and many inner steps an outer step is exactly `prox`; self-play steps that make omd
// diverge on the game are stable inside Nash Prox; a sampled oracle costs T B queries per iteration.
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
using testing::LimitOf;
using testing::StartSolver;

// With T = 1, one iteration is one omd step on the game with the same P, reference
// ∝ pi_k^(1/(1+eta)) mu^(eta/(1+eta)) and strength beta (1 + 1/eta).
TEST(NashProx, OneInnerStepIsOmdOnTheProximalSubgame) {
  const Game game = MakeGame("random_uniform(n=7)", "softmax_normal", 5);
  const double beta = 0.05, eta = 0.5, inner = 2.0, sub_beta = beta * (1 + 1 / eta);
  Rng rng(2, "prox");
  const Eigen::VectorXd lk = testing::RandomLogits(7, rng, 1.0);
  const Eigen::VectorXd ref = NormalizeLogits((lk + eta * game.log_mu()) / (1 + eta));
  const Game subgame(game.P(), ref.array().exp().matrix(), "subgame", "subgame");
  auto omd = StartSolver(fmt::format("omd(eta={})", inner), subgame, sub_beta, {}, 0, lk);
  auto prox = StartSolver(fmt::format("nash_prox(eta={},inner_steps=1,inner_eta={})", eta, inner), game, beta, {}, 0, lk);
  omd->Step();
  const StepInfo info = prox->Step();
  EXPECT_EQ(info.oracle_calls, 1);
  EXPECT_LE((prox->current() - omd->current()).cwiseAbs().maxCoeff(), 1e-12);
}

// Exact inner solves: many exact self-play steps per outer step give `prox` (solved to a relative
// subgame gap of 1e-24: policies then agree to ~sqrt(gap), 1e-12), step by step.
TEST(NashProx, ExactInnerSolvesEqualProx) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 2);
  for (double beta : {0.05, 0.5}) {
    auto a = StartSolver("nash_prox(eta=1,inner_steps=3000)", game, beta);
    auto b = StartSolver("prox(eta=1,inner_tolerance=1e-24)", game, beta);
    for (int k = 0; k < 15; ++k) {
      const StepInfo info = a->Step();
      b->Step();
      EXPECT_EQ(info.oracle_calls, 3000);
      ASSERT_LE((a->current().array().exp() - b->current().array().exp()).abs().maxCoeff(), 1e-10)
          << "beta " << beta << " outer step " << k;
    }
  }
}

// The v2 paper's point, in the exact limit: on rps3 at beta = 0.1 (rho = 0.289) self-play omd at
// 1.3 times its stability limit does not converge, while Nash Prox with inner steps of the same size
// does (its subgame has strength 2 beta, whose limit is ~1.5 times omd's).
TEST(NashProx, IsStableAtASelfPlayStepWhereOmdIsNot) {
  const Game game = MakeGame("rps3", "softmax_normal", 3);
  const double beta = 0.1;
  const Equilibrium eq = SolveEquilibrium(game, beta);
  const double rho = eq.stability->rho, step = 1.3 * LimitOf(ComputeStabilityLimits(beta, rho), "omd");
  ASSERT_LE(step * 2 * beta, 1.0);
  auto omd = StartSolver(fmt::format("omd(eta={})", step), game, beta);
  auto prox = StartSolver(fmt::format("nash_prox(eta=1,inner_eta={})", step), game, beta);
  for (int k = 0; k < 3000; ++k) {
    omd->Step();
    if (k < 300) prox->Step();
  }
  EXPECT_LE(GapOf(game, beta, *prox), 1e-12);
  EXPECT_GT(GapOf(game, beta, *omd), 1e-3);
}

TEST(NashProx, SampledCostsTBQueriesAndRepeatsFromASeed) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 1);
  for (OracleType type : {OracleType::kSampled, OracleType::kPairs}) {
    const OracleConfig oracle{type, 16, OracleSampler::kIterate};
    auto a = StartSolver("nash_prox(inner_steps=4)", game, 0.1, oracle, 5);
    auto b = StartSolver("nash_prox(inner_steps=4)", game, 0.1, oracle, 5);
    auto other = StartSolver("nash_prox(inner_steps=4)", game, 0.1, oracle, 6);
    bool differs = false;
    for (int k = 0; k < 30; ++k) {
      const StepInfo info = a->Step();
      b->Step();
      other->Step();
      EXPECT_EQ(info.oracle_calls, 0);
      EXPECT_EQ(info.queries, 4 * 16);
      ASSERT_EQ(a->current(), b->current()) << k;
      differs = differs || a->current() != other->current();
    }
    EXPECT_TRUE(differs);
  }
}

TEST(NashProx, RejectsAnInnerStepBeyondOneOverTheSubgameStrength) {
  const Game game = MakeGame("rps3", "uniform", 0);
  // beta' = 0.1 (1 + 1/1) = 0.2: inner_eta <= 5.
  testing::ExpectInputError([&] { StartSolver("nash_prox(inner_eta=5.5)", game, 0.1); },
                            {"solver.inner_eta", "5.5", "inner_eta <= 1/beta' = 5"});
  EXPECT_NO_THROW(StartSolver("nash_prox(inner_eta=5)", game, 0.1));
  testing::ExpectInputError([&] { MakeSolver("nash_prox(inner_steps=0)"); }, {"inner_steps"});
}

}  // namespace
}  // namespace nlhf

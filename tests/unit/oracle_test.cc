// The oracle layer (oracle.h): the sampled and pairs estimators are unbiased with the documented
// variance, count their queries, repeat exactly from a seed; omd uses them; a query budget stops
// a sampled run; a solver that cannot use a sampled oracle refuses it.
#include "nlhf/oracle.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nlhf/generators.h"
#include "nlhf/run.h"
#include "nlhf/solver.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::SampledContext;

Eigen::VectorXd Normalized(Eigen::VectorXd v) { return v / v.sum(); }

// A game with a non-uniform reference, and two distinct policies over its 5 actions.
struct Fixture {
  Game game = MakeGame("random_uniform(n=5)", "softmax_normal", 7);
  Eigen::VectorXd self = Normalized((Eigen::VectorXd(5) << 0.4, 0.1, 0.2, 0.05, 0.25).finished());
  Eigen::VectorXd opp = Normalized((Eigen::VectorXd(5) << 0.1, 0.3, 0.3, 0.2, 0.1).finished());
};

// The documented per-component variance of one estimate of batch B (oracle.h).
Eigen::VectorXd DocumentedVariance(const Fixture& f, const OracleConfig& c) {
  const Eigen::Index n = f.game.n();
  Eigen::VectorXd q = c.sampler == OracleSampler::kIterate   ? f.self
                      : c.sampler == OracleSampler::kUniform ? Eigen::VectorXd::Constant(n, 1.0 / n)
                                                             : f.game.mu();
  q /= q.sum();
  const Eigen::VectorXd g = f.game.P() * f.opp;
  Eigen::VectorXd var(n);
  for (Eigen::Index y = 0; y < n; ++y) {
    double m = 0.25;
    if (c.type == OracleType::kPairs) {
      m = 0.0;
      for (Eigen::Index z = 0; z < n; ++z) m += f.opp[z] * std::pow(f.game.P()(y, z) - 0.5, 2);
    }
    var[y] = (m / q[y] - std::pow(g[y] - 0.5, 2)) / static_cast<double>(c.batch);
  }
  return var;
}

TEST(Oracle, ExactIsPTimesPiAndCostsOneCall) {
  Fixture f;
  Oracle oracle;
  oracle.Reset(f.game, OracleConfig{}, 0, "solvers[0]");
  Eigen::VectorXd out(5);
  const OracleCost cost = oracle.Estimate(f.self, f.opp, out);
  EXPECT_EQ(cost.oracle_calls, 1);
  EXPECT_EQ(cost.queries, 0);
  const Eigen::VectorXd g = f.game.P() * f.opp;
  for (Eigen::Index y = 0; y < 5; ++y) EXPECT_EQ(out[y], g[y]);
}

// Over M = 4000 estimates (fixed seed), every component's mean is within 5 standard errors of
// P pi_opp (the standard error from the documented variance: a two-sided z-test at level ~6e-7
// per component), and the sample variance is within 20% of the documented one (its relative
// standard error is about sqrt(2/M) ~ 2% for these near-normal means of B = 16 draws).
TEST(Oracle, SampledAndPairsAreUnbiasedWithTheDocumentedVariance) {
  Fixture f;
  const Eigen::VectorXd g = f.game.P() * f.opp;
  const int M = 4000;
  for (OracleType type : {OracleType::kSampled, OracleType::kPairs}) {
    for (OracleSampler sampler : {OracleSampler::kIterate, OracleSampler::kUniform, OracleSampler::kReference}) {
      const OracleConfig c{type, 16, sampler};
      Oracle oracle;
      oracle.Reset(f.game, c, 42, "solvers[0]");
      Eigen::VectorXd out(5), sum = Eigen::VectorXd::Zero(5), sum2 = Eigen::VectorXd::Zero(5);
      std::int64_t queries = 0;
      for (int m = 0; m < M; ++m) {
        const OracleCost cost = oracle.Estimate(f.self, f.opp, out);
        EXPECT_EQ(cost.oracle_calls, 0);
        queries += cost.queries;
        sum += out;
        sum2 += out.cwiseProduct(out);
      }
      EXPECT_EQ(queries, std::int64_t{16} * M) << "every query is counted";
      const Eigen::VectorXd var = DocumentedVariance(f, c);
      for (Eigen::Index y = 0; y < 5; ++y) {
        const double mean = sum[y] / M;
        const double se = std::sqrt(var[y] / M);
        EXPECT_LE(std::abs(mean - g[y]), 5.0 * se) << c.Spec() << " action " << y << ": mean " << mean << " vs " << g[y];
        const double sample_var = sum2[y] / M - mean * mean;
        EXPECT_NEAR(sample_var / var[y], 1.0, 0.2) << c.Spec() << " action " << y;
      }
    }
  }
}

TEST(Oracle, SameSeedAndStreamRepeatDifferentStreamsDiffer) {
  Fixture f;
  const OracleConfig c{OracleType::kSampled, 8, OracleSampler::kIterate};
  Oracle a, b, other_key, other_seed;
  a.Reset(f.game, c, 5, "solvers[0]");
  b.Reset(f.game, c, 5, "solvers[0]");
  other_key.Reset(f.game, c, 5, "solvers[1]");
  other_seed.Reset(f.game, c, 6, "solvers[0]");
  Eigen::VectorXd x(5), y(5), z(5), w(5);
  bool key_differs = false, seed_differs = false;
  for (int k = 0; k < 20; ++k) {
    a.Estimate(f.self, f.opp, x);
    b.Estimate(f.self, f.opp, y);
    other_key.Estimate(f.self, f.opp, z);
    other_seed.Estimate(f.self, f.opp, w);
    for (Eigen::Index i = 0; i < 5; ++i) EXPECT_EQ(x[i], y[i]);
    key_differs = key_differs || x != z;
    seed_differs = seed_differs || x != w;
  }
  EXPECT_TRUE(key_differs);
  EXPECT_TRUE(seed_differs);
}

// Sampled queries read single entries (Game::Entry): an implicit game whose entries are the dense
// matrix's bits (bradley_terry) gives the same draws and labels, so the same estimates.
TEST(Oracle, ReadsSingleEntriesOfAnImplicitGame) {
  const Game dense = MakeGame("bradley_terry(n=40,scale=2)", "softmax_normal", 3);
  const Game implicit = MakeGame("bradley_terry(n=40,scale=2,storage=implicit)", "softmax_normal", 3);
  ASSERT_EQ(implicit.dense(), nullptr);
  Rng rng(1, "policies");
  const Eigen::VectorXd self = testing::RandomLogits(40, rng, 1.0).array().exp();
  const Eigen::VectorXd opp = testing::RandomLogits(40, rng, 1.0).array().exp();
  for (OracleType type : {OracleType::kSampled, OracleType::kPairs}) {
    const OracleConfig c{type, 64, OracleSampler::kIterate};
    Oracle a, b;
    a.Reset(dense, c, 5, "solvers[0]");
    b.Reset(implicit, c, 5, "solvers[0]");
    Eigen::VectorXd x(40), y(40);
    for (int k = 0; k < 20; ++k) {
      EXPECT_EQ(a.Estimate(self, opp, x).queries, 64);
      b.Estimate(self, opp, y);
      ASSERT_EQ(x, y) << OracleTypeName(type) << " estimate " << k;
    }
  }
  // The exact oracle: one product through the operator.
  Oracle exact;
  exact.Reset(implicit, OracleConfig{}, 0, "solvers[0]");
  Eigen::VectorXd g(40);
  EXPECT_EQ(exact.Estimate(self, opp, g).oracle_calls, 1);
  EXPECT_LE((g - dense.P() * opp).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(Oracle, SampledOmdCountsQueriesAndRepeats) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 1);
  const OracleConfig c{OracleType::kSampled, 32, OracleSampler::kIterate};
  auto a = MakeSolver("omd");
  auto b = MakeSolver("omd");
  a->Reset(SampledContext(game, 0.1, c, 9));
  b->Reset(SampledContext(game, 0.1, c, 9));
  for (int k = 0; k < 50; ++k) {
    const StepInfo info = a->Step();
    b->Step();
    EXPECT_EQ(info.oracle_calls, 0);
    EXPECT_EQ(info.queries, 32);
    ASSERT_EQ(a->current(), b->current()) << "iteration " << k;
  }
  // The exact oracle: one call, no query.
  auto e = MakeSolver("omd");
  e->Reset(SampledContext(game, 0.1, OracleConfig{}, 9));
  const StepInfo info = e->Step();
  EXPECT_EQ(info.oracle_calls, 1);
  EXPECT_EQ(info.queries, 0);
}

TEST(Oracle, QueryBudgetStopsASampledRun) {
  const Game game = MakeGame("random_uniform(n=6)", "softmax_normal", 1);
  auto solver = MakeSolver("omd");
  solver->Reset(SampledContext(game, 0.1, OracleConfig{OracleType::kPairs, 64, OracleSampler::kUniform}, 2));
  RunOptions ro;
  ro.stop.iterations = 1000;
  ro.stop.queries = 1000;
  const RunSummary s = RunSolver(*solver, game, 0.1, Eigen::VectorXd(), ro);
  EXPECT_EQ(s.termination, Termination::kQueries);
  EXPECT_EQ(s.iterations, 16);  // the first step at which 64 k >= 1000
  EXPECT_EQ(s.queries, 1024);
  EXPECT_EQ(s.oracle_calls, 0);
}

// With a large batch the sampled omd iterate ends close to pi*_beta: gap_beta < 1e-3 after 300
// steps at B = 16384 (default eta = 4beta/(1+4beta^2)). Measured while writing this test: 3.3e-5
// (sampled) and 1.4e-5 (pairs); sampled gives 3.4e-4 at B = 4096 and 8.8e-3 at B = 256 (the noise
// floor scales as 1/B); the exact run reaches ~1e-30.
TEST(Oracle, SampledOmdAtLargeBatchConvergesNearPiStar) {
  const Game game = MakeGame("random_uniform(n=5)", "uniform", 0);
  for (OracleType type : {OracleType::kSampled, OracleType::kPairs}) {
    auto solver = MakeSolver("omd");
    solver->Reset(SampledContext(game, 0.1, OracleConfig{type, 16384, OracleSampler::kIterate}, 0));
    for (int k = 0; k < 300; ++k) solver->Step();
    const double gap = GapBeta(game, 0.1, Evaluate(game, solver->current()));
    EXPECT_LT(gap, 1e-3) << OracleTypeName(type);
  }
}

TEST(Oracle, OnlyTheOracleSolversAcceptASampledOracle) {
  const Game game = MakeGame("random_uniform(n=4)", "uniform", 0);
  for (const std::string& name : SolverRegistry().Names()) {
    auto solver = MakeSolver(name, {}, "solvers[3]");
    const SolverContext c = SampledContext(game, 0.1, OracleConfig{OracleType::kSampled, 8, OracleSampler::kIterate}, 0);
    if (AcceptsOracle(name)) {
      EXPECT_NO_THROW(solver->Reset(c)) << name;
    } else {
      try {
        solver->Reset(c);
        ADD_FAILURE() << name << " accepted a sampled oracle";
      } catch (const InputError& e) {
        EXPECT_EQ(e.key(), "solvers[3].oracle") << name;
      }
    }
  }
  EXPECT_TRUE(AcceptsOracle("omd"));
  EXPECT_FALSE(AcceptsOracle("prox"));
}

}  // namespace
}  // namespace nlhf

namespace nlhf {
namespace {

// Names and parsing are one table: every name parses back to its enumerator; other text does not.
TEST(OracleNames, ParseIsTheInverseOfName) {
  for (OracleType t : {OracleType::kExact, OracleType::kSampled, OracleType::kPairs})
    EXPECT_EQ(ParseOracleType(OracleTypeName(t)), t);
  for (OracleSampler s : {OracleSampler::kIterate, OracleSampler::kUniform, OracleSampler::kReference})
    EXPECT_EQ(ParseOracleSampler(OracleSamplerName(s)), s);
  EXPECT_FALSE(ParseOracleType("Sampled").has_value());
  EXPECT_FALSE(ParseOracleSampler("").has_value());
  EXPECT_EQ(OracleTypeNames(), "exact, sampled or pairs");
  EXPECT_EQ(OracleSamplerNames(), "iterate, uniform or reference");
}

}  // namespace
}  // namespace nlhf

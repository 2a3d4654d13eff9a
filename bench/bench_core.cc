// Core library benchmarks: one P pi (an oracle call), evaluating a policy (P pi plus exp), each
// metric on an evaluated policy, the certified equilibrium (and pi* alone by its dense and its
// matrix-free Krylov Newton path), and one Oracle::Estimate per oracle
// type (exact P pi vs B = 64 sampled or pairs queries). scripts/bench.sh core runs this and prints
// the ratios recorded in the README; scripts/bench.sh oracle prints the oracle comparison.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "nlhf/metrics.h"
#include "nlhf/oracle.h"
#include "nlhf/rng.h"
#include "nlhf/run.h"

namespace {

// Games are cached: building a 4000 x 4000 game takes longer than the code being measured.
const nlhf::Game& CachedGame(Eigen::Index n) {
  static std::map<Eigen::Index, nlhf::Game> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    it = cache.emplace(n, nlhf::MakeGame("random_uniform(n=" + std::to_string(n) + ")", "softmax_normal", 0))
             .first;
  }
  return it->second;
}

Eigen::VectorXd SomeLogits(Eigen::Index n) {
  nlhf::Rng rng(1, "bench");
  Eigen::VectorXd x(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = rng.Normal();
  return nlhf::NormalizeLogits(x);
}

void BM_PayoffMatVec(benchmark::State& state) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const Eigen::VectorXd pi = SomeLogits(game.n()).array().exp();
  Eigen::VectorXd g(game.n());
  for (auto _ : state) {
    g.noalias() = game.P() * pi;
    benchmark::DoNotOptimize(g.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_PayoffMatVec)->Arg(10)->Arg(100)->Arg(1000)->Arg(4000);

void BM_Evaluate(benchmark::State& state) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const Eigen::VectorXd l = SomeLogits(game.n());
  for (auto _ : state) benchmark::DoNotOptimize(nlhf::Evaluate(game, l));
}
BENCHMARK(BM_Evaluate)->Arg(10)->Arg(100)->Arg(1000)->Arg(4000);

// One metric on an evaluated policy (the shared P pi excluded: see BM_Evaluate).
void BM_Metric(benchmark::State& state) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const nlhf::MetricInfo& info = nlhf::MetricTable()[static_cast<size_t>(state.range(1))];
  const double beta = 0.01;
  const nlhf::PolicyPoint p = nlhf::Evaluate(game, SomeLogits(game.n()));
  const Eigen::VectorXd star = SomeLogits(game.n()).reverse();
  state.SetLabel(std::string(info.name));
  for (auto _ : state) benchmark::DoNotOptimize(nlhf::ComputeMetric(info.id, game, beta, p, star));
}
BENCHMARK(BM_Metric)->ArgsProduct({{10, 100, 1000, 4000}, benchmark::CreateDenseRange(0, 7, 1)});

// The run driver's evaluation of one iterate with only gap_beta requested (the EGPO workload's
// trace: every iteration), P pi included, with the driver's reused workspace.
void BM_EvaluateGapBeta(benchmark::State& state) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const Eigen::VectorXd l = SomeLogits(game.n()), no_star;
  const std::vector<nlhf::Metric> which = {nlhf::Metric::kGapBeta};
  nlhf::PolicyPoint workspace;
  for (auto _ : state)
    benchmark::DoNotOptimize(nlhf::EvaluateMetrics(game, 0.01, l, no_star, which, workspace));
}
BENCHMARK(BM_EvaluateGapBeta)->Arg(10)->Arg(1000);

void BM_Equilibrium(benchmark::State& state) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const double beta = 0.01;
  for (auto _ : state) {
    const nlhf::Equilibrium eq = nlhf::SolveEquilibrium(game, beta);
    if (!eq.certified()) state.SkipWithError(eq.message.c_str());
    benchmark::DoNotOptimize(eq.log_pi.data());
  }
}
BENCHMARK(BM_Equilibrium)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// pi* alone (no rho: stability off) by each Newton path at (n, beta = 10^-k): the targets
// n = 1000 at 1e-3 and n = 2000 at 1e-4, and both sizes at 1e-2. Counters: Newton and GMRES
// iterations, LU factorizations. Krylov at n = 2000, beta = 1e-4 (~15 s) is left out.
void BM_EquilibriumPath(benchmark::State& state, nlhf::EquilibriumMethod method) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const double beta = std::pow(10.0, -static_cast<double>(state.range(1)));
  nlhf::EquilibriumOptions options;
  options.method = method;
  options.stability = false;
  nlhf::Equilibrium eq;
  for (auto _ : state) {
    eq = nlhf::SolveEquilibrium(game, beta, options);
    if (!eq.certified()) state.SkipWithError(eq.message.c_str());
    benchmark::DoNotOptimize(eq.log_pi.data());
  }
  state.counters["newton_iterations"] = eq.newton_iterations;
  state.counters["gmres_iterations"] = eq.linear_iterations;
  state.counters["lu_factorizations"] = eq.factorizations;
}
BENCHMARK_CAPTURE(BM_EquilibriumPath, dense, nlhf::EquilibriumMethod::kDense)
    ->ArgsProduct({{1000, 2000}, {2, 3}})
    ->Args({2000, 4})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EquilibriumPath, krylov, nlhf::EquilibriumMethod::kKrylov)
    ->ArgsProduct({{1000, 2000}, {2, 3}})
    ->Unit(benchmark::kMillisecond);

// One Oracle::Estimate of g = P pi_opp (oracle.h) with pi_self = pi_opp = a fixed policy, as in an
// omd step: `exact` is one P pi; `sampled` and `pairs` draw B = 64 queries with the default
// `iterate` sampler. items_processed counts queries, so Google Benchmark reports queries/s.
constexpr std::int64_t kBatch = 64;

void BM_OracleEstimate(benchmark::State& state, nlhf::OracleType type) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const Eigen::VectorXd pi = SomeLogits(game.n()).array().exp();
  nlhf::OracleConfig config;
  config.type = type;
  config.batch = kBatch;
  nlhf::Oracle oracle;
  oracle.Reset(game, config, 0, "bench");
  Eigen::VectorXd g(game.n());
  std::int64_t queries = 0;
  for (auto _ : state) {
    queries += oracle.Estimate(pi, pi, g).queries;
    benchmark::DoNotOptimize(g.data());
    benchmark::ClobberMemory();
  }
  if (queries > 0) state.SetItemsProcessed(queries);  // queries/s; none for the exact oracle
  state.counters["queries_per_estimate"] = static_cast<double>(queries) / static_cast<double>(state.iterations());
}

int RegisterOracles() {
  for (nlhf::OracleType type : {nlhf::OracleType::kExact, nlhf::OracleType::kSampled, nlhf::OracleType::kPairs}) {
    benchmark::RegisterBenchmark(("BM_OracleEstimate/" + std::string(nlhf::OracleTypeName(type))).c_str(),
                                 BM_OracleEstimate, type)
        ->Arg(10)
        ->Arg(1000);
  }
  return 0;
}
const int oracles_registered = RegisterOracles();

}  // namespace

BENCHMARK_MAIN();

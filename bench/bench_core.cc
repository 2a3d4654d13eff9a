// Core library benchmarks: one P pi (an oracle call; also for implicit games), evaluating a policy
// (P pi plus exp), each metric on an evaluated policy, the certified equilibrium (and pi* alone by its
// dense and its matrix-free Krylov Newton path), rho (dense vs Lanczos; Lanczos vs a low-rank game's
// factors), the dense products at large n (threads, float32 storage), and one Oracle::Estimate per
// oracle type (exact P pi vs B = 64 sampled or pairs queries). scripts/bench.sh core runs this and prints the ratios recorded in the README;
// scripts/bench.sh oracle prints the oracle comparison.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/dense_product.h"
#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/logspace.h"
#include "nlhf/metrics.h"
#include "nlhf/oracle.h"
#include "nlhf/output/csv.h"
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

// Eigen's P * pi on the stored matrix; bytes/s counts the n x n doubles read per product. Also the
// baseline of the dense products at large n (BM_DenseProduct/eigen_f64).
void BM_PayoffMatVec(benchmark::State& state) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const Eigen::VectorXd pi = SomeLogits(game.n()).array().exp();
  Eigen::VectorXd g(game.n());
  for (auto _ : state) {
    g.noalias() = game.P() * pi;
    benchmark::DoNotOptimize(g.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * game.n() * game.n() *
                          static_cast<std::int64_t>(sizeof(double)));
}
BENCHMARK(BM_PayoffMatVec)->Arg(10)->Arg(100)->Arg(1000)->Arg(4000);

// One P x of an implicit game (issue 13): low_rank_cyclic with n actions and K components, O(n K)
// per product (two passes over its n x 2K factor). items/s counts n K per product, so linear
// scaling in n K shows as a constant rate. Args: n, K.
// The timed loop of one product P x at a policy: a PreferenceOperator or a DenseProduct.
template <class Product>
void TimeApply(benchmark::State& state, const Product& op) {
  const Eigen::VectorXd pi = SomeLogits(op.n()).array().exp();
  Eigen::VectorXd g(op.n());
  for (auto _ : state) {
    op.Apply(pi, g);
    benchmark::DoNotOptimize(g.data());
    benchmark::ClobberMemory();
  }
}

void BM_LowRankApply(benchmark::State& state) {
  const auto n = state.range(0), K = state.range(1);
  static std::map<std::pair<std::int64_t, std::int64_t>, std::shared_ptr<const nlhf::PreferenceOperator>> cache;
  auto& op = cache[{n, K}];
  if (!op) op = nlhf::MakePreferenceOperator("low_rank_cyclic", {{"n", n}, {"k", K}}, 0).P;
  TimeApply(state, *op);
  state.SetItemsProcessed(state.iterations() * n * K);
}
BENCHMARK(BM_LowRankApply)
    ->Args({10000, 8})
    ->Args({100000, 8})
    ->Args({1000000, 8})
    ->Args({100000, 2})
    ->Args({100000, 32})
    ->Unit(benchmark::kMicrosecond);

// rho of the implicit low_rank_cyclic game (n, K) at mu: from its rank-2K factors (a streamed QR,
// O(n K^2)) against Lanczos (some 100 products of O(n K)), the two methods kAuto chooses between.
void BM_SpectralRadiusLowRankGame(benchmark::State& state, nlhf::SpectralRadiusMethod method) {
  const auto n = state.range(0), K = state.range(1);
  static std::map<std::pair<std::int64_t, std::int64_t>, std::shared_ptr<const nlhf::Game>> cache;
  auto& game = cache[{n, K}];
  if (!game)
    game = std::make_shared<const nlhf::Game>(nlhf::MakeGame(
        fmt::format("low_rank_cyclic(n={},k={})", n, K), "softmax_normal", 0));
  std::int64_t products = 0;
  for (auto _ : state) {
    const nlhf::SpectralRadiusResult r = nlhf::ComputeSpectralRadius(*game, game->mu(), method);
    if (!r.converged) state.SkipWithError(r.message.c_str());
    products = r.products;
    benchmark::DoNotOptimize(r.rho);
  }
  state.counters["products"] = static_cast<double>(products);
}
BENCHMARK_CAPTURE(BM_SpectralRadiusLowRankGame, low_rank, nlhf::SpectralRadiusMethod::kLowRank)
    ->Args({100000, 1})
    ->Args({100000, 8})
    ->Args({100000, 32})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SpectralRadiusLowRankGame, lanczos, nlhf::SpectralRadiusMethod::kLanczos)
    ->Args({100000, 1})
    ->Args({100000, 8})
    ->Args({100000, 32})
    ->Unit(benchmark::kMillisecond);

// bradley_terry's implicit P x (entries on the fly, O(n^2) sigmoids, O(n) memory) against the
// stored matrix's product (BM_PayoffMatVec) at the same n.
void BM_BradleyTerryImplicitApply(benchmark::State& state) {
  const auto n = state.range(0);
  TimeApply(state, *nlhf::MakePreferenceOperator("bradley_terry", {{"n", n}}, 0, nlhf::GameStorage::kImplicit).P);
}
BENCHMARK(BM_BradleyTerryImplicitApply)->Arg(1000)->Arg(4000)->Unit(benchmark::kMicrosecond);

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
BENCHMARK(BM_Equilibrium)->Arg(10)->Arg(50)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// rho and the stability report's cost: the dense eigendecomposition against matrix-free Lanczos
// (Spectra) at the game's mu. The crossover kSpectralRadiusDenseMaxN (equilibrium.h) is where these
// cross; `products` counts Lanczos's products by P.
void BM_SpectralRadius(benchmark::State& state, nlhf::SpectralRadiusMethod method) {
  const nlhf::Game& game = CachedGame(state.range(0));
  std::int64_t products = 0;
  for (auto _ : state) {
    const nlhf::SpectralRadiusResult r = nlhf::ComputeSpectralRadius(game, game.mu(), method);
    if (!r.converged) state.SkipWithError(r.message.c_str());
    products = r.products;
    benchmark::DoNotOptimize(r.rho);
  }
  state.counters["products"] = static_cast<double>(products);
}

// One dense P x at large n (nlhf/dense_product.h): Eigen's P * x (the single-thread double product a
// dense game does) against DenseProduct in double and float32 storage, on 1 and 2 threads (here P
// itself rounded to float; a float32 game stores P - 1/2: BM_DenseProduct/game_f32 below).
void BM_DenseProduct(benchmark::State& state, nlhf::DenseStorage storage, int threads) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const nlhf::DenseProduct product(game.P(), storage, threads);
  TimeApply(state, product);
  state.counters["threads_used"] = product.ThreadsUsed();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(product.bytes()));
}

// One oracle call of a float32 game (storage: float32): the product of its float margins (DenseProduct,
// one thread) plus (1/2)(sum x) 1; the game built as nlhf-run builds it.
void BM_GameProductFloat32(benchmark::State& state) {
  const nlhf::Game game = nlhf::MakeGame("random_uniform(n=" + std::to_string(state.range(0)) + ",storage=float32)",
                                         "softmax_normal", 0);
  TimeApply(state, game.preferences());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(game.preferences().StoredBytes()));
}

int RegisterLargeN() {
  using M = nlhf::SpectralRadiusMethod;
  for (const auto& [name, method] : {std::pair{"dense", M::kDense}, std::pair{"lanczos", M::kLanczos}}) {
    auto* b = benchmark::RegisterBenchmark(("BM_SpectralRadius/" + std::string(name)).c_str(), BM_SpectralRadius,
                                           method);
    b->Unit(benchmark::kMillisecond);
    for (const int n : {10, 30, 40, 50, 100, 200, 500, 1000, 2000}) b->Arg(n);
    // Dense at n = 4000 is a minute of work: one iteration.
    if (method == M::kLanczos) b->Arg(4000);
  }
  benchmark::RegisterBenchmark("BM_SpectralRadius/dense", BM_SpectralRadius, M::kDense)
      ->Unit(benchmark::kMillisecond)
      ->Arg(4000)
      ->Iterations(1);
  const std::vector<std::int64_t> sizes = {1000, 2000, 4000, 8000};
  auto* eigen = benchmark::RegisterBenchmark("BM_DenseProduct/eigen_f64", BM_PayoffMatVec);
  for (const std::int64_t n : sizes) eigen->Arg(n);
  // Wall time: what threads can shorten (CPU time counts the calling thread only).
  eigen->Unit(benchmark::kMicrosecond)->UseRealTime();
  for (const auto& [name, storage] : {std::pair{"f64", nlhf::DenseStorage::kFloat64},
                                      std::pair{"f32", nlhf::DenseStorage::kFloat32}}) {
    for (const int threads : {1, 2}) {
      auto* b = benchmark::RegisterBenchmark(
          ("BM_DenseProduct/" + std::string(name) + "_threads" + std::to_string(threads)).c_str(), BM_DenseProduct,
          storage, threads);
      for (const std::int64_t n : sizes) b->Arg(n);
      b->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
  }
  auto* game = benchmark::RegisterBenchmark("BM_DenseProduct/game_f32", BM_GameProductFloat32);
  for (const std::int64_t n : sizes) game->Arg(n);
  game->Unit(benchmark::kMicrosecond)->UseRealTime();
  return 0;
}
const int large_n_registered = RegisterLargeN();

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

// Shortest round-trip text of the numbers a trace holds (csv.h's WriteNumber): metric values in
// (0, 1) and far below, and solver times. Time per number.
void BM_WriteNumber(benchmark::State& state) {
  nlhf::Rng rng(5, "bench");
  std::vector<double> values(4096);
  for (size_t k = 0; k < values.size(); ++k) {
    const double u = rng.Uniform();
    values[k] = k % 4 == 0 ? u : k % 4 == 1 ? std::pow(10.0, -20.0 * u) : k % 4 == 2 ? 1e-3 * u : 0.5 * u * u;
  }
  char text[nlhf::kNumberRoom];
  size_t bytes = 0;
  for (auto _ : state) {
    for (double x : values) bytes += static_cast<size_t>(nlhf::WriteNumber(text, x) - text);
    benchmark::DoNotOptimize(text);
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}
BENCHMARK(BM_WriteNumber);

}  // namespace

BENCHMARK_MAIN();

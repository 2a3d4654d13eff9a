// One Step() of every registered solver at n in {10, 1000, 4000}, next to bare Eigen matrix-vector
// products of the same size (the floor: most solvers cost one or two of them). Run
// scripts/bench.sh solvers for the README table and ratios. BM_OracleStep: one omd Step() with the
// exact oracle and with a sampled one (B = 64 queries) at n in {10, 1000}; scripts/bench.sh oracle.
// BM_Run: whole RunSolver runs of omd, stopped by `stop.tolerance` on gap_beta (1e-12, or the
// rounding-floor gap of a long run) or by the same number of plain iterations, and with gap_beta
// logged at every iteration; scripts/bench.sh tolerance. The tolerance runs are given pi*, as the
// tools give it by default (equilibrium: certified), and also run without it (the C++ API's
// RunSolver with no pi*, or equilibrium: none), where the check's bound has no anchor at pi*.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <stdexcept>

#include "nlhf/equilibrium.h"
#include "nlhf/generators.h"
#include "nlhf/rng.h"
#include "nlhf/run.h"
#include "nlhf/solver.h"

namespace {

const nlhf::Game& CachedGame(Eigen::Index n) {
  static std::map<Eigen::Index, nlhf::Game> cache;
  auto it = cache.find(n);
  if (it == cache.end())
    it = cache.emplace(n, nlhf::MakeGame("random_uniform(n=" + std::to_string(n) + ")", "softmax_normal", 0)).first;
  return it->second;
}

// log pi*_beta of CachedGame(n), certified (BM_Run's beta only).
const Eigen::VectorXd& CachedStar(Eigen::Index n, double beta) {
  static std::map<std::pair<Eigen::Index, double>, Eigen::VectorXd> cache;
  auto it = cache.find({n, beta});
  if (it == cache.end()) {
    const nlhf::Equilibrium eq = nlhf::SolveEquilibrium(CachedGame(n), beta);
    if (!eq.certified()) throw std::runtime_error("BM_Run: pi* was not certified: " + eq.message);
    it = cache.emplace(std::pair{n, beta}, eq.log_pi).first;
  }
  return it->second;
}

// Two products P x, as one nash_mp iteration needs, with nothing else.
void BM_TwoMatVec(benchmark::State& state) {
  const nlhf::Game& game = CachedGame(state.range(0));
  Eigen::VectorXd x = Eigen::VectorXd::Constant(game.n(), 1.0 / static_cast<double>(game.n()));
  Eigen::VectorXd y(game.n()), z(game.n());
  for (auto _ : state) {
    y.noalias() = game.P() * x;
    z.noalias() = game.P() * y;
    benchmark::DoNotOptimize(z.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_TwoMatVec)->Arg(10)->Arg(1000)->Arg(4000);

void BM_Step(benchmark::State& state, std::string spec) {
  const nlhf::Game& game = CachedGame(state.range(0));
  auto solver = nlhf::MakeSolver(spec);
  solver->Reset(nlhf::SolverContext{&game, 0.05, {}, 0.1});
  std::int64_t calls = 0;
  for (auto _ : state) {
    calls += solver->Step().oracle_calls;
    benchmark::DoNotOptimize(solver->current().data());
  }
  state.counters["calls_per_step"] = static_cast<double>(calls) / static_cast<double>(state.iterations());
}

// prox is left out: its cost per step is an inner solve whose length changes as it converges.
const char* kSolvers[] = {"nash_mp", "egpo", "omd", "mmd", "nash_md", "nash_md(schedule=constant,anchor=iterate)",
                          "online_ipo2", "nash_md_pg", "mwu", "omwu"};

// One omd Step() with the given oracle (the exact one: one P pi; sampled: B = 64 labelled queries,
// the `iterate` sampler). items_processed counts queries, so Google Benchmark reports queries/s.
void BM_OracleStep(benchmark::State& state, nlhf::OracleType type) {
  const nlhf::Game& game = CachedGame(state.range(0));
  auto solver = nlhf::MakeSolver("omd");
  nlhf::SolverContext context{&game, 0.05, {}, 0.1};
  context.oracle.type = type;
  context.oracle.batch = 64;
  solver->Reset(context);
  std::int64_t calls = 0, queries = 0;
  for (auto _ : state) {
    const nlhf::StepInfo info = solver->Step();
    calls += info.oracle_calls;
    queries += info.queries;
    benchmark::DoNotOptimize(solver->current().data());
  }
  if (queries > 0) state.SetItemsProcessed(queries);  // queries/s; none for the exact oracle
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["calls_per_step"] = static_cast<double>(calls) / iterations;
  state.counters["queries_per_step"] = static_cast<double>(queries) / iterations;
}

// How a BM_Run run ends and what it logs. Every mode records only iterations 0 and the last one,
// except kLogEvery, which logs gap_beta at every iteration (the EGPO workload's trace).
// kToleranceWithoutStar is kTolerance without pi* given to RunSolver.
enum class RunMode { kPlain, kTolerance, kToleranceWithoutStar, kLogEvery };

// The iterations that end the probe of BM_Run's "floor" tolerance: enough for the loop to dominate
// a run's fixed costs.
std::int64_t RunIterations(Eigen::Index n) { return n >= 1000 ? 200 : 5000; }

// The run options of BM_Run at size n: omd on random_uniform(n) at beta = 0.05, gap_beta the only
// metric. kTolerance stops on gap_beta <= 10^-digits (digits = 12: the README's example), or, with
// digits = 0, on the gap the iterate has after RunIterations(n) (at n = 10 that is below 1e-30, the
// rounding floor of the iterate itself). kPlain and kLogEvery run exactly as many iterations as
// that tolerance run took (found once by a probe run), so the modes differ only in how the run ends
// and what it logs.
nlhf::RunOptions RunBenchOptions(const nlhf::Game& game, double beta, RunMode mode, int digits) {
  static std::map<std::pair<Eigen::Index, int>, std::pair<double, std::int64_t>> probes;  // -> (tolerance, iterations)
  nlhf::RunOptions options;
  options.theory_check = false;
  options.log.metrics = {nlhf::Metric::kGapBeta};
  auto it = probes.find({game.n(), digits});
  if (it == probes.end()) {
    auto solver = nlhf::MakeSolver("omd");
    double tolerance = std::pow(10.0, -digits);
    if (digits == 0) {
      solver->Reset(nlhf::SolverContext{&game, beta, {}, 0.1});
      options.stop.iterations = options.log.every = RunIterations(game.n());
      tolerance = nlhf::RunSolver(*solver, game, beta, {}, options).final_metrics[0];
    }
    solver->Reset(nlhf::SolverContext{&game, beta, {}, 0.1});
    options.stop.iterations = options.log.every = 1'000'000;
    options.stop.tolerances = {{nlhf::Metric::kGapBeta, tolerance}};
    const nlhf::RunSummary probe = nlhf::RunSolver(*solver, game, beta, {}, options);
    if (probe.termination != nlhf::Termination::kTolerance) throw std::runtime_error("BM_Run: the probe did not stop");
    it = probes.emplace(std::pair{game.n(), digits}, std::pair{tolerance, probe.iterations}).first;
  }
  const auto [tolerance, iterations] = it->second;
  options.stop.iterations = iterations;
  options.stop.tolerances.clear();
  if (mode == RunMode::kTolerance || mode == RunMode::kToleranceWithoutStar) {
    options.stop.iterations = 10 * iterations;  // the tolerance ends the run
    options.stop.tolerances = {{nlhf::Metric::kGapBeta, tolerance}};
  }
  options.log.every = mode == RunMode::kLogEvery ? 1 : iterations;
  return options;
}

void BM_Run(benchmark::State& state, RunMode mode) {
  const nlhf::Game& game = CachedGame(state.range(0));
  const double beta = 0.05;
  const nlhf::RunOptions options = RunBenchOptions(game, beta, mode, static_cast<int>(state.range(1)));
  const Eigen::VectorXd none;
  const Eigen::VectorXd& log_pi_star = mode == RunMode::kToleranceWithoutStar ? none : CachedStar(game.n(), beta);
  auto solver = nlhf::MakeSolver("omd");
  std::int64_t iterations = 0, calls = 0;
  for (auto _ : state) {
    solver->Reset(nlhf::SolverContext{&game, beta, {}, 0.1});
    const nlhf::RunSummary summary = nlhf::RunSolver(*solver, game, beta, log_pi_star, options);
    iterations = summary.iterations;
    calls = summary.oracle_calls;
  }
  state.counters["iterations"] = static_cast<double>(iterations);
  state.counters["oracle_calls"] = static_cast<double>(calls);
}

int RegisterAll() {
  for (auto [name, mode] : {std::pair{"plain", RunMode::kPlain}, std::pair{"tolerance", RunMode::kTolerance},
                            std::pair{"tolerance_without_star", RunMode::kToleranceWithoutStar},
                            std::pair{"log_every", RunMode::kLogEvery}}) {
    benchmark::RegisterBenchmark((std::string("BM_Run/omd/") + name).c_str(), BM_Run, mode)
        ->Args({10, 12})
        ->Args({100, 12})
        ->Args({1000, 12})
        ->Args({10, 0})
        ->Args({1000, 0})
        ->Unit(benchmark::kMillisecond);
  }
  for (nlhf::OracleType type : {nlhf::OracleType::kExact, nlhf::OracleType::kSampled}) {
    benchmark::RegisterBenchmark(("BM_OracleStep/omd/" + std::string(nlhf::OracleTypeName(type))).c_str(),
                                 BM_OracleStep, type)
        ->Arg(10)
        ->Arg(1000);
  }
  for (const char* spec : kSolvers) {
    benchmark::RegisterBenchmark((std::string("BM_Step/") + spec).c_str(), BM_Step, std::string(spec))
        ->Arg(10)
        ->Arg(1000)
        ->Arg(4000);
  }
  return 0;
}
const int registered = RegisterAll();

}  // namespace

BENCHMARK_MAIN();

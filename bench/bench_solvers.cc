// One Step() of every registered solver at n in {10, 1000, 4000}, next to bare Eigen matrix-vector
// products of the same size (the floor: most solvers cost one or two of them). Run
// scripts/bench.sh solvers for the README table and ratios. BM_OracleStep: one omd Step() with the
// exact oracle and with a sampled one (B = 64 queries) at n in {10, 1000}; scripts/bench.sh oracle.
#include <benchmark/benchmark.h>

#include <map>

#include "nlhf/generators.h"
#include "nlhf/rng.h"
#include "nlhf/solver.h"

namespace {

const nlhf::Game& CachedGame(Eigen::Index n) {
  static std::map<Eigen::Index, nlhf::Game> cache;
  auto it = cache.find(n);
  if (it == cache.end())
    it = cache.emplace(n, nlhf::MakeGame("random_uniform(n=" + std::to_string(n) + ")", "softmax_normal", 0)).first;
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

int RegisterAll() {
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

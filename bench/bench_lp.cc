// The beta = 0 equilibrium's linear programs solved by each LP backend we considered, and the whole
// nlhf::SolveNashEquilibrium, on random_uniform(n) games (dense, generic: a mixed equilibrium on
// about half the actions). The LPs are built here from the game's entries, not shared with the
// library:
//   value LP (n + 1 columns, optimum 1/2): min v s.t. P pi - v 1 <= 0, 1^T pi = 1, pi >= 0 -- step 1
//     of lib/src/nash_set.cc, the LP every beta = 0 solve runs, and the one that decides the backend;
//   face LP (3n columns, 2n rows, optimum n): max sum_y (t_y + s_y) s.t. (A x)_y + s_y <= 0,
//     t_y - x_y <= 0, x >= 0, 0 <= t, s <= 1, with A = P - 1/2 -- the single strictly complementary
//     LP nash_set.cc first used for the maximal support. Kept to show why it was replaced: at
//     n = 1000 no backend ended it optimal (CLP dual 7.4 s, secondary status 4; GLPK 15-16 s). The
//     library now reads the support from the value LP's zero set and solves a cone LP only over the
//     actions that zero set leaves in doubt (none on these games).
// Backends: COIN-OR CLP (the library's choice) by dual simplex (what nash_set.cc calls), primal
// simplex, initialSolve() (CLP's automatic choice, with presolve) and barrier with crossover
// (ClpSolve::useBarrier); GNU GLPK by glp_simplex (primal, dual; each with and without its
// presolver) and glp_interior. Each timed iteration loads the LP into the solver and solves it
// (what the library pays per LP); the triplets or columns are built once, outside the timing. Every
// solve's status must be optimal and its objective within 1e-6 (relative) of the known optimum,
// else the case is still timed and its label says NOT OPTIMAL with the solver's status (counter
// optimal = 0). `iterations` is the solver's own count (simplex; CLP's barrier and crossover; 0 for
// glp_interior, which glp_get_it_cnt does not count).
//
// GLPK is optional: it is compiled in only when CMake finds glpk.h and libglpk (Debian: apt-get
// install libglpk-dev; deliberately not in scripts/setup.sh, the library does not use it). Without
// it only CLP is timed.
//
// Run (Release, -DNLHF_BUILD_BENCH=ON; about 30 min on 2 shared cores, the slow cases being CLP's
// barrier and GLPK at n = 1000):
//   build/bin/nlhf_bench_lp --benchmark_filter='/(100|300|1000)$' --benchmark_repetitions=3
// n = 2000, CLP's dual simplex and the whole solve only (1-1.5 min a case):
//   build/bin/nlhf_bench_lp --benchmark_filter='/2000$'
// Peak memory of one whole solve:
//   /usr/bin/time -v build/bin/nlhf_bench_lp --benchmark_filter='BM_SolveNash/2000$'
// (the counters rss_game_mb, after building the game, and rss_peak_mb say the same when one case
// runs alone).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <ClpSimplex.hpp>
#include <ClpSolve.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifdef NLHF_BENCH_HAVE_GLPK
#include <glpk.h>
#endif

#include "nlhf/generators.h"
#include "nlhf/nash_set.h"

namespace {

const nlhf::Game& CachedGame(int n) {
  static std::map<int, nlhf::Game> cache;
  auto it = cache.find(n);
  if (it == cache.end())
    it = cache
             .emplace(n, nlhf::MakeGame(fmt::format("random_uniform(n={})", n),
                                        "softmax_normal(scale=1)", 0))
             .first;
  return it->second;
}

// An LP in column-major form with COIN_DBL_MAX for infinite bounds (zeros are not stored).
struct Lp {
  std::vector<double> row_lower, row_upper, col_lower, col_upper, objective;
  std::vector<CoinBigIndex> start{0};
  std::vector<int> index;
  std::vector<double> value;
  double sense = 1.0;  // 1: minimize, -1: maximize
  double optimum = 0.0;
  int rows() const { return static_cast<int>(row_lower.size()); }
  int cols() const { return static_cast<int>(col_lower.size()); }
  void Column(double lower, double upper, double cost) {
    col_lower.push_back(lower);
    col_upper.push_back(upper);
    objective.push_back(cost);
  }
  void Add(int row, double v) {
    if (v != 0.0) {
      index.push_back(row);
      value.push_back(v);
    }
  }
  void EndColumn() { start.push_back(static_cast<CoinBigIndex>(index.size())); }
};

enum class LpKind { kValue, kFace };

// nash_set.cc step 1: columns pi (n), v; rows P pi - v <= 0 (n), 1^T pi = 1.
Lp BuildValueLp(const nlhf::Game& game) {
  const int n = static_cast<int>(game.n());
  Lp lp;
  lp.row_lower.assign(static_cast<size_t>(n), -COIN_DBL_MAX);
  lp.row_upper.assign(static_cast<size_t>(n), 0.0);
  lp.row_lower.push_back(1.0);
  lp.row_upper.push_back(1.0);
  for (int j = 0; j < n; ++j) {
    lp.Column(0.0, COIN_DBL_MAX, 0.0);
    for (int y = 0; y < n; ++y) lp.Add(y, game.Entry(y, j));
    lp.Add(n, 1.0);
    lp.EndColumn();
  }
  lp.Column(-COIN_DBL_MAX, COIN_DBL_MAX, 1.0);
  for (int y = 0; y < n; ++y) lp.Add(y, -1.0);
  lp.EndColumn();
  lp.optimum = 0.5;
  return lp;
}

// nash_set.cc step 2: columns x, t, s (n each); rows (A x)_y + s_y <= 0 (n), t_y - x_y <= 0 (n).
Lp BuildFaceLp(const nlhf::Game& game) {
  const int n = static_cast<int>(game.n());
  Lp lp;
  lp.row_lower.assign(2 * static_cast<size_t>(n), -COIN_DBL_MAX);
  lp.row_upper.assign(2 * static_cast<size_t>(n), 0.0);
  for (int j = 0; j < n; ++j) {
    lp.Column(0.0, COIN_DBL_MAX, 0.0);
    for (int y = 0; y < n; ++y) lp.Add(y, game.Entry(y, j) - 0.5);
    lp.Add(n + j, -1.0);
    lp.EndColumn();
  }
  for (int j = 0; j < n; ++j) {
    lp.Column(0.0, 1.0, 1.0);
    lp.Add(n + j, 1.0);
    lp.EndColumn();
  }
  for (int y = 0; y < n; ++y) {
    lp.Column(0.0, 1.0, 1.0);
    lp.Add(y, 1.0);
    lp.EndColumn();
  }
  lp.sense = -1.0;
  lp.optimum = n;
  return lp;
}

const Lp& CachedLp(LpKind kind, int n) {
  static std::map<std::pair<LpKind, int>, Lp> cache;
  auto it = cache.find({kind, n});
  if (it == cache.end()) {
    const nlhf::Game& game = CachedGame(n);
    it = cache
             .emplace(std::make_pair(kind, n),
                      kind == LpKind::kValue ? BuildValueLp(game) : BuildFaceLp(game))
             .first;
  }
  return it->second;
}

struct Outcome {
  bool optimal = false;
  std::string status;
  double objective = 0.0;
  int iterations = 0;
};

enum class ClpMethod { kDual, kPrimal, kInitialSolve, kBarrier };

Outcome SolveClp(const Lp& lp, ClpMethod method) {
  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(lp.cols(), lp.rows(), lp.start.data(), lp.index.data(), lp.value.data(),
                    lp.col_lower.data(), lp.col_upper.data(), lp.objective.data(),
                    lp.row_lower.data(), lp.row_upper.data());
  model.setOptimizationDirection(lp.sense);
  switch (method) {
    case ClpMethod::kDual:
      model.dual();
      break;
    case ClpMethod::kPrimal:
      model.primal();
      break;
    case ClpMethod::kInitialSolve:
      model.initialSolve();
      break;
    case ClpMethod::kBarrier: {
      ClpSolve options;
      options.setSolveType(
          ClpSolve::useBarrier);  // crossover to a basis afterwards (useBarrierNoCross: none)
      model.initialSolve(options);
      break;
    }
  }
  Outcome out;
  out.optimal = model.status() == 0 && model.secondaryStatus() == 0;
  // The largest violation of a row or column bound by the returned point, unscaled.
  const double* activity = model.getRowActivity();
  const double* x = model.getColSolution();
  double violation = 0.0;
  for (int i = 0; i < lp.rows(); ++i) {
    const size_t k = static_cast<size_t>(i);
    violation = std::max({violation, lp.row_lower[k] - activity[i], activity[i] - lp.row_upper[k]});
  }
  for (int j = 0; j < lp.cols(); ++j) {
    const size_t k = static_cast<size_t>(j);
    violation = std::max({violation, lp.col_lower[k] - x[j], x[j] - lp.col_upper[k]});
  }
  out.status = fmt::format("CLP status {} secondary {}, largest bound violation {:.2g}",
                           model.status(), model.secondaryStatus(), violation);
  out.objective = model.objectiveValue();
  out.iterations = model.numberIterations();
  return out;
}

#ifdef NLHF_BENCH_HAVE_GLPK
// The same LP in GLPK's 1-based triplets (index 0 unused), built once per LP.
struct GlpkTriplets {
  std::vector<int> ia{0}, ja{0};
  std::vector<double> ar{0.0};
};

const GlpkTriplets& CachedTriplets(LpKind kind, int n) {
  static std::map<std::pair<LpKind, int>, GlpkTriplets> cache;
  auto it = cache.find({kind, n});
  if (it == cache.end()) {
    const Lp& lp = CachedLp(kind, n);
    GlpkTriplets t;
    for (int j = 0; j < lp.cols(); ++j)
      for (CoinBigIndex k = lp.start[static_cast<size_t>(j)];
           k < lp.start[static_cast<size_t>(j) + 1]; ++k) {
        t.ia.push_back(lp.index[static_cast<size_t>(k)] + 1);
        t.ja.push_back(j + 1);
        t.ar.push_back(lp.value[static_cast<size_t>(k)]);
      }
    it = cache.emplace(std::make_pair(kind, n), std::move(t)).first;
  }
  return it->second;
}

int GlpkBoundType(double lower, double upper) {
  const bool lo = lower > -COIN_DBL_MAX, up = upper < COIN_DBL_MAX;
  if (lo && up) return lower == upper ? GLP_FX : GLP_DB;
  return lo ? GLP_LO : (up ? GLP_UP : GLP_FR);
}

enum class GlpkMethod { kPrimal, kDual, kPrimalPresolve, kDualPresolve, kInterior };

Outcome SolveGlpk(const Lp& lp, const GlpkTriplets& t, GlpkMethod method) {
  glp_prob* p = glp_create_prob();
  glp_set_obj_dir(p, lp.sense > 0 ? GLP_MIN : GLP_MAX);
  glp_add_rows(p, lp.rows());
  for (int i = 0; i < lp.rows(); ++i) {
    const double lo = lp.row_lower[static_cast<size_t>(i)],
                 up = lp.row_upper[static_cast<size_t>(i)];
    glp_set_row_bnds(p, i + 1, GlpkBoundType(lo, up), lo, up);
  }
  glp_add_cols(p, lp.cols());
  for (int j = 0; j < lp.cols(); ++j) {
    const double lo = lp.col_lower[static_cast<size_t>(j)],
                 up = lp.col_upper[static_cast<size_t>(j)];
    glp_set_col_bnds(p, j + 1, GlpkBoundType(lo, up), lo, up);
    glp_set_obj_coef(p, j + 1, lp.objective[static_cast<size_t>(j)]);
  }
  glp_load_matrix(p, static_cast<int>(t.ia.size()) - 1, t.ia.data(), t.ja.data(), t.ar.data());
  Outcome out;
  if (method == GlpkMethod::kInterior) {
    glp_iptcp parm;
    glp_init_iptcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    const int rc = glp_interior(p, &parm);
    const int status = glp_ipt_status(p);
    out.optimal = rc == 0 && status == GLP_OPT;
    out.status = fmt::format("glp_interior returned {}, status {}", rc, status);
    out.objective = glp_ipt_obj_val(p);
  } else {
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.meth = method == GlpkMethod::kPrimal || method == GlpkMethod::kPrimalPresolve ? GLP_PRIMAL
                                                                                       : GLP_DUAL;
    parm.presolve = method == GlpkMethod::kPrimalPresolve || method == GlpkMethod::kDualPresolve
                        ? GLP_ON
                        : GLP_OFF;
    const int rc = glp_simplex(p, &parm);
    const int status = glp_get_status(p);
    out.optimal = rc == 0 && status == GLP_OPT;
    out.status = fmt::format("glp_simplex returned {}, status {}", rc, status);
    out.objective = glp_get_obj_val(p);
  }
  out.iterations = glp_get_it_cnt(p);
  glp_delete_prob(p);
  return out;
}
#endif

// Times `solve` (load + solve of the cached LP). A solve that does not end optimal at the known
// optimum is still timed; its label says "NOT OPTIMAL" with the solver's status, and the counter
// optimal is 0.
template <class Solve>
void TimeLp(benchmark::State& state, LpKind kind, int n, Solve solve) {
  const Lp& lp = CachedLp(kind, n);
  Outcome last;
  // No DoNotOptimize: the solve calls into the solver library anyway, and
  // DoNotOptimize(last.objective) left garbage (6.95e-310) in the double with GCC 12 and Debian's
  // benchmark 1.7.1 (the symptom of google/benchmark#903, its asm constraint on a double).
  for (auto _ : state) last = solve(lp);
  const bool ok = last.optimal && std::abs(last.objective - lp.optimum) <=
                                      1e-6 * std::max(1.0, std::abs(lp.optimum));
  state.counters["optimal"] = ok ? 1.0 : 0.0;
  state.counters["iterations"] = last.iterations;
  state.counters["objective_error"] = last.objective - lp.optimum;
  if (!ok)
    state.SetLabel(fmt::format("NOT OPTIMAL: {}, objective {:.10g}", last.status, last.objective));
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

void BM_SolveNash(benchmark::State& state, int n) {
  const nlhf::Game& game = CachedGame(n);
  const double rss_game = PeakRssMb();
  nlhf::NashEquilibrium ne;
  for (auto _ : state) ne = nlhf::SolveNashEquilibrium(game);
  state.counters["certified"] = ne.certified ? 1.0 : 0.0;
  state.counters["lp_iterations"] = ne.lp_iterations;
  state.counters["support"] = static_cast<double>(ne.support.size());
  // Process peaks: meaningful when this case is the only one run (--benchmark_filter).
  state.counters["rss_game_mb"] = rss_game;
  state.counters["rss_peak_mb"] = PeakRssMb();
  if (!ne.certified) state.SetLabel("NOT CERTIFIED: " + ne.message);
}

// The largest n each backend is timed at, from a first run on this machine (one solve): past
// it a case takes minutes. n = 2000 only for CLP's dual simplex (nash_set.cc's call): 66 s, 96 s.
int LargestN(std::string_view backend, LpKind kind) {
  if (backend == "clp_dual") return 2000;
  if (backend == "glpk_primal") return 300;  // n = 1000: > 300 s on either LP (stopped there)
  if (backend == "glpk_primal_presolve" && kind == LpKind::kFace) return 300;  // n = 1000: > 300 s
  return 1000;  // clp_barrier at n = 1000: 25 s (value LP) and 170 s (face LP) CPU
}

const int kSizes[] = {100, 300, 1000, 2000};

void Register() {
  using SolveFn = std::function<Outcome(const Lp&, LpKind, int)>;
  auto clp = [](ClpMethod m) {
    return SolveFn([m](const Lp& lp, LpKind, int) { return SolveClp(lp, m); });
  };
  std::vector<std::pair<std::string, SolveFn>> backends = {
      {"clp_dual", clp(ClpMethod::kDual)},
      {"clp_primal", clp(ClpMethod::kPrimal)},
      {"clp_initial_solve", clp(ClpMethod::kInitialSolve)},
      {"clp_barrier", clp(ClpMethod::kBarrier)}};
#ifdef NLHF_BENCH_HAVE_GLPK
  auto glpk = [](GlpkMethod m) {
    return SolveFn([m](const Lp& lp, LpKind kind, int n) {
      return SolveGlpk(lp, CachedTriplets(kind, n), m);
    });
  };
  backends.insert(backends.end(), {{"glpk_primal", glpk(GlpkMethod::kPrimal)},
                                   {"glpk_dual", glpk(GlpkMethod::kDual)},
                                   {"glpk_primal_presolve", glpk(GlpkMethod::kPrimalPresolve)},
                                   {"glpk_dual_presolve", glpk(GlpkMethod::kDualPresolve)},
                                   {"glpk_interior", glpk(GlpkMethod::kInterior)}});
#endif
  const std::pair<const char*, LpKind> kinds[] = {{"BM_ValueLp", LpKind::kValue},
                                                  {"BM_FaceLp", LpKind::kFace}};
  for (const auto& [kind_name, kind] : kinds)
    for (const int n : kSizes)
      for (const auto& [name, solve] : backends) {
        if (n > LargestN(name, kind)) continue;
        benchmark::RegisterBenchmark(
            fmt::format("{}/{}/{}", kind_name, name, n).c_str(),
            [kind = kind, n, solve = solve, glpk = name.starts_with("glpk")](benchmark::State& s) {
#ifdef NLHF_BENCH_HAVE_GLPK
              if (glpk) CachedTriplets(kind, n);  // built outside the timing
#endif
              TimeLp(s, kind, n, [&](const Lp& lp) { return solve(lp, kind, n); });
            })
            ->Unit(benchmark::kMillisecond);
      }
  for (const int n : kSizes)
    benchmark::RegisterBenchmark(fmt::format("BM_SolveNash/{}", n).c_str(), BM_SolveNash, n)
        ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

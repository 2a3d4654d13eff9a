// The experiment layer: non-finite metrics in trace rows, the memory estimate made before anything
// is built, and the dry run's cost estimate.
#include "nlhf/experiment.h"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/config.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

ExperimentConfig Parse(const std::string& text) { return ParseExperiment(text, "exp.yaml", {}, ""); }

constexpr const char* kBase = "name: t\nreference: {type: uniform}\nbeta: 0.1\n";

// RunGroup of seed 0 with its trace rows written to a file: the result and the rows.
std::pair<GroupResult, std::string> RunGroupWithTrace(const ExperimentConfig& c) {
  testing::TempDir dir;
  const std::string path = dir.File("trace.csv", "");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot open " + path);
  GroupResult g = RunGroup(c, 0, "", f, "trace.csv");
  std::fclose(f);
  return {std::move(g), testing::ReadFile(path)};
}

// Issue 9: a subnormal beta gave a row of empty cells, termination `iterations` and exit 0. Built
// in code: the configuration parser rejects such a beta.
TEST(RunGroup, ANonFiniteMetricIsANumericalFailureAndItsCellSaysNan) {
  ExperimentConfig c = Parse(std::string(kBase) + "game: {type: rps3}\nsolvers: [{name: nash_mp}]\nseeds: [0]\n"
                                                   "log: {metrics: [gap_beta, gap_0]}\n");
  c.beta = 1e-310;
  const auto [g, rows] = RunGroupWithTrace(c);
  ASSERT_EQ(g.runs.size(), 1u);
  const RunResult& r = g.runs[0];
  EXPECT_EQ(r.summary.termination, Termination::kNumericalFailure);
  EXPECT_NE(r.summary.message.find("non-finite metric gap_beta = nan at iteration 0"), std::string::npos)
      << r.summary.message;
  // gap_beta says nan, gap_0 has its value, the metrics not asked for stay empty.
  const std::string row = rows.substr(0, rows.find('\n'));
  EXPECT_NE(row.find(",nan,,"), std::string::npos) << row;
  EXPECT_EQ(r.trace_row_count, 1);
  EXPECT_EQ(r.trace_bytes, static_cast<std::int64_t>(rows.size()));
}

TEST(RunGroup, RefusesAnInputFileEditedSinceTheExperimentWasLoaded) {
  testing::TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n");
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: matrix, path: " + path + "}\nsolvers: [{name: nash_mp}]\nseeds: [0, 1]\n");
  EXPECT_NO_THROW(RunGroup(c, 0));
  dir.File("P.csv", "0.5,0.6,0.2\n0.4,0.5,0.6\n0.8,0.4,0.5\n");  // edited mid-sweep
  ExpectInputError([&] { RunGroup(c, 1); }, {"game.path", "changed while nlhf was running"});
}

TEST(Memory, RefusesAGameThatDoesNotFitBeforeBuildingIt) {
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n"
                                                         "solvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n");
  MemoryEstimate e = EstimateMemory(c, ResourcePlan{2, false});
  EXPECT_EQ(e.n, 100000);
  EXPECT_EQ(e.n_key, "game.n");
  // Every seed's P, plus the work of 2 equilibria at once: matrix-free at this n, a GMRES basis of
  // 2^24 / n + 1 vectors and 16 more (EquilibriumWorkBytes), 0.18% of an n x n matrix each.
  const double krylov = (std::floor(16777216.0 / 100000) + 1 + 16) / 100000;
  EXPECT_NEAR(e.matrices, 3 + 2 * krylov, 1e-12);
  EXPECT_NEAR(e.bytes / (8.0 * 1e10 * 3), 1.0, 0.01);
  e.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(c, ResourcePlan{2, false}, e); },
                   {"game.n", "100000 needs about 223.9 GiB (estimate: P and the equilibrium's work, 3 n x n matrices",
                    "this machine has 16.0 GiB available", "expected n <= 26486"});
  // A sweep worker holds one game at a time.
  EXPECT_NEAR(EstimateMemory(c, ResourcePlan{2, true}).matrices, 2 * (1 + krylov), 1e-12);
  // Below n = kKrylovFromN pi* takes the dense path: its Jacobian, LU factors and a GMRES basis,
  // just over 3 n x n matrices with P (measured: 3.3 x 8 n^2 bytes peak RSS at n = 2000, beta = 1e-4,
  // the process's own few MB included).
  const ExperimentConfig mid = Parse(std::string(kBase) + "game: {type: random_uniform, n: 3000}\n"
                                                           "solvers: [{name: nash_mp}]\nseeds: [0]\n");
  const double dense_path = EstimateMemory(mid, {}).matrices;
  EXPECT_EQ(dense_path, 1 + EquilibriumWorkBytes(3000, EquilibriumMethod::kAuto) / (8.0 * 3000 * 3000));
  EXPECT_GT(dense_path, 3.0);
  EXPECT_LT(dense_path, 3.2);
  // Small games pass.
  const ExperimentConfig small = Parse(std::string(kBase) + "game: {type: random_uniform, n: 1000}\n"
                                                             "solvers: [{name: nash_mp}]\nseeds: [0]\n");
  EXPECT_NO_THROW(CheckMemory(small, {}, EstimateMemory(small, {})));
}

TEST(Memory, WithoutPiStarAGameBeingPreparedHoldsOnlyP) {
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n"
                                                         "solvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n");
  MemoryEstimate e = EstimateMemory(c, ResourcePlan{2, false});
  e.available_bytes = 16.0 * (1 << 30);
  // equilibrium: none is named only where it would fit: below n = 5000, where pi*'s dense work is
  // twice P, not at n = 10^5, where pi* is matrix-free and P alone does not fit either.
  ExpectInputError([&] { CheckMemory(c, ResourcePlan{2, false}, e); }, {"(or fewer seeds or --jobs, or an implicit game"});
  const ExperimentConfig mid = Parse(std::string(kBase) + "game: {type: random_uniform, n: 4000}\n"
                                                           "solvers: [{name: nash_mp}]\nseeds: [0]\n");
  MemoryEstimate m = EstimateMemory(mid, {});
  m.available_bytes = 0.35 * (1 << 30);  // 0.43 GiB with pi*, 0.30 GiB without (P and the descriptors' work)
  ExpectInputError([&] { CheckMemory(mid, {}, m); }, {"or fewer seeds or --jobs, or equilibrium: none (no pi*: P alone)"});
  const ExperimentConfig none = Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n"
                                                            "equilibrium: none\nsolvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n");
  EXPECT_EQ(EstimateMemory(none, ResourcePlan{2, false}).matrices, 3);  // every seed's P, nothing more
  EXPECT_EQ(EstimateMemory(none, ResourcePlan{2, true}).matrices, 2);   // a sweep worker's game
  MemoryEstimate one = EstimateMemory(none, ResourcePlan{1, true});
  one.available_bytes = 16.0 * (1 << 30);
  EXPECT_EQ(MemoryText(none, one), "about 74.6 GiB at the peak (P: 1 n x n matrix of doubles, n = 100000), 16.0 GiB available");
  EXPECT_NE(MemoryText(c, e).find("(P and the equilibrium's work: 3 n x n matrices of doubles, n = 100000)"),
            std::string::npos);
  MemoryEstimate n = EstimateMemory(none, ResourcePlan{2, false});
  n.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(none, ResourcePlan{2, false}, n); },
                   {"game.n", "(estimate: P, 3 n x n matrices", "expected n <= 26702 (or fewer seeds or --jobs, or an implicit game"});
}

// equilibrium: none: no pi*, so the metrics that need it are empty cells, rho and the limits are
// absent, `X*limit` is refused before any work and `auto` takes its default.
TEST(RunGroup, EquilibriumNoneLeavesThePiStarMetricsEmpty) {
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 6}\nequilibrium: none\n"
                                                         "solvers: [{name: nash_mp}, {name: omd, eta: auto}]\n"
                                                         "stop: {iterations: 5}\n");
  const auto [g, rows] = RunGroupWithTrace(c);
  EXPECT_FALSE(g.game.equilibrium.has_value());
  for (const RunResult& r : g.runs) {
    EXPECT_FALSE(r.rho.has_value());
    EXPECT_FALSE(r.target_gap_beta.has_value());
    EXPECT_FALSE(r.summary.theory.applicable);
    EXPECT_TRUE(std::isnan(r.summary.final_metrics[static_cast<size_t>(Metric::kKlToStar)]));
    EXPECT_FALSE(std::isnan(r.summary.final_metrics[static_cast<size_t>(Metric::kGapBeta)]));
  }
  EXPECT_NE(fmt::format("{}", fmt::join(g.runs[1].summary.warnings, "|")).find("used the default step"),
            std::string::npos);
  // Every iteration of both runs logged, the pi* columns empty.
  EXPECT_EQ(std::count(rows.begin(), rows.end(), '\n'), 12);
  const ExperimentConfig limit = Parse(std::string(kBase) + "game: {type: random_uniform, n: 6}\nequilibrium: none\n"
                                                             "solvers: [{name: omd, eta: 0.5*limit}]\n");
  ExpectInputError([&] { ValidateExperiment(limit); },
                   {"solvers[0].eta", "'0.5*limit' needs this game's stability limit", "equilibrium: none"});
  EXPECT_NE(EquilibriumNoneNote().find("kl_to_star, kl_from_star, span are empty cells"), std::string::npos);
}

TEST(Memory, RefusesAHundredThousandDenseActionsButAcceptsThemAsAnImplicitLowRankGame) {
  const std::string rest = "solvers: [{name: nash_mp}]\nseeds: [0]\n";
  // Dense, the low-rank game materialized: P and the equilibrium's work, as for any dense game.
  const ExperimentConfig dense =
      Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 100000, storage: dense}\n" + rest);
  MemoryEstimate d = EstimateMemory(dense, {});
  EXPECT_FALSE(d.implicit);
  EXPECT_NEAR(d.matrices, 1.0, 0.01);
  d.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(dense, {}, d); },
                   {"game.n", "100000 needs about 74.7 GiB (estimate: P and the equilibrium's work, 1 n x n matrix of doubles", "expected n <= ",
                    "or game.storage: implicit (P never stored)"});
  MemoryEstimate w = EstimateMemory(Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n" + rest), {});
  w.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(Parse(std::string(kBase) + "game: {type: random_uniform, n: 100000}\n" + rest), {}, w); },
                   {"or an implicit game, which stores no P (low_rank_cyclic, low_rank_disc, bradley_terry with storage: implicit)"});
  // Implicit (the default for this generator): the operator's 2 n K doubles and vectors of n doubles.
  const ExperimentConfig implicit = Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 100000}\n" + rest);
  MemoryEstimate e = EstimateMemory(implicit, {});
  EXPECT_TRUE(e.implicit);
  EXPECT_EQ(e.matrices, 0);
  EXPECT_EQ(e.n, 100000);
  EXPECT_EQ(e.operator_bytes, 8.0 * 100000 * 16);  // k = 8
  EXPECT_LT(e.bytes, 0.25 * (1 << 30));
  e.available_bytes = 16.0 * (1 << 30);
  EXPECT_NO_THROW(CheckMemory(implicit, {}, e));
  EXPECT_NE(MemoryText(implicit, e).find("(the implicit game's operator, 12 MiB for each of 1 game(s) held at once"),
            std::string::npos)
      << MemoryText(implicit, e);
  // Linear in n: ten million actions at rank 2 * 512 do not fit in 16 GiB; the message says so.
  const ExperimentConfig huge =
      Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 10000000, k: 512}\n" + rest);
  MemoryEstimate h = EstimateMemory(huge, ResourcePlan{2, true});
  EXPECT_EQ(h.games, 2);  // a sweep's two workers hold a game each
  EXPECT_NEAR(h.bytes / (2 * 8.0 * 1e7 * 1024), 1.0, 0.1);
  h.available_bytes = 16.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(huge, ResourcePlan{2, true}, h); },
                   {"game.n", "10000000 needs about", "implicit game's operator", "expected n <= "});
  // bradley_terry's implicit form keeps only the ratings.
  const ExperimentConfig bt =
      Parse(std::string(kBase) + "game: {type: bradley_terry, n: 100000, storage: implicit}\n" + rest);
  EXPECT_EQ(EstimateMemory(bt, {}).operator_bytes, 8.0 * 100000);
}

// storage: float32 holds 4 n^2 bytes per game and no double matrix once built; building it from a
// dense generator's matrix peaks at that matrix (8 n^2), from an implicit form at the floats.
TEST(Memory, EstimatesAFloat32GameByItsBuildPeakAndItsMatrixFreePiStar) {
  const std::string rest = "solvers: [{name: nash_mp}]\nseeds: [0, 1, 2]\n";
  const double n = 20000;
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000, storage: float32}\n" + rest);
  const MemoryEstimate e = EstimateMemory(c, ResourcePlan{2, false});
  EXPECT_TRUE(e.float32);
  EXPECT_FALSE(e.implicit);
  EXPECT_EQ(e.matrices, 0);
  EXPECT_EQ(e.operator_bytes, 4 * n * n);
  EXPECT_TRUE(e.from_matrix);
  EXPECT_EQ(e.build_bytes, 8 * n * n + 256 * n);
  EXPECT_EQ(e.equilibrium_bytes, EquilibriumWorkBytes(20000, EquilibriumMethod::kKrylov));  // n >= kKrylovFromN
  EXPECT_EQ(e.games, 3);
  EXPECT_EQ(e.building, 2);
  // One game held, two being built (each at its double matrix's peak), and vectors.
  EXPECT_NEAR(e.bytes, 4 * n * n + 2 * (8 * n * n + 256 * n) + e.vectors * 8 * n + 64.0 * (1 << 20), 1.0);
  EXPECT_NE(MemoryText(c, e).find("(P - 1/2 in float32, 1.5 GiB for each of 3 game(s) held at once; building one "
                                  "peaks at 3.0 GiB (its double matrix), up to 2 at once; pi*'s work"),
            std::string::npos)
      << MemoryText(c, e);
  // From an implicit form's entries: no double matrix.
  const ExperimentConfig lr = Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 20000, storage: float32}\n" + rest);
  const MemoryEstimate l = EstimateMemory(lr, {});
  EXPECT_TRUE(l.float32);
  EXPECT_FALSE(l.from_matrix);
  EXPECT_EQ(l.build_bytes, 4 * n * n + 8 * n * 16);  // and the operator's 2 K doubles per action (k = 8)
  // Without pi*, none of its work.
  const ExperimentConfig none =
      Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000, storage: float32}\nequilibrium: none\n" + rest);
  EXPECT_EQ(EstimateMemory(none, {}).equilibrium_bytes, 0);
}

// The estimate drops at n = kKrylovFromN, where pi* stops holding dense matrices, so "expected
// n <= X" is found on each side of it: here the largest n that fits is above 5000 although some
// smaller ones do not fit (a single binary search over [0, n] named 4125 as float32's largest).
TEST(Memory, TheLargestNThatFitsIsFoundOnBothSidesOfTheMatrixFreeSwitch) {
  for (const std::string storage : {"dense", "float32"}) {
    const auto config = [&](long n) {
      return Parse(std::string(kBase) + fmt::format("game: {{type: random_uniform, n: {}, storage: {}}}\n", n, storage) +
                   "solvers: [{name: nash_mp}]\nseeds: [0]\n");
    };
    const double available = (storage == "dense" ? 600.0 : 400.0) * (1 << 20);
    MemoryEstimate e = EstimateMemory(config(9000), {});
    e.available_bytes = available;
    std::string message;
    try {
      CheckMemory(config(9000), {}, e);
    } catch (const InputError& error) {
      message = error.what();
    }
    const std::size_t at = message.find("expected n <= ");
    ASSERT_NE(at, std::string::npos) << message;
    const long n_max = std::stol(message.substr(at + 14));
    const auto fits = [&](long n) { return EstimateMemory(config(n), {}).bytes <= available; };
    EXPECT_GT(n_max, 5000) << storage << ": " << message;
    EXPECT_TRUE(fits(n_max)) << storage;
    for (long n = n_max + 1; n <= 9000; n += 97) EXPECT_FALSE(fits(n)) << storage << " n = " << n;
    EXPECT_FALSE(fits(4999)) << storage;  // the band below the switch that does not fit
  }
}

TEST(Memory, NamesFloat32WhenADenseGameWouldFitAsFloat32) {
  const std::string rest = "solvers: [{name: nash_mp}]\nseeds: [0]\n";
  // Four seeds: dense, every seed's P (3.0 GiB each) and pi*'s matrix-free work; float32, three
  // games held at 1.5 GiB while the fourth is built in its double matrix's 3.0 GiB.
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000}\nsolvers: [{name: nash_mp}]\nseeds: [0, 1, 2, 3]\n");
  MemoryEstimate e = EstimateMemory(c, {});
  e.available_bytes = 9.0 * (1 << 30);
  ExpectInputError([&] { CheckMemory(c, {}, e); },
                   {"game.n", "20000 needs about 12.1 GiB", "(or fewer seeds or --jobs, or game.storage: float32 (about 7.5 "
                    "GiB: P - 1/2 held in float, 4 bytes per entry, the game rounded by <= 1.5e-8), or an implicit game"});
  // Where float32 would not fit either, it is not offered.
  e.available_bytes = 2.0 * (1 << 30);
  try {
    CheckMemory(c, {}, e);
    FAIL() << "expected an error";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()).find("float32"), std::string::npos) << error.what();
  }
  // A float32 game that does not fit: its own estimate, the largest n that fits, and the ways out.
  const ExperimentConfig f = Parse(std::string(kBase) + "game: {type: random_uniform, n: 20000, storage: float32}\n" + rest);
  MemoryEstimate fe = EstimateMemory(f, {});
  fe.available_bytes = 2.0 * (1 << 30);
  std::string message;
  try {
    CheckMemory(f, {}, fe);
  } catch (const InputError& error) {
    message = error.what();
  }
  EXPECT_NE(message.find("20000 needs about 3.1 GiB (estimate: P - 1/2 in float32, 1526 MiB for each of 1 game(s) held "
                         "at once; building one peaks at 3057 MiB (its double matrix)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("or an implicit game, which stores no P"), std::string::npos) << message;
  // The n it names fits, and one more does not.
  const std::size_t at = message.find("expected n <= ");
  ASSERT_NE(at, std::string::npos) << message;
  const long n_max = std::stol(message.substr(at + 14));
  const auto bytes = [&](long n) {
    return EstimateMemory(Parse(std::string(kBase) + fmt::format("game: {{type: random_uniform, n: {}, storage: float32}}\n", n) + rest), {})
        .bytes;
  };
  EXPECT_LE(bytes(n_max), fe.available_bytes);
  EXPECT_GT(bytes(n_max + 1), fe.available_bytes);
}

TEST(RunExperiment, RunsAFloat32GameWithDescriptorsCloseToTheDenseOne) {
  const std::string rest = "solvers: [{name: nash_mp}, {name: omd, oracle: {type: sampled, batch: 32}}]\nseeds: [0]\n"
                           "stop: {iterations: 50}\n";
  const ExperimentResult f =
      RunExperiment(Parse(std::string(kBase) + "game: {type: random_uniform, n: 200, storage: float32}\n" + rest), {});
  const ExperimentResult d = RunExperiment(Parse(std::string(kBase) + "game: {type: random_uniform, n: 200}\n" + rest), {});
  ASSERT_TRUE(f.games[0].descriptors.has_value());
  EXPECT_EQ(f.games[0].descriptors->cyclic_triples, d.games[0].descriptors->cyclic_triples);
  EXPECT_EQ(f.games[0].game_spec, "random_uniform(n=200,seed=0,storage=float32)");
  ASSERT_TRUE(f.games[0].equilibrium && f.games[0].equilibrium->certified());
  EXPECT_EQ(f.games[0].equilibrium->method, "newton");  // below kKrylovFromN, as for the dense game
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(f.runs[k].summary.iterations, 50);
    // The sampled oracle draws the same labels: its Bernoulli thresholds moved by <= 1.5e-8.
    EXPECT_LE((f.runs[k].summary.final_logits - d.runs[k].summary.final_logits).cwiseAbs().maxCoeff(), 1e-6) << k;
  }
}

// A long pi* is a sign of life on the progress line: each Newton iteration of each game's
// certification reaches the callback as a preparing event (no label) with its seed, before any run.
TEST(RunExperiment, ReportsTheNewtonIterationsOfEachGamesEquilibrium) {
  const ExperimentConfig c = Parse(std::string(kBase) +
                                   "game: {type: random_uniform, n: 30}\nsolvers: [{name: nash_mp}]\nseeds: [4, 5]\n"
                                   "stop: {iterations: 3}\n");
  std::vector<ProgressEvent> newton;
  bool run_seen = false, newton_after_run = false;
  ExperimentOptions options;
  options.progress = [&](const ProgressEvent& e) {
    if (!e.label.empty()) run_seen = true;
    if (e.newton_iteration == 0) return;
    newton_after_run = newton_after_run || run_seen;
    newton.push_back(e);
  };
  const ExperimentResult r = RunExperiment(c, options);
  ASSERT_FALSE(newton.empty());
  EXPECT_FALSE(newton_after_run);
  for (const std::uint64_t seed : {4u, 5u}) {
    const auto it = std::find_if(newton.rbegin(), newton.rend(), [&](const ProgressEvent& e) { return e.seed == seed; });
    ASSERT_NE(it, newton.rend()) << seed;
    EXPECT_TRUE(it->label.empty());
    EXPECT_EQ(it->runs_total, 2);
    EXPECT_EQ(it->newton_beta, 0.1);  // the last stage is the target beta
    EXPECT_LE(it->newton_residual, 1e-10);
  }
  for (const GameResult& g : r.games) ASSERT_TRUE(g.equilibrium && g.equilibrium->certified());
}

// nlhf-run builds the first game once: ValidateExperiment's game is the run's game of seeds[0]
// (taken as it is, not built again), and the results are those of a run that builds its own.
TEST(RunExperiment, UsesTheValidatedFirstGame) {
  const std::string rest = "solvers: [{name: nash_mp}]\nseeds: [3, 4]\nstop: {iterations: 20}\n";
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 12}\n" + rest);
  ExperimentOptions options;
  options.first_game = ValidateExperiment(c);
  ASSERT_NE(options.first_game, nullptr);
  EXPECT_EQ(options.first_game->n(), 12);
  const ExperimentResult reused = RunExperiment(c, options), built = RunExperiment(c, {});
  ASSERT_EQ(reused.runs.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(reused.games[k].game_spec, built.games[k].game_spec);
    EXPECT_EQ(reused.runs[k].summary.final_logits, built.runs[k].summary.final_logits) << k;
  }
  // Taken as it is: a game of another size given as the first game is the first game's.
  options.first_game = ValidateExperiment(Parse(std::string(kBase) + "game: {type: random_uniform, n: 7}\n" + rest));
  const ExperimentResult other = RunExperiment(c, options);
  EXPECT_EQ(other.games[0].n, 7);
  EXPECT_EQ(other.games[1].n, 12);
}

TEST(RunExperiment, RunsAnImplicitGameWithoutDescriptorsAndAsTheDenseOneDoes) {
  const std::string rest = "solvers: [{name: nash_mp}, {name: omd, oracle: {type: sampled, batch: 32}}]\nseeds: [0, 1]\n"
                           "stop: {iterations: 50}\n";
  const ExperimentResult implicit =
      RunExperiment(Parse(std::string(kBase) + "game: {type: low_rank_disc, n: 200}\n" + rest), {});
  const ExperimentResult dense =
      RunExperiment(Parse(std::string(kBase) + "game: {type: low_rank_disc, n: 200, storage: dense}\n" + rest), {});
  ASSERT_EQ(implicit.runs.size(), 4u);
  for (size_t g = 0; g < 2; ++g) {
    EXPECT_FALSE(implicit.games[g].descriptors.has_value());
    EXPECT_TRUE(dense.games[g].descriptors.has_value());
    EXPECT_EQ(implicit.games[g].game_spec + "", dense.games[g].game_spec.substr(0, implicit.games[g].game_spec.size() - 1) + ")");
    ASSERT_TRUE(implicit.games[g].equilibrium && implicit.games[g].equilibrium->certified());
  }
  for (size_t k = 0; k < 4; ++k) {
    const RunSummary &a = implicit.runs[k].summary, &b = dense.runs[k].summary;
    EXPECT_EQ(a.iterations, 50);
    EXPECT_LE((a.final_logits - b.final_logits).cwiseAbs().maxCoeff(), 1e-9) << k;
  }
}

TEST(Memory, TakesNFromAMatrixFileWithoutReadingItWhole) {
  testing::TempDir dir;
  std::string csv;
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 40; ++j) csv += j ? ",0.5" : "0.5";
    csv += "\n";
  }
  const std::string path = dir.File("P.csv", csv);
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: matrix, path: " + path + "}\nsolvers: [{name: nash_mp}]\nseeds: [0]\n"
                           "stop: {iterations: 10, tolerance: {gap_beta: 1.0e-9}}\n");
  MemoryEstimate e = EstimateMemory(c, {});
  EXPECT_EQ(e.n, 40);
  EXPECT_EQ(e.n_key, "game.path");
  e.available_bytes = 1.0;
  ExpectInputError([&] { CheckMemory(c, {}, e); }, {"game.path", "a 40 x 40 matrix needs about"});
  // The file's size bounds n: a first line of 10 000 fields in a 20 kB file is at most 101 x 101.
  const std::string wide = dir.File("wide.csv", std::string(19999, ',') + "\n");
  const ExperimentConfig w =
      Parse(std::string(kBase) + "game: {type: matrix, path: " + wide + "}\nsolvers: [{name: nash_mp}]\nseeds: [0]\n");
  EXPECT_EQ(EstimateMemory(w, {}).n, 101);
}

TEST(Memory, HoldsNoTraceRows) {
  // A billion logged rows need no memory: they stream to files (output/trace.h).
  const std::string game = "game: {type: rps3}\nsolvers: [{name: nash_mp}, {name: omd}]\nseeds: [0, 1]\n";
  const ExperimentConfig many = Parse(std::string(kBase) + game + "stop: {iterations: 1000000000}\nlog: {every: 1}\n");
  const ExperimentConfig few = Parse(std::string(kBase) + game + "stop: {iterations: 10}\n");
  EXPECT_EQ(EstimateMemory(many, {}).bytes, EstimateMemory(few, {}).bytes);
}

TEST(CostEstimate, BoundsCallsByTheStopRulesAndExtrapolatesTime) {
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: random_uniform, n: 8}\nseeds: [0, 1, 2]\n"
                                 "solvers: [{name: nash_mp}, {name: omd}, {name: prox}]\n"
                                 "stop: {iterations: 1000000000000, tolerance: {gap_beta: 1.0e-300}}\n");
  const CostEstimate e = EstimateCost(c, 2);
  ASSERT_EQ(e.solvers.size(), 3u);
  EXPECT_EQ(e.calibration_iterations, 32);
  EXPECT_EQ(e.solvers[0].label, "nash_mp");
  EXPECT_EQ(e.solvers[0].max_iterations, 1000000000000);
  EXPECT_EQ(e.solvers[0].calls_per_iteration, 2.0);
  EXPECT_TRUE(e.solvers[0].calls_constant);
  EXPECT_EQ(e.solvers[0].max_oracle_calls, 2e12);
  EXPECT_EQ(e.solvers[1].max_oracle_calls, 1e12);
  EXPECT_GT(e.solvers[0].max_seconds, 0.0);
  EXPECT_GT(e.total_oracle_calls, 3 * 3e12);  // prox does more
  EXPECT_GT(e.total_seconds, 0.0);
  EXPECT_TRUE(e.equilibrium_timed);

  // An oracle-call budget bounds the iterations.
  ExperimentConfig budget = c;
  budget.stop.oracle_calls = 1000;
  const CostEstimate b = EstimateCost(budget, 1);
  EXPECT_EQ(b.solvers[0].max_iterations, 500);
  EXPECT_EQ(b.solvers[1].max_iterations, 1000);
}

// Beyond kCalibrationEquilibriumMaxN the dry run does not solve pi*; it estimates it from one timed
// product and the product count expected at beta, and counts it in the total.
TEST(EstimateCost, EstimatesTheEquilibriumOfALargeGameFromItsProducts) {
  EXPECT_EQ(EquilibriumProductsEstimate(0.1), 100.0);
  EXPECT_EQ(EquilibriumProductsEstimate(0.01), 100.0);
  EXPECT_NEAR(EquilibriumProductsEstimate(1e-4), 1e4, 1e-9);
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 20000}\n"
                                   "solvers: [{name: nash_mp}]\nseeds: [0]\nstop: {iterations: 10}\n");
  const CostEstimate e = EstimateCost(c, 1);
  EXPECT_FALSE(e.equilibrium_timed);
  EXPECT_GT(e.product_seconds, 0.0);
  EXPECT_EQ(e.equilibrium_products, 100.0);
  EXPECT_DOUBLE_EQ(e.equilibrium_seconds, 100.0 * e.product_seconds);
  EXPECT_GE(e.total_seconds, e.equilibrium_seconds + e.game_seconds);
  // Small games are timed, not estimated.
  const CostEstimate small = EstimateCost(Parse(std::string(kBase) + "game: {type: low_rank_cyclic, n: 200}\n"
                                                "solvers: [{name: nash_mp}]\nseeds: [0]\nstop: {iterations: 10}\n"), 1);
  EXPECT_TRUE(small.equilibrium_timed);
  EXPECT_EQ(small.product_seconds, 0.0);
}

// A query budget bounds a sampled solver's iterations (at its queries per iteration, rounded up) and
// leaves an exact solver at its cap; the sweep's cheaper measurement agrees.
TEST(CostEstimate, TurnsAQueryBudgetIntoIterations) {
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: random_uniform, n: 6}\nseeds: [0, 1]\n"
                                 "solvers: [{name: omd}, {name: omd, oracle: {type: sampled, batch: 32}},\n"
                                 "          {name: egpo, oracle: {type: pairs, batch: 16, sampler: uniform}}]\n"
                                 "stop: {iterations: 200, queries: 1000}\n");
  const CostEstimate e = EstimateCost(c, 1);
  ASSERT_EQ(e.solvers.size(), 3u);
  EXPECT_EQ(e.solvers[0].max_iterations, 200);
  EXPECT_EQ(e.solvers[0].queries_per_iteration, 0.0);
  EXPECT_EQ(e.solvers[0].max_queries, 0.0);
  for (size_t i : {1, 2}) {
    EXPECT_EQ(e.solvers[i].queries_per_iteration, 32.0) << i;  // egpo: two estimates of 16
    EXPECT_EQ(e.solvers[i].calls_per_iteration, 0.0) << i;
    EXPECT_EQ(e.solvers[i].max_iterations, 32) << i;  // ceil(1000 / 32)
    EXPECT_EQ(e.solvers[i].max_queries, 1024.0) << i;
  }
  EXPECT_EQ(e.total_oracle_calls, 2 * 200.0);
  EXPECT_EQ(e.total_queries, 2 * 2 * 1024.0);

  const std::vector<StepCost> costs = MeasureStepCosts(c);
  ASSERT_EQ(costs.size(), 3u);
  EXPECT_EQ(costs[0].oracle_calls, 1.0);
  EXPECT_EQ(costs[0].queries, 0.0);
  EXPECT_EQ(costs[2].queries, 32.0);
  EXPECT_TRUE(costs[2].constant);
  EXPECT_EQ(MaxIterations(c.stop, costs[0]), 200);
  EXPECT_EQ(MaxIterations(c.stop, costs[1]), 32);
  // Whichever budget runs out first; a budget beyond the cap leaves the cap.
  StopRules both = c.stop;
  both.oracle_calls = 50;
  EXPECT_EQ(MaxIterations(both, costs[0]), 50);
  EXPECT_EQ(MaxIterations(both, costs[1]), 32);
  both.queries = 1000000;
  EXPECT_EQ(MaxIterations(both, costs[1]), 200);
}

}  // namespace
}  // namespace nlhf

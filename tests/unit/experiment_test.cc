// The experiment layer: non-finite metrics in trace rows, equilibrium: none, the first game built
// once, pi* progress, and the dry run's cost estimate. (The memory estimate: memory_estimate_test.cc.)
#include "nlhf/experiment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
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

// A run that ends stalled says so in its last progress event, with the best value (the progress
// line's "best V"): the quickstart's mwu seed 0.
TEST(RunExperiment, TheFinishedEventCarriesTheStall) {
  const ExperimentConfig c = Parse(
      "name: t\ngame: {type: random_uniform, n: 10}\nreference: {type: softmax_normal, scale: 1}\nbeta: 0.01\n"
      "seeds: [0]\nsolvers: [{name: mwu}]\nstop: {iterations: 20000, tolerance: {gap_beta: 1.0e-10}}\n"
      "log: {spacing: log, points_per_decade: 20}\n");
  std::vector<ProgressEvent> finished;
  ExperimentOptions options;
  options.progress = [&](const ProgressEvent& e) {
    if (e.finished) finished.push_back(e);
  };
  const ExperimentResult r = RunExperiment(c, options);
  ASSERT_EQ(finished.size(), 1u);
  const RunSummary& s = r.runs[0].summary;
  ASSERT_GE(s.stalled_since, 0);
  EXPECT_EQ(finished[0].stalled_since, s.stalled_since);
  EXPECT_GT(s.stalled_at, 0.0);
  EXPECT_EQ(finished[0].stalled_at, s.stalled_at);
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
// Steps so slow that 32 of them take seconds (a sampled oracle's batch of 3e7 preference queries): the
// dry run times as many as about a second allows, not all 32.
TEST(EstimateCost, TimesFewerIterationsWhereTheyAreSlow) {
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 5}\n"
                                   "solvers: [{name: omd, oracle: {type: sampled, batch: 30000000}}]\n"
                                   "stop: {iterations: 100}\n");
  const CostEstimate e = EstimateCost(c, 1);
  EXPECT_EQ(e.calibration_iterations, 32);
  EXPECT_LT(e.fewest_calibration_iterations, 32);
  EXPECT_GE(e.fewest_calibration_iterations, 1);
  ASSERT_EQ(e.solvers.size(), 1u);
  EXPECT_GT(e.solvers[0].seconds_per_iteration, 0.0);
}

// The game ValidateExperiment built is used, not built again: its build's seconds are the game's
// (plus the descriptors' pass over P, timed here), and the estimate is the one a fresh build gives.
TEST(EstimateCost, UsesAGameBuiltAlreadyWithItsBuildTime) {
  const ExperimentConfig c = Parse(std::string(kBase) + "game: {type: random_uniform, n: 20}\n"
                                   "solvers: [{name: omd}]\nstop: {iterations: 100}\n");
  const CostEstimate fresh = EstimateCost(c, 1);
  const CostEstimate reused = EstimateCost(c, 1, BuildFirstGame(c), 123.0);
  EXPECT_GE(reused.game_seconds, 123.0);  // the build's seconds as given, not a new build's
  ASSERT_EQ(reused.solvers.size(), 1u);
  EXPECT_EQ(reused.solvers[0].max_oracle_calls, fresh.solvers[0].max_oracle_calls);
  EXPECT_EQ(reused.equilibrium_timed, fresh.equilibrium_timed);
}

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

namespace nlhf {
namespace {

constexpr const char* kZero = "name: z\ngame: {type: rps3, x: 0.9, y: 0.9, z: 0.8}\nreference: {type: softmax_normal}\n"
                              "beta: 0\nsolvers: [{name: mwu, eta: 0.1}, {name: omwu, eta: 0.5}]\n"
                              "stop: {iterations: 2000}\n";

// At beta = 0, pi* is the selected Nash equilibrium: kl_to_star and kl_to_ne both measure KL(pi_NE || pi),
// with pi_NE = (4/11, 3/11, 4/11) here (COMAL's game), and mwu's and omwu's averages get their columns.
TEST(RunGroup, AtBetaZeroPiStarIsTheSelectedNashEquilibrium) {
  const ExperimentConfig c = Parse(kZero);
  ASSERT_TRUE(c.SolvesNash());
  ASSERT_FALSE(c.SolvesEquilibrium());
  const auto [g, rows] = RunGroupWithTrace(c);
  ASSERT_TRUE(g.game.nash.has_value());
  ASSERT_TRUE(g.game.nash->certified) << g.game.nash->message;
  EXPECT_NEAR(g.game.nash->pi[1], 3.0 / 11.0, 1e-14);
  Eigen::VectorXd ne(3);
  ne << 4.0 / 11.0, 3.0 / 11.0, 4.0 / 11.0;
  for (const RunResult& r : g.runs) {
    const MetricValues& f = r.summary.final_metrics;
    const double kl = KlFromLogits(ne.array().log().matrix(), r.summary.final_logits);
    EXPECT_NEAR(f[static_cast<size_t>(Metric::kKlToStar)], kl, 1e-12 * (1.0 + kl)) << r.label;
    EXPECT_EQ(f[static_cast<size_t>(Metric::kKlToStar)], f[static_cast<size_t>(Metric::kKlToNe)]);
    EXPECT_TRUE(std::isnan(f[static_cast<size_t>(Metric::kKlFromStar)]));  // not defined at beta = 0
    EXPECT_TRUE(std::isnan(f[static_cast<size_t>(Metric::kFpResidual)]));
    EXPECT_FALSE(r.target_gap_beta.has_value());
    ASSERT_TRUE(r.summary.final_average_metrics.has_value());
  }
  // omwu's last iterate converges to the NE; mwu's does not, its average does (much closer).
  EXPECT_LT(g.runs[1].summary.final_metrics[static_cast<size_t>(Metric::kKlToNe)], 1e-3);
  const double mwu_last = g.runs[0].summary.final_metrics[static_cast<size_t>(Metric::kKlToNe)];
  const double mwu_avg = (*g.runs[0].summary.final_average_metrics)[static_cast<size_t>(Metric::kKlToNe)];
  EXPECT_LT(10.0 * mwu_avg, mwu_last);
  // Every trace row has the average's two cells filled (the last two columns).
  size_t lines = 0;
  for (size_t at = 0, end; (end = rows.find('\n', at)) != std::string::npos; at = end + 1, ++lines) {
    const std::string line = rows.substr(at, end - at);
    const size_t comma = line.rfind(','), comma2 = line.rfind(',', comma - 1);
    EXPECT_GT(end - at, 0u);
    EXPECT_NE(comma, line.size() - 1) << line;
    EXPECT_NE(comma2 + 1, comma) << line;
  }
  EXPECT_GT(lines, 10u);
}

TEST(RunGroup, KlToNeIsMeasuredAtBetaAboveZeroWhenAskedFor) {
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: rps3, x: 0.9, y: 0.9, z: 0.8}\nsolvers: [{name: nash_mp}]\n"
                                 "ne_selection: max_entropy\nstop: {iterations: 100000, tolerance: {kl_to_star: 1e-24}}\n"
                                 "log: {metrics: [gap_beta, kl_to_star, kl_to_ne]}\n");
  ASSERT_TRUE(c.SolvesNash());
  const auto [g, rows] = RunGroupWithTrace(c);
  ASSERT_TRUE(g.game.nash && g.game.nash->certified);
  ASSERT_TRUE(g.game.equilibrium && g.game.equilibrium->certified());
  // The run ends at pi*_0.1: its kl_to_ne is the regularization bias KL(pi_NE || pi*_0.1).
  const double bias = KlFromLogits(g.game.nash->log_pi, g.game.equilibrium->log_pi);
  EXPECT_GT(bias, 1e-4);
  EXPECT_NEAR(g.runs[0].summary.final_metrics[static_cast<size_t>(Metric::kKlToNe)], bias, 1e-9);
  // Not asked for: not computed, and the LPs are not run.
  const ExperimentConfig without = Parse(std::string(kBase) + "game: {type: rps3}\nsolvers: [{name: nash_mp}]\n");
  EXPECT_FALSE(without.SolvesNash());
  EXPECT_FALSE(RunGroupWithTrace(without).first.game.nash.has_value());
}

TEST(ValidateExperiment, BetaZeroNeedsAStoredGame) {
  const ExperimentConfig c = Parse("name: z\ngame: {type: low_rank_cyclic, n: 200, k: 2}\nbeta: 0\n"
                                   "solvers: [{name: mwu}]\n");
  ExpectInputError([&] { ValidateExperiment(c); }, {"beta", "0 needs the beta = 0 equilibrium", "implicit game"});
  const ExperimentConfig none = Parse("name: z\ngame: {type: low_rank_cyclic, n: 200, k: 2}\nbeta: 0\n"
                                      "equilibrium: none\nsolvers: [{name: mwu}]\n");
  EXPECT_NO_THROW(ValidateExperiment(none));
}

}  // namespace
}  // namespace nlhf

namespace nlhf {
namespace {

// A moving-reference method aims at the beta = 0 equilibrium while it runs at beta > 0: kl_to_ne
// measures it, and falls far below the bias of the fixed-reference run (its pi*_beta).
TEST(RunGroup, KlToNeFollowsAMovingReferenceToTheUnregularizedEquilibrium) {
  const ExperimentConfig c =
      Parse(std::string(kBase) + "game: {type: rps3, x: 0.9, y: 0.9, z: 0.8}\n"
                                 "solvers: [{name: nash_mp}, {name: nash_mp, label: moving, reference_every: 50}]\n"
                                 "stop: {iterations: 3000}\nlog: {metrics: [gap_0, kl_to_ne]}\n");
  const auto [g, rows] = RunGroupWithTrace(c);
  const double fixed = g.runs[0].summary.final_metrics[static_cast<size_t>(Metric::kKlToNe)];
  const double moving = g.runs[1].summary.final_metrics[static_cast<size_t>(Metric::kKlToNe)];
  EXPECT_GT(fixed, 1e-4);  // the regularization bias at beta = 0.1
  EXPECT_LT(moving, 1e-12);
  EXPECT_LT(g.runs[1].summary.final_metrics[static_cast<size_t>(Metric::kGap0)], 1e-6);
}

// A set cancel flag stops RunExperiment with Cancelled wherever it is: between the Newton
// iterations of a game's pi* (no run starts), and in runs that would never end (a missed flag: 30
// s, then a failure); RunGroup too.
TEST(RunExperiment, ACancelFlagStopsItWithCancelledWhereverItIs) {
  const ExperimentConfig c =
      Parse(std::string(kBase) +
            "game: {type: random_uniform, n: 30}\nsolvers: [{name: nash_mp}, {name: omd}]\n"
            "seeds: [0, 1, 2]\nstop: {iterations: 1000000000000, wall_s: 30}\n");
  std::atomic<bool> cancel{false};
  ExperimentOptions options;
  options.jobs = 2;
  options.cancel = &cancel;
  // One game: the Newton iteration after the one that set the flag does not start.
  bool run_started = false;
  int newton_after = 0;
  options.progress = [&](const ProgressEvent& e) {
    if (!e.label.empty()) run_started = true;
    if (e.newton_iteration == 0) return;
    newton_after += cancel.load() ? 1 : 0;
    cancel.store(true);
  };
  ExperimentConfig one = c;
  one.seeds = {0};
  EXPECT_THROW(RunExperiment(one, options), Cancelled);
  EXPECT_FALSE(run_started);
  EXPECT_EQ(newton_after, 0);
  // In the runs: the flag is set once every run has started (they never end by themselves).
  cancel.store(false);
  std::atomic<int> started{0};
  options.progress = [&](const ProgressEvent& e) {
    if (!e.label.empty() && e.iteration == 0 && ++started == 2) cancel.store(true);
  };
  EXPECT_THROW(RunExperiment(c, options), Cancelled);
  EXPECT_GE(started.load(), 2);
  cancel.store(true);
  EXPECT_THROW(RunGroup(c, 0, "", nullptr, "", &cancel), Cancelled);
}

}  // namespace
}  // namespace nlhf

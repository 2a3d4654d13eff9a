#pragma once
// Runs an experiment: one game per seed (its pi*_beta certified once and shared by its solvers),
// every solver on every game, in parallel over `jobs` threads, with results in a fixed order so
// the output does not depend on `jobs`. The run driver (run.h) owns each run's loop.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nlhf/config.h"
#include "nlhf/descriptors.h"
#include "nlhf/equilibrium.h"
#include "nlhf/run.h"

namespace nlhf {

struct RunResult {
  std::string run_id;  // stable: a hash of the run's resolved description
  std::string solver;  // registry name
  std::string label;   // the solver entry's label (config.solvers[i].label)
  std::string params;  // canonical spec of the solver's effective parameters
  std::uint64_t seed = 0;
  size_t game_index = 0;  // into ExperimentResult::games
  RunSummary summary;
  std::optional<double> stability_limit;
  std::string trace_rows;  // CSV rows (no header)
  std::int64_t trace_row_count = 0;
  double eval_s = 0.0;  // metric evaluation and trace formatting
};

struct GameResult {
  std::uint64_t seed = 0;
  std::string game_spec, reference_spec;
  Eigen::Index n = 0;
  std::optional<Equilibrium> equilibrium;  // absent at beta = 0
  GameDescriptors descriptors;
};

struct ExperimentResult {
  std::vector<GameResult> games;
  std::vector<RunResult> runs;  // seed-major, solvers in config order
  double wall_s = 0.0;
  double games_s = 0.0;  // building games and certifying equilibria
  bool any_numerical_failure() const;
};

// Called from worker threads: (runs finished, total runs, a running run's iteration and gap_beta).
struct ProgressEvent {
  std::int64_t runs_done = 0, runs_total = 0;
  std::string solver;
  std::uint64_t seed = 0;
  std::int64_t iteration = 0;
  double gap_beta = 0.0;
};
using ProgressFn = std::function<void(const ProgressEvent&)>;

struct ExperimentOptions {
  int jobs = 1;
  ProgressFn progress;  // may be empty
};

// Builds the first game and resets every solver on it, so that step values that are invalid for
// this beta are reported (with their file location) before anything runs. Throws InputErrors.
void ValidateExperiment(const ExperimentConfig& config);

ExperimentResult RunExperiment(const ExperimentConfig& config, const ExperimentOptions& options);

// One game (the config's seed number `seed_index`) and every solver on it, in order, on the calling
// thread: the unit of work of a sweep.
struct GroupResult {
  GameResult game;
  std::vector<RunResult> runs;
};
// `fingerprint` is ExperimentFingerprint(config), passed in when the caller already has it.
GroupResult RunGroup(const ExperimentConfig& config, size_t seed_index, const std::string& fingerprint = "");

// summary.json: one object per run.
std::string SummaryJson(const ExperimentConfig& config, const ExperimentResult& result);

}  // namespace nlhf

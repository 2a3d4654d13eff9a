#pragma once
// Runs an experiment: one game per seed (its pi*_beta certified once and shared by its solvers),
// every solver on every game, in parallel over `jobs` threads, with results in a fixed order so
// the output does not depend on `jobs`. The run driver (run.h) owns each run's loop.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nlhf/config.h"
#include "nlhf/descriptors.h"
#include "nlhf/equilibrium.h"
#include "nlhf/game_cache.h"
#include "nlhf/nash_set.h"
#include "nlhf/memory_estimate.h"
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
  std::optional<double> rho;              // of the game at pi*_beta (certified games only)
  std::optional<double> stability_limit;  // the solver's, at this game (needs rho)
  // gap_beta of the point the solver is predicted to converge to: pi*_beta (its certificate) or,
  // for a biased method, BR_beta(pi*_{beta/(1-c)}); absent for methods aiming at the beta = 0
  // game and when that point could not be certified.
  std::optional<double> target_gap_beta;
  std::int64_t trace_row_count = 0;  // rows written to the trace (none without one)
  std::int64_t trace_bytes = 0;     // their size: the run's byte range in its spool or batch file
  // Not solver time: metric evaluation, trace writing and the run's other checks (summary.metrics_s
  // is the metrics' part), then certifying the limit point of a biased solver (target_gap_beta;
  // 0 for the others).
  double eval_s = 0.0, target_s = 0.0;
};

struct GameResult {
  std::uint64_t seed = 0;
  std::string game_spec, reference_spec;
  Eigen::Index n = 0;
  std::optional<Equilibrium> equilibrium;  // absent at beta = 0
  // The selected Nash equilibrium of the beta = 0 game (ExperimentConfig::SolvesNash): pi* at
  // beta = 0, and the target of kl_to_ne at any beta.
  std::optional<NashEquilibrium> nash;
  // Absent for an implicit game: Describe reads every triple of a stored P (O(n^3)).
  std::optional<GameDescriptors> descriptors;
};

struct ExperimentResult {
  std::vector<GameResult> games;
  std::vector<RunResult> runs;  // seed-major, solvers in config order
  double wall_s = 0.0;
  double games_s = 0.0;  // building games and certifying equilibria
  bool any_numerical_failure() const;
};

// Called from worker threads a few times a second per running run, and once when a run ends.
// An event with an empty `label` means the games and their equilibria are being prepared.
struct ProgressEvent {
  // runs_done: the runs finished when the event was sent. Events of parallel runs may arrive out of
  // order, so a later one can count fewer (ProgressDisplay shows the largest count seen).
  std::int64_t runs_done = 0, runs_total = 0;
  size_t run_index = 0;   // into ExperimentResult::runs
  bool finished = false;  // this run has ended (it counts in runs_done)
  std::string label;      // the solver entry's label
  bool certifying = true;  // (preparing) the games' equilibria are being certified too
  // (preparing) the latest Newton iteration of a game's pi* (EquilibriumProgress), 0 before any: a
  // large game's certification can take minutes, and this is its sign of life. `seed` is its game's.
  int newton_iteration = 0;
  double newton_beta = 0.0;  // the continuation stage's beta
  double newton_residual = 0.0;
  std::uint64_t seed = 0;
  std::int64_t iteration = 0;
  std::int64_t iterations_cap = 0;  // stop.iterations
  // The share of this run's largest possible work done so far: the largest of iterations, oracle
  // calls, queries and wall time over their caps (a tolerance may end it sooner).
  double fraction = 0.0;
  std::string metric = "gap_beta";  // the first tolerance metric, else gap_beta
  double value = std::numeric_limits<double>::quiet_NaN();  // its latest value
  std::int64_t stalled_since = -1;  // the stall rule (run.h): iteration, -1 if not stalled
  double stalled_at = 0.0;
};
using ProgressFn = std::function<void(const ProgressEvent&)>;

class TraceSpool;        // output/trace_spool.h
struct TraceRunColumns;  // output/trace.h
// One more observer of run `run_index` (into ExperimentResult::runs) besides the trace and the progress
// relay, given the run's constant trace columns; called on the run's worker thread before it starts,
// so from up to `jobs` threads at once (each run_index once). The observer must outlive the run (the
// caller owns it); nullptr: none. The Python bindings collect each run's trace as columns this way.
using RunObserverFactory = std::function<RunObserver*(size_t run_index, const TraceRunColumns& columns)>;

struct ExperimentOptions {
  int jobs = 1;
  ProgressFn progress;  // may be empty
  // Where the runs write their trace rows as they go (run k's rows are the spool's run k); none
  // when null.
  TraceSpool* trace = nullptr;
  // The game of config.seeds[0] when it is already built (ValidateExperiment returns it); null: built.
  std::shared_ptr<const Game> first_game;
  // Each run's extra observer (see RunObserverFactory); may be empty.
  RunObserverFactory observer;
  // Set: RunExperiment stops, throwing Cancelled (nlhf/cancel.h); the trace spool's rows are not
  // the experiment's. Null: it runs to the end.
  CancelFlag cancel = nullptr;
};

// What `equilibrium: none` leaves out, as summary.json and nlhf-run's notes say it: "equilibrium:
// none: pi* was not computed; kl_to_star, ... are empty cells, and so are rho, ...".
std::string EquilibriumNoneNote();

// Checks the memory estimate against what is available (nothing is built when it does not fit),
// then builds the first game and resets every solver on it, so that step values that are invalid
// for this beta are reported (with their file location) before anything runs. Throws InputErrors.
// Returns that game (seeds[0]'s), which RunExperiment can take instead of building it again
// (ExperimentOptions::first_game): at n = 10^4 a dense game takes about a second to build.
// `built`: that game, built already (for another sweep point with the same GameKey(config) and
// seeds[0]: points that differ in beta or solvers share it), which is then checked and returned
// instead of being built again; null: built here.
std::shared_ptr<const Game> ValidateExperiment(const ExperimentConfig& config, const ResourcePlan& plan = {},
                                               std::shared_ptr<const Game> built = nullptr);

// What one iteration of a solver costs, averaged over a few measured steps.
struct StepCost {
  double oracle_calls = 0.0;  // exact evaluations of P pi per iteration
  double queries = 0.0;       // preference queries per iteration (0 with the exact oracle)
  bool constant = true;       // every measured step cost the same
};
// The most iterations one run can make under `stop` (tolerances and wall time aside): the iteration
// cap, or fewer when a budget runs out first at `cost` per iteration (a run stops at the first
// iteration whose cumulative oracle calls or queries reach their budget).
std::int64_t MaxIterations(const StopRules& stop, const StepCost& cost);
// Per solver entry: the cost of an iteration on the first seed's game, each solver reset as
// ValidateExperiment does (at the bound on rho): its CostPerStep(), or where that varies the mean
// over `steps` steps. Cheap (no equilibrium, no metrics): for nlhf-sweep --dry-run, which turns
// budgets into iterations with it.
// `game`: config.seeds[0]'s game, built already (LastGame); null: built here.
std::vector<StepCost> MeasureStepCosts(const ExperimentConfig& config, std::int64_t steps = 4,
                                       std::shared_ptr<const Game> game = nullptr);
// The game of config.seeds[0], its input files checked unchanged (as every build of a game is).
std::shared_ptr<const Game> BuildFirstGame(const ExperimentConfig& config);

// What an experiment will cost at most, from its stop rules and a short calibration: a few dozen
// iterations of each solver (with the experiment's metric evaluation) on the first seed's game.
// EstimateCost solves (and times) the first game's equilibrium up to this n (well under 1 s).
inline constexpr Eigen::Index kCalibrationEquilibriumMaxN = 1000;
// Products P x the certified pi* takes at beta, as measured on the Krylov path (random_uniform
// n = 1000: about 100, 1400 and 9000 at beta = 1e-2, 1e-3, 1e-4; n = 10^4 dense and n = 10^6 implicit
// low_rank_cyclic about 60 and 270 at beta = 1e-2, rho included): 100 max(1, 0.01 / beta). A rough
// guide for the dry run, not a bound (the dense path below n = 5000 is faster at small beta).
double EquilibriumProductsEstimate(double beta);
struct CostEstimate {
  struct Solver {
    std::string label;
    double calls_per_iteration = 0.0;  // measured
    double queries_per_iteration = 0.0;  // measured (0 with the exact oracle)
    bool calls_constant = true;        // every calibration step cost the same (the bound is exact)
    double seconds_per_iteration = 0.0;
    std::int64_t max_iterations = 0;   // per run, from the stop rules (without tolerances)
    double max_oracle_calls = 0.0;     // per run
    double max_queries = 0.0;          // per run
    double max_seconds = 0.0;          // per run
    std::vector<std::string> notes;    // the solver's notes on this game (e.g. a clamped auto step)
  };
  std::vector<Solver> solvers;
  std::int64_t calibration_iterations = 0;
  // The fewest a solver made: fewer where its calibration_iterations took over about a second.
  std::int64_t fewest_calibration_iterations = 0;
  double game_seconds = 0.0;         // building the first game
  double equilibrium_seconds = 0.0;  // certifying its equilibrium (timed only for n <= 1000)
  bool equilibrium_timed = false;
  // When it is not timed: one product P x on the first game (seconds, the fastest of three), and
  // the products pi* is expected to take, EquilibriumProductsEstimate(beta).
  double product_seconds = 0.0;
  double equilibrium_products = 0.0;
  double total_oracle_calls = 0.0;
  double total_queries = 0.0;
  double total_seconds = 0.0;     // all runs on `jobs` workers, plus the games and their equilibria
  bool wall_capped = false;       // stop.wall_s bounds every run
};
// `built`: config.seeds[0]'s game when it is built already (ValidateExperiment's), with the seconds
// its build took (`built_seconds`); null: built and timed here. game_seconds is the build's time
// plus the descriptors' pass over P, timed here (the run makes it for every game that stores P). At large n
// a second build would double the dry run, and holding two would double its memory.
CostEstimate EstimateCost(const ExperimentConfig& config, int jobs, std::shared_ptr<const Game> built = nullptr,
                          double built_seconds = 0.0);

ExperimentResult RunExperiment(const ExperimentConfig& config, const ExperimentOptions& options);

// One game (the config's seed number `seed_index`) and every solver on it, in order, on the calling
// thread: the unit of work of a sweep.
struct GroupResult {
  GameResult game;
  std::vector<RunResult> runs;
  double games_s = 0.0;  // building the game and certifying its equilibria, the runs' target_s included
};
// `fingerprint` is ExperimentFingerprint(config), passed in when the caller already has it. The
// runs' trace rows are written to `trace` in solver order as they go (none when it is null);
// `trace_shown` names that file in errors. `games` (may be null) keeps built games for other
// groups: the game is taken from it when it holds the seed's game of `game_key` (GameKey(config),
// computed here when it is empty; the input files are checked unchanged as BuildGame would), else
// built and put there.
GroupResult RunGroup(const ExperimentConfig& config, size_t seed_index,
                     const std::string& fingerprint = "", std::FILE* trace = nullptr,
                     const std::string& trace_shown = "", CancelFlag cancel = nullptr,
                     GameCache* games = nullptr, const std::string& game_key = "");

}  // namespace nlhf

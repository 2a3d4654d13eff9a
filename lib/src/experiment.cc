#include "nlhf/experiment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <memory>

#include "nlhf/input_file.h"
#include "nlhf/metrics.h"
#include "nlhf/output.h"
#include "nlhf/parallel.h"
#include "nlhf/rng.h"
#include "nlhf/solver.h"
#include "nlhf/spec.h"
#include "clock.h"

namespace nlhf {

namespace {

// A library error about key K gets the location where K was written (unless it has its own, like
// a CSV cell).
InputError Relocated(const InputError& e, const ExperimentConfig& config) {
  return e.Located(config.Locate(e.key()), "");
}

// An input file must still hold what was hashed when the experiment was loaded: an edit during a
// run (or a long sweep) would otherwise mix games from two versions of the file under one hash.
// (Checked just before the game is built; an edit in the moment between the check and the read
// is not caught.)
void CheckInputsUnchanged(const ExperimentConfig& c) {
  for (const InputFile& f : c.inputs) {
    const std::string now = HashInputFile(f.path, f.key, ExpectedInputFile(f.key), kMaxCsvBytes);
    if (now != f.sha256)
      throw InputError(SourceLocation{f.path}, f.key,
                       fmt::format("changed while nlhf was running (its SHA-256 is now {}, it was {} when the "
                                   "experiment was loaded), expected the file to stay unchanged; runs made so far "
                                   "used the earlier contents",
                                   now, f.sha256));
  }
}

Game BuildGame(const ExperimentConfig& c, std::uint64_t seed) {
  CheckInputsUnchanged(c);
  BuiltOperator P = MakePreferenceOperator(c.game.name, c.game.params, seed, c.game.storage, "game");
  BuiltReference mu = MakeReference(c.reference.name, c.reference.params, P.P->n(), seed, "reference");
  return Game(std::move(P.P), std::move(mu.mu), std::move(P.spec), std::move(mu.spec));
}

std::string SolverKey(size_t i) { return fmt::format("solvers[{}]", i); }

// A stable id for solver i on seed `seed` of an experiment: a hash of the resolved experiment (so
// runs of different sweep points differ even when the run itself is the same), the seed and i.
std::string RunId(const std::string& fingerprint, std::uint64_t seed, size_t i) {
  return fmt::format("{:016x}", Fnv1a64(fmt::format("{}|seed={}|solver={}", fingerprint, seed, i)));
}

// The share of a run's largest possible work done: the largest of its counters over their caps.
double WorkFraction(const StopRules& s, std::int64_t it, std::int64_t calls, std::int64_t queries, double wall_s) {
  double f = static_cast<double>(it) / static_cast<double>(std::max<std::int64_t>(1, s.iterations));
  if (s.oracle_calls > 0) f = std::max(f, static_cast<double>(calls) / static_cast<double>(s.oracle_calls));
  if (s.queries > 0) f = std::max(f, static_cast<double>(queries) / static_cast<double>(s.queries));
  if (s.wall_s > 0.0) f = std::max(f, wall_s / s.wall_s);
  return std::min(f, 1.0);
}

// Passes a run's progress on: its first record, then a heartbeat a few times a second.
class ProgressRelay : public RunObserver {
 public:
  ProgressRelay(const ProgressFn& progress, ProgressEvent event, const StopRules& stop)
      : progress_(progress), event_(std::move(event)), stop_(stop),
        watched_(static_cast<size_t>(stop.tolerances.empty() ? Metric::kGapBeta : stop.tolerances.front().first)) {
    event_.metric = std::string(MetricTable()[watched_].name);
    event_.iterations_cap = stop.iterations;
  }

  void OnRecord(const Record& r) override {
    if (r.computed[watched_]) event_.value = r.metrics[watched_];
    if (r.iteration == 0) progress_(event_);
  }

  void OnHeartbeat(const Heartbeat& b) override {
    event_.iteration = b.iteration;
    event_.fraction = WorkFraction(stop_, b.iteration, b.oracle_calls, b.queries, b.wall_s);
    if (!std::isnan(b.watched)) event_.value = b.watched;
    event_.stalled_since = b.stalled_since;
    event_.stalled_at = b.stalled_at;
    progress_(event_);
  }

 private:
  const ProgressFn& progress_;
  ProgressEvent event_;
  const StopRules& stop_;
  const size_t watched_;  // the metric the progress line shows
};

// Builds seed number g's game, its descriptors (games that store their entries, dense or float32:
// they read every entry of P) and (beta > 0, equilibrium: certified) its certified equilibrium.
// `progress` (may be empty) hears of each Newton iteration of the game's pi*, as a preparing event.
// `built` (may be null) is this game already built (ValidateExperiment's first game), used as it
// is. `cancel` is polled while pi* is certified (EquilibriumOptions::cancel).
std::shared_ptr<const Game> PrepareGame(const ExperimentConfig& config, size_t g, GameResult& gr,
                                        const ProgressFn& progress = nullptr,
                                        std::int64_t runs_total = 0,
                                        std::shared_ptr<const Game> built = nullptr,
                                        CancelFlag cancel = nullptr) {
  std::shared_ptr<const Game> game;
  if (built) {
    CheckInputsUnchanged(config);  // as BuildGame would: the file may have changed since it was read
    game = std::move(built);
  } else {
    game = std::make_shared<const Game>(BuildGame(config, config.seeds[g]));
  }
  gr.seed = config.seeds[g];
  gr.game_spec = game->game_spec();
  gr.reference_spec = game->reference_spec();
  gr.n = game->n();
  if (game->preferences().stores_entries()) gr.descriptors = Describe(game->preferences());
  if (config.SolvesEquilibrium()) {
    EquilibriumOptions options;
    options.cancel = cancel;
    if (progress) {
      options.progress = [&](const EquilibriumProgress& p) {
        ProgressEvent event;
        event.runs_total = runs_total;
        event.seed = gr.seed;
        event.newton_iteration = p.newton_iteration;
        event.newton_beta = p.beta;
        event.newton_residual = p.residual;
        progress(event);
      };
    }
    gr.equilibrium = SolveEquilibrium(*game, config.beta, options);
  }
  if (config.SolvesNash())
    gr.nash = SolveNashEquilibrium(*game, {.selection = config.ne_selection, .cancel = cancel});
  return game;
}

// Runs solver i on a prepared game; its trace rows go to `trace` (none when it is null), and to the
// observer `observer` makes for run `run_index`, if any.
void RunOne(const ExperimentConfig& config, const std::string& fingerprint, const Game& game,
            const GameResult& gr, size_t i, const ProgressFn& progress, const ProgressEvent& event,
            RunResult& run, std::FILE* trace, const std::string& trace_shown,
            const RunObserverFactory& observer = {}, size_t run_index = 0,
            CancelFlag cancel = nullptr) {
  run.solver = config.solvers[i].name;
  run.label = config.solvers[i].label;
  run.seed = gr.seed;
  auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
  const bool certified = gr.equilibrium && gr.equilibrium->certified();
  const bool nash_certified = gr.nash && gr.nash->certified;
  std::optional<double> rho;
  if (certified && gr.equilibrium->stability) rho = gr.equilibrium->stability->rho;
  try {
    solver->Reset(SolverContext{&game, config.beta, {}, rho, false, config.solvers[i].oracle, gr.seed});
  } catch (const InputError& e) {
    // A step resolved on this game's rho (auto, X*limit): located at the key, naming the game.
    const SourceLocation where = e.where().file.empty() ? config.Locate(e.key()) : e.where();
    throw InputError(where, e.key(), fmt::format("on the game of seed {} ({}): {}", gr.seed, gr.game_spec, e.problem()));
  }
  run.params = SolverSpec(run.solver, *solver);
  run.rho = rho;
  run.stability_limit = solver->StabilityLimit();
  RunOptions ro;
  ro.stop = config.stop;
  ro.log = config.log;
  if (nash_certified) ro.log_pi_ne = gr.nash->log_pi;
  ro.cancel = cancel;
  run.run_id = RunId(fingerprint, gr.seed, i);
  std::vector<RunObserver*> observers;
  const TraceRunColumns columns{config.name, run.run_id, gr.game_spec, gr.n, config.beta, gr.reference_spec,
                                run.solver, run.label, run.params, gr.seed};
  std::optional<TraceWriter> writer;
  if (trace != nullptr) observers.push_back(&writer.emplace(trace, columns, trace_shown));
  if (observer)
    if (RunObserver* extra = observer(run_index, columns)) observers.push_back(extra);
  std::optional<ProgressRelay> relay;
  if (progress) observers.push_back(&relay.emplace(progress, event, config.stop));
  const Eigen::VectorXd empty;
  const auto t0 = Clock::now();
  // pi* is pi*_beta, and at beta = 0 the selected Nash equilibrium.
  const Eigen::VectorXd& star = certified ? gr.equilibrium->log_pi
                                : config.beta == 0.0 && nash_certified ? gr.nash->log_pi
                                                                      : empty;
  run.summary = RunSolver(*solver, game, config.beta, star, ro, observers);
  if (writer) {
    writer->Flush();
    run.trace_row_count = writer->rows();
    run.trace_bytes = writer->bytes();
  }
  const auto target_start = Clock::now();
  if (certified)
    run.target_gap_beta =
        TargetGapBeta(*solver, game, config.beta, *gr.equilibrium, run.summary.warnings, cancel);
  // A biased solver's limit point is certified by a solve (games and equilibria); the others' is
  // the certificate at hand.
  if (certified && solver->Target() == SolverTarget::kBiased) run.target_s = SecondsSince(target_start);
  run.eval_s = SecondsSince(t0) - run.summary.wall_s - run.target_s;
}

}  // namespace

GroupResult RunGroup(const ExperimentConfig& config, size_t seed_index,
                     const std::string& given_fingerprint, std::FILE* trace,
                     const std::string& trace_shown, CancelFlag cancel, GameCache* games,
                     const std::string& game_key) {
  GroupResult out;
  const std::string fingerprint = given_fingerprint.empty() ? ExperimentFingerprint(config) : given_fingerprint;
  const auto start = Clock::now();
  const std::uint64_t seed = config.seeds[seed_index];
  const std::string key = games != nullptr && game_key.empty() ? GameKey(config) : game_key;
  std::shared_ptr<const Game> kept = games != nullptr ? games->Find(key, seed) : nullptr;
  const bool built_here = kept == nullptr;
  const std::shared_ptr<const Game> game =
      PrepareGame(config, seed_index, out.game, nullptr, 0, std::move(kept), cancel);
  if (games != nullptr && built_here) games->Put(key, seed, game);
  out.games_s = SecondsSince(start);
  out.runs.resize(config.solvers.size());
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    ThrowIfCancelled(cancel);
    RunOne(config, fingerprint, *game, out.game, i, nullptr, ProgressEvent{}, out.runs[i], trace,
           trace_shown, {}, 0, cancel);
    out.games_s += out.runs[i].target_s;  // a biased solver's limit point is an equilibrium too
  }
  return out;
}

bool ExperimentResult::any_numerical_failure() const {
  return std::any_of(runs.begin(), runs.end(),
                     [](const RunResult& r) { return r.summary.termination == Termination::kNumericalFailure; });
}

std::string EquilibriumNoneNote() {
  std::vector<std::string> metrics;
  for (const MetricInfo& m : MetricTable())
    if (m.needs_star) metrics.emplace_back(m.name);
  return fmt::format("equilibrium: none: pi* was not computed; {} are empty cells, and so are rho, the stability "
                     "limits and target_gap_beta",
                     fmt::join(metrics, ", "));
}

std::shared_ptr<const Game> ValidateExperiment(const ExperimentConfig& config, const ResourcePlan& plan,
                                               std::shared_ptr<const Game> built) {
  try {
    CheckMemory(config, plan, EstimateMemory(config, plan));
  } catch (const InputError& e) {
    throw InputErrors({Relocated(e, config)});
  }
  std::vector<InputError> errors;
  std::shared_ptr<const Game> game = std::move(built);
  try {
    if (!game) game = std::make_shared<const Game>(BuildGame(config, config.seeds.front()));
  } catch (const InputError& e) {
    throw InputErrors({Relocated(e, config)});
  }
  if (config.SolvesNash()) {
    // The beta = 0 equilibrium's LPs need the stored entries of a game of at most kNashSetMaxN actions.
    const std::string why = !game->preferences().stores_entries()
                                ? "an implicit game, which stores no entries"
                                : game->n() > kNashSetMaxN ? fmt::format("a game of n = {} actions", game->n()) : "";
    if (!why.empty()) {
      const std::string key = config.beta == 0.0 ? "beta" : "log.metrics";
      throw InputErrors({Relocated(
          InputError(key, fmt::format("{} needs the beta = 0 equilibrium, whose linear programs are not offered for "
                                      "{}, expected storage: dense or float32 with n <= {}{}",
                                      config.beta == 0.0 ? "0" : "kl_to_ne", why, kNashSetMaxN,
                                      config.beta == 0.0 ? ", or beta > 0" : ", or no kl_to_ne")),
          config)});
    }
  }
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    try {
      auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
      // rho is only needed by `auto` and `X*limit`, resolved per game at run time. Validate at the
      // largest rho of any game (max|A| <= 1/2): a limit infinite there is infinite on every game, and
      // the limits are smallest there, so a multiple rejected as too large here is too large anywhere.
      // Without pi* (equilibrium: none) there is no rho at run time either: `X*limit` is refused here.
      const std::optional<double> rho = config.equilibrium == EquilibriumMode::kNone ? std::nullopt : std::optional(0.5);
      solver->Reset(SolverContext{game.get(), config.beta, {}, rho, /*rho_is_bound=*/true, config.solvers[i].oracle,
                                  config.seeds.front()});
    } catch (const InputError& e) {
      errors.push_back(Relocated(e, config));
    }
  }
  if (!errors.empty()) throw InputErrors(errors);
  return game;
}

namespace {

constexpr std::int64_t kCalibrationIterations = 32;
constexpr double kCalibrationSeconds = 1.0;

}  // namespace

namespace {

// `k` steps of a solver just reset: oracle calls and queries per step, and whether they were constant.
StepCost MeasureSteps(Solver& solver, std::int64_t k) {
  std::int64_t calls = 0, queries = 0;
  std::optional<StepInfo> first;
  StepCost cost;
  for (std::int64_t s = 0; s < k; ++s) {
    const StepInfo info = solver.Step();
    calls += info.oracle_calls;
    queries += info.queries;
    if (!first) first = info;
    cost.constant = cost.constant && info.oracle_calls == first->oracle_calls && info.queries == first->queries;
  }
  cost.oracle_calls = static_cast<double>(calls) / static_cast<double>(k);
  cost.queries = static_cast<double>(queries) / static_cast<double>(k);
  return cost;
}

// The cost of an iteration of a solver just reset: what it declares, or where its cost varies the
// mean over `k` steps (which moves the solver on).
StepCost CostOf(Solver& solver, std::int64_t k) {
  if (const std::optional<StepInfo> c = solver.CostPerStep())
    return StepCost{static_cast<double>(c->oracle_calls), static_cast<double>(c->queries), true};
  return MeasureSteps(solver, k);
}

}  // namespace

std::int64_t MaxIterations(const StopRules& stop, const StepCost& cost) {
  double iterations = static_cast<double>(stop.iterations);
  if (stop.oracle_calls > 0 && cost.oracle_calls > 0)
    iterations = std::min(iterations, std::ceil(static_cast<double>(stop.oracle_calls) / cost.oracle_calls));
  if (stop.queries > 0 && cost.queries > 0)
    iterations = std::min(iterations, std::ceil(static_cast<double>(stop.queries) / cost.queries));
  return static_cast<std::int64_t>(iterations);
}

std::shared_ptr<const Game> BuildFirstGame(const ExperimentConfig& config) {
  return std::make_shared<const Game>(BuildGame(config, config.seeds.front()));
}

std::vector<StepCost> MeasureStepCosts(const ExperimentConfig& config, std::int64_t steps,
                                       std::shared_ptr<const Game> built) {
  const std::shared_ptr<const Game> game = built ? std::move(built) : BuildFirstGame(config);
  const std::int64_t k = std::max<std::int64_t>(1, std::min(steps, config.stop.iterations));
  std::vector<StepCost> out;
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
    solver->Reset(SolverContext{game.get(), config.beta, {}, 0.5, /*rho_is_bound=*/true, config.solvers[i].oracle,
                                config.seeds.front()});
    out.push_back(CostOf(*solver, k));
  }
  return out;
}

double EquilibriumProductsEstimate(double beta) { return 100.0 * std::max(1.0, 0.01 / beta); }

CostEstimate EstimateCost(const ExperimentConfig& config, int jobs, std::shared_ptr<const Game> built,
                          double built_seconds) {
  CostEstimate out;
  auto t0 = Clock::now();
  const bool reused = built != nullptr;
  const std::shared_ptr<const Game> held = reused ? std::move(built) : BuildFirstGame(config);
  const Game& game = *held;
  out.game_seconds = reused ? built_seconds : SecondsSince(t0);
  if (game.preferences().stores_entries()) {  // the run describes each game (PrepareGame): one more pass over P
    t0 = Clock::now();
    (void)Describe(game.preferences());
    out.game_seconds += SecondsSince(t0);
  }
  Eigen::VectorXd log_pi_star;
  std::optional<double> rho;
  // pi* (and rho) not solved here at large n, though the run will solve them.
  const bool rho_later = config.SolvesEquilibrium() && game.n() > kCalibrationEquilibriumMaxN;
  out.equilibrium_timed = !config.SolvesEquilibrium();  // no equilibrium to certify
  if (config.SolvesEquilibrium() && game.n() <= kCalibrationEquilibriumMaxN) {
    t0 = Clock::now();
    const Equilibrium eq = SolveEquilibrium(game, config.beta);
    out.equilibrium_seconds = SecondsSince(t0);
    out.equilibrium_timed = true;
    if (eq.certified()) {
      log_pi_star = eq.log_pi;
      if (eq.stability) rho = eq.stability->rho;
    }
  } else if (config.SolvesEquilibrium()) {
    const Eigen::VectorXd x = game.mu();
    Eigen::VectorXd g(game.n());
    out.product_seconds = std::numeric_limits<double>::infinity();
    for (int k = 0; k < 3; ++k) {  // the first is slowed by cold caches and page faults
      t0 = Clock::now();
      game.preferences().Apply(x, g);
      out.product_seconds = std::min(out.product_seconds, SecondsSince(t0));
    }
    out.equilibrium_products = EquilibriumProductsEstimate(config.beta);
    out.equilibrium_seconds = out.equilibrium_products * out.product_seconds;
  }
  // The beta = 0 equilibrium's LPs (beta = 0, or kl_to_ne asked for): timed up to
  // kCalibrationEquilibriumMaxN actions; above, the time they took at n = 1000 (random_uniform, ~10 s on
  // the development machine) grown as n^3.
  if (config.SolvesNash() && game.preferences().stores_entries() && game.n() <= kNashSetMaxN) {
    if (game.n() <= kCalibrationEquilibriumMaxN) {
      t0 = Clock::now();
      SolveNashEquilibrium(game, {.selection = config.ne_selection});
      out.equilibrium_seconds += SecondsSince(t0);
    } else {
      out.equilibrium_seconds += 10.0 * std::pow(static_cast<double>(game.n()) / 1000.0, 3.0);
    }
  }
  const StopRules& stop = config.stop;
  const std::int64_t k = std::max<std::int64_t>(1, std::min(kCalibrationIterations, stop.iterations));
  out.calibration_iterations = k;
  out.fewest_calibration_iterations = k;
  double run_seconds = 0.0;
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    CostEstimate::Solver est;
    est.label = config.solvers[i].label;
    auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
    const SolverContext context{&game, config.beta, {}, rho, false, config.solvers[i].oracle, config.seeds.front(),
                                rho_later};
    // Oracle calls per step.
    solver->Reset(context);
    const StepCost cost = CostOf(*solver, k);
    est.calls_per_iteration = cost.oracle_calls;
    est.queries_per_iteration = cost.queries;
    est.notes = solver->Notes();
    est.calls_constant = cost.constant;
    // Time per iteration with the experiment's metric evaluation and logging (without budgets).
    solver->Reset(context);
    RunOptions ro;
    ro.stop.iterations = k;
    // At most about a second of steps: a dry run of solvers whose steps are slow (a sampled oracle's
    // batch of 10^7 took 19 s for the 32 steps) times the ones it has made by then.
    ro.stop.wall_s = kCalibrationSeconds;
    ro.stop.tolerances = stop.tolerances;
    ro.log = config.log;
    // Rows formatted and written as a run does, into /dev/null.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> null(std::fopen("/dev/null", "wb"), &std::fclose);
    std::optional<TraceWriter> writer;
    std::vector<RunObserver*> observers;
    if (null) observers.push_back(&writer.emplace(null.get(), TraceRunColumns{}, "/dev/null"));
    t0 = Clock::now();
    const RunSummary s = RunSolver(*solver, game, config.beta, log_pi_star, ro, observers);
    out.fewest_calibration_iterations = std::min(out.fewest_calibration_iterations, std::max<std::int64_t>(1, s.iterations));
    if (writer) writer->Flush();
    const double seconds = SecondsSince(t0);
    const double done = static_cast<double>(std::max<std::int64_t>(1, s.iterations));
    est.seconds_per_iteration = seconds / done;
    // The largest work the stop rules allow (a tolerance can only end a run sooner).
    est.max_iterations = MaxIterations(stop, cost);
    const auto iterations = static_cast<double>(est.max_iterations);
    est.max_oracle_calls = iterations * est.calls_per_iteration;
    est.max_queries = iterations * est.queries_per_iteration;
    est.max_seconds = iterations * est.seconds_per_iteration;
    if (stop.wall_s > 0.0 && s.wall_s > 0.0) {
      // wall_s caps solver time; metric evaluation and logging come on top, in proportion.
      est.max_seconds = std::min(est.max_seconds, stop.wall_s * seconds / s.wall_s);
      out.wall_capped = true;
    }
    const auto seeds = static_cast<double>(config.seeds.size());
    out.total_oracle_calls += seeds * est.max_oracle_calls;
    out.total_queries += seeds * est.max_queries;
    run_seconds += seeds * est.max_seconds;
    out.solvers.push_back(std::move(est));
  }
  const auto runs = static_cast<double>(config.seeds.size() * config.solvers.size());
  const double games = static_cast<double>(config.seeds.size());
  const double workers = static_cast<double>(std::max(1, jobs));
  // Spread over the workers, but never less than the longest single run (which one worker does).
  double longest = 0.0;
  for (const CostEstimate::Solver& s : out.solvers) longest = std::max(longest, s.max_seconds);
  out.total_seconds = std::max(run_seconds / std::min(workers, std::max(1.0, runs)), longest) +
                      games * (out.game_seconds + out.equilibrium_seconds) / std::min(workers, games);
  return out;
}

ExperimentResult RunExperiment(const ExperimentConfig& config, const ExperimentOptions& options) {
  const auto start = Clock::now();
  ExperimentResult result;
  const size_t n_games = config.seeds.size(), n_solvers = config.solvers.size();

  // Phase 1: games and their certified equilibria, once per seed.
  std::vector<std::shared_ptr<const Game>> games(n_games);
  result.games.resize(n_games);
  const auto total = static_cast<std::int64_t>(n_games * n_solvers);
  if (options.progress) {
    ProgressEvent preparing;
    preparing.runs_total = total;
    preparing.certifying = config.SolvesEquilibrium();
    options.progress(preparing);
  }
  ParallelFor(n_games, options.jobs, [&](size_t g) {
    ThrowIfCancelled(options.cancel);
    games[g] = PrepareGame(config, g, result.games[g], options.progress, total,
                           g == 0 ? options.first_game : nullptr, options.cancel);
  });
  result.games_s = SecondsSince(start);

  // Phase 2: every solver on every game.
  const std::string fingerprint = ExperimentFingerprint(config);
  result.runs.resize(n_games * n_solvers);
  std::atomic<std::int64_t> done{0};
  // A run's events count the runs finished when they are sent, not when the run began.
  const ProgressFn live = options.progress ? ProgressFn([&](const ProgressEvent& e) {
    ProgressEvent now = e;
    if (!now.finished) now.runs_done = done.load();
    options.progress(now);
  })
                                           : ProgressFn();
  ParallelFor(result.runs.size(), options.jobs, [&](size_t k) {
    ThrowIfCancelled(options.cancel);
    const size_t g = k / n_solvers, i = k % n_solvers;
    ProgressEvent event;
    event.runs_done = done.load();
    event.runs_total = total;
    event.run_index = k;
    event.label = config.solvers[i].label;
    event.seed = result.games[g].seed;
    const std::optional<TraceSpool::Lease> lease =
        options.trace ? std::optional(options.trace->Acquire(k)) : std::nullopt;
    try {
      RunOne(config, fingerprint, *games[g], result.games[g], i, live, event, result.runs[k],
             lease ? lease->file : nullptr, options.trace ? options.trace->shown() : "",
             options.observer, k, options.cancel);
    } catch (...) {
      if (lease) options.trace->Abandon(*lease);  // its rows may be cut short
      throw;
    }
    if (lease) options.trace->Release(*lease, k, result.runs[k].trace_bytes);
    result.runs[k].game_index = g;
    event.runs_done = ++done;
    if (options.progress) {
      const RunSummary& s = result.runs[k].summary;
      event.finished = true;
      event.iteration = s.iterations;
      event.iterations_cap = config.stop.iterations;
      event.fraction = 1.0;
      const Metric watched = config.stop.tolerances.empty() ? Metric::kGapBeta : config.stop.tolerances.front().first;
      event.metric = std::string(MetricTable()[static_cast<size_t>(watched)].name);
      event.value = s.final_metrics[static_cast<size_t>(watched)];
      event.stalled_since = s.stalled_since;
      event.stalled_at = s.stalled_at;
      options.progress(event);
    }
  });
  result.wall_s = SecondsSince(start);
  return result;
}

}  // namespace nlhf

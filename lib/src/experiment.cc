#include "nlhf/experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <memory>

#include "nlhf/output.h"
#include "nlhf/parallel.h"
#include "nlhf/rng.h"
#include "nlhf/solver.h"
#include "nlhf/spec.h"

namespace nlhf {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// A library error about key K gets the location where K was written (unless it has its own, like
// a CSV cell).
InputError Relocated(const InputError& e, const ExperimentConfig& config) {
  return e.Located(config.Locate(e.key()), "");
}

Game BuildGame(const ExperimentConfig& c, std::uint64_t seed) {
  BuiltMatrix P = MakePreferenceMatrix(c.game.name, c.game.params, seed, "game");
  BuiltReference mu = MakeReference(c.reference.name, c.reference.params, P.P.rows(), seed, "reference");
  return Game(std::move(P.P), std::move(mu.mu), std::move(P.spec), std::move(mu.spec));
}

std::string SolverKey(size_t i) { return fmt::format("solvers[{}]", i); }

// A stable id for solver i on seed `seed` of an experiment: a hash of the resolved experiment (so
// runs of different sweep points differ even when the run itself is the same), the seed and i.
std::string RunId(const std::string& fingerprint, std::uint64_t seed, size_t i) {
  return fmt::format("{:016x}", Fnv1a64(fmt::format("{}|seed={}|solver={}", fingerprint, seed, i)));
}

// Formats each record as a trace row.
class TraceRecorder : public RunObserver {
 public:
  TraceRecorder(std::string prefix, RunResult& out, const ProgressFn& progress, ProgressEvent event)
      : prefix_(std::move(prefix)), out_(out), progress_(progress), event_(std::move(event)) {}

  void OnRecord(const Record& r) override {
    const auto t0 = Clock::now();
    std::string& s = out_.trace_rows;
    s += prefix_;
    fmt::format_to(std::back_inserter(s), "{},{},{},", r.iteration, r.oracle_calls, r.queries);
    AppendNumber(s, r.wall_s);
    for (double m : r.metrics) {
      s += ',';
      AppendNumber(s, m);
    }
    s += '\n';
    ++out_.trace_row_count;
    out_.eval_s += Seconds(t0);
    if (progress_ && (r.iteration == 0 || r.iteration >= last_reported_ + 256)) {
      last_reported_ = r.iteration;
      event_.iteration = r.iteration;
      event_.gap_beta = r.metrics[0];
      progress_(event_);
    }
  }

 private:
  std::string prefix_;
  RunResult& out_;
  const ProgressFn& progress_;
  ProgressEvent event_;
  std::int64_t last_reported_ = 0;
};

// Builds seed number g's game, its descriptors and (beta > 0) its certified equilibrium.
std::unique_ptr<Game> PrepareGame(const ExperimentConfig& config, size_t g, GameResult& gr) {
  auto game = std::make_unique<Game>(BuildGame(config, config.seeds[g]));
  gr.seed = config.seeds[g];
  gr.game_spec = game->game_spec();
  gr.reference_spec = game->reference_spec();
  gr.n = game->n();
  gr.descriptors = Describe(game->P());
  if (config.beta > 0.0) gr.equilibrium = SolveEquilibrium(*game, config.beta);
  return game;
}

// Runs solver i on a prepared game.
void RunOne(const ExperimentConfig& config, const std::string& fingerprint, const Game& game, const GameResult& gr,
            size_t i, const ProgressFn& progress, const ProgressEvent& event, RunResult& run) {
  run.solver = config.solvers[i].name;
  run.label = config.solvers[i].label;
  run.seed = gr.seed;
  auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
  const bool certified = gr.equilibrium && gr.equilibrium->certified();
  std::optional<double> rho;
  if (certified && gr.equilibrium->stability) rho = gr.equilibrium->stability->rho;
  solver->Reset(SolverContext{&game, config.beta, {}, rho});
  run.params = SolverSpec(run.solver, *solver);
  run.stability_limit = solver->StabilityLimit();
  RunOptions ro;
  ro.stop = config.stop;
  ro.log = config.log;
  run.run_id = RunId(fingerprint, gr.seed, i);
  const std::string prefix = fmt::format("{},{},{},{},{},{},{},{},{},{},", CsvField(config.name), run.run_id,
                                         CsvField(gr.game_spec), gr.n, NumberText(config.beta),
                                         CsvField(gr.reference_spec), run.solver, CsvField(run.label),
                                         CsvField(run.params), gr.seed);
  TraceRecorder recorder(prefix, run, progress, event);
  const Eigen::VectorXd empty;
  const auto t0 = Clock::now();
  run.summary = RunSolver(*solver, game, config.beta, certified ? gr.equilibrium->log_pi : empty, ro, {&recorder});
  run.eval_s = Seconds(t0) - run.summary.wall_s;
}

}  // namespace

GroupResult RunGroup(const ExperimentConfig& config, size_t seed_index, const std::string& given_fingerprint) {
  GroupResult out;
  const std::string fingerprint = given_fingerprint.empty() ? ExperimentFingerprint(config) : given_fingerprint;
  const std::unique_ptr<Game> game = PrepareGame(config, seed_index, out.game);
  out.runs.resize(config.solvers.size());
  for (size_t i = 0; i < config.solvers.size(); ++i)
    RunOne(config, fingerprint, *game, out.game, i, nullptr, ProgressEvent{}, out.runs[i]);
  return out;
}

bool ExperimentResult::any_numerical_failure() const {
  return std::any_of(runs.begin(), runs.end(),
                     [](const RunResult& r) { return r.summary.termination == Termination::kNumericalFailure; });
}

void ValidateExperiment(const ExperimentConfig& config) {
  std::vector<InputError> errors;
  std::optional<Game> game;
  try {
    game.emplace(BuildGame(config, config.seeds.front()));
  } catch (const InputError& e) {
    throw InputErrors({Relocated(e, config)});
  }
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    try {
      auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
      // rho is only needed by `auto`, resolved per game at run time; any value validates here.
      solver->Reset(SolverContext{&*game, config.beta, {}, 0.25});
    } catch (const InputError& e) {
      errors.push_back(Relocated(e, config));
    }
  }
  if (!errors.empty()) throw InputErrors(errors);
}

ExperimentResult RunExperiment(const ExperimentConfig& config, const ExperimentOptions& options) {
  const auto start = Clock::now();
  ExperimentResult result;
  const size_t n_games = config.seeds.size(), n_solvers = config.solvers.size();

  // Phase 1: games and their certified equilibria, once per seed.
  std::vector<std::unique_ptr<Game>> games(n_games);
  result.games.resize(n_games);
  ParallelFor(n_games, options.jobs, [&](size_t g) { games[g] = PrepareGame(config, g, result.games[g]); });
  result.games_s = Seconds(start);

  // Phase 2: every solver on every game.
  const std::string fingerprint = ExperimentFingerprint(config);
  result.runs.resize(n_games * n_solvers);
  std::atomic<std::int64_t> done{0};
  const auto total = static_cast<std::int64_t>(result.runs.size());
  ParallelFor(result.runs.size(), options.jobs, [&](size_t k) {
    const size_t g = k / n_solvers, i = k % n_solvers;
    ProgressEvent event{done.load(), total, config.solvers[i].name, result.games[g].seed, 0, 0.0};
    RunOne(config, fingerprint, *games[g], result.games[g], i, options.progress, event, result.runs[k]);
    result.runs[k].game_index = g;
    const std::int64_t now_done = ++done;
    if (options.progress) {
      const RunSummary& s = result.runs[k].summary;
      options.progress(ProgressEvent{now_done, total, result.runs[k].solver, result.runs[k].seed, s.iterations,
                                     s.final_metrics[0]});
    }
  });
  result.wall_s = Seconds(start);
  return result;
}

namespace {

std::string JsonVector(const Eigen::VectorXd& v) {
  std::string out = "[";
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += JsonNumber(v[i]);
  }
  return out + "]";
}

std::string JsonMetrics(const MetricValues& m) {
  std::string out = "{";
  for (size_t k = 0; k < m.size(); ++k)
    out += fmt::format("{}{}: {}", k ? ", " : "", JsonString(MetricTable()[k].name), JsonNumber(m[k]));
  return out + "}";
}

}  // namespace

std::string SummaryJson(const ExperimentConfig& config, const ExperimentResult& result) {
  std::string out = "[\n";
  for (size_t k = 0; k < result.runs.size(); ++k) {
    const RunResult& r = result.runs[k];
    const GameResult& g = result.games[r.game_index];
    const RunSummary& s = r.summary;
    std::string o = "  {\n";
    auto field = [&](const std::string& key, const std::string& value, bool last = false) {
      o += fmt::format("    {}: {}{}\n", JsonString(key), value, last ? "" : ",");
    };
    field("run_id", JsonString(r.run_id));
    field("experiment", JsonString(config.name));
    field("solver", JsonString(r.solver));
    field("label", JsonString(r.label));
    field("params", JsonString(r.params));
    field("seed", fmt::format("{}", r.seed));
    field("game", JsonString(g.game_spec));
    field("reference", JsonString(g.reference_spec));
    field("n", fmt::format("{}", g.n));
    field("beta", JsonNumber(config.beta));
    field("termination", JsonString(TerminationName(s.termination)));
    field("message", JsonString(s.message));
    field("iterations", fmt::format("{}", s.iterations));
    field("oracle_calls", fmt::format("{}", s.oracle_calls));
    field("queries", fmt::format("{}", s.queries));
    field("wall_s", JsonNumber(s.wall_s));
    field("final", JsonMetrics(s.final_metrics));
    if (s.final_average_metrics) field("final_average", JsonMetrics(*s.final_average_metrics));
    field("policy", JsonVector(s.final_logits.array().exp().matrix()));
    const bool certified = g.equilibrium && g.equilibrium->certified();
    field("pi_star", certified ? JsonVector(g.equilibrium->pi) : "null");
    field("certificate", g.equilibrium ? JsonNumber(g.equilibrium->certificate) : "null");
    field("equilibrium", g.equilibrium ? JsonString(g.equilibrium->message) : "null");
    field("rho", certified && g.equilibrium->stability ? JsonNumber(g.equilibrium->stability->rho) : "null");
    field("stability_limit", r.stability_limit ? JsonNumber(*r.stability_limit) : "null");
    std::string warnings = "[";
    for (size_t w = 0; w < s.warnings.size(); ++w) {
      if (w > 0) warnings += ", ";
      warnings += JsonString(s.warnings[w]);
    }
    field("warnings", warnings + "]");
    field("theory", s.theory.applicable
                        ? fmt::format("{{\"factor\": {}, \"violated\": {}, \"first_violation\": {}, \"message\": {}}}",
                                      JsonNumber(s.theory.factor), s.theory.violated ? "true" : "false",
                                      s.theory.first_violation, JsonString(s.theory.message))
                        : "null");
    const GameDescriptors& d = g.descriptors;
    field("descriptors",
          fmt::format("{{\"cyclic_triple_fraction\": {}, \"condorcet_winner\": {}, \"max_abs_margin\": {}, "
                      "\"hodge_cyclic_ratio\": {}}}",
                      JsonNumber(d.cyclic_triple_fraction),
                      d.condorcet_winner ? fmt::format("{}", *d.condorcet_winner) : "null", JsonNumber(d.max_abs_margin),
                      JsonNumber(d.hodge_cyclic_ratio)),
          true);
    o += k + 1 < result.runs.size() ? "  },\n" : "  }\n";
    out += o;
  }
  return out + "]\n";
}

}  // namespace nlhf

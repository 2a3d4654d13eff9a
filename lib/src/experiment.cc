#include "nlhf/experiment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include "nlhf/float32_operator.h"
#include "nlhf/input_file.h"
#include "nlhf/metrics.h"
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

// An input file must still hold what was hashed when the experiment was loaded: an edit during a
// run (or a long sweep) would otherwise mix games from two versions of the file under one hash.
// (Checked just before the game is built; an edit in the moment between the check and the read
// is not caught.)
void CheckInputsUnchanged(const ExperimentConfig& c) {
  for (const InputFile& f : c.inputs) {
    const std::string now = HashInputFile(f.path, f.key, "a CSV file of numbers", kMaxCsvBytes);
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
// `built` (may be null) is this game already built (ValidateExperiment's first game), used as it is.
std::shared_ptr<const Game> PrepareGame(const ExperimentConfig& config, size_t g, GameResult& gr,
                                        const ProgressFn& progress = nullptr, std::int64_t runs_total = 0,
                                        std::shared_ptr<const Game> built = nullptr) {
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
  return game;
}

// Runs solver i on a prepared game; its trace rows go to `trace` (none when it is null).
void RunOne(const ExperimentConfig& config, const std::string& fingerprint, const Game& game, const GameResult& gr,
            size_t i, const ProgressFn& progress, const ProgressEvent& event, RunResult& run, std::FILE* trace,
            const std::string& trace_shown) {
  run.solver = config.solvers[i].name;
  run.label = config.solvers[i].label;
  run.seed = gr.seed;
  auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
  const bool certified = gr.equilibrium && gr.equilibrium->certified();
  std::optional<double> rho;
  if (certified && gr.equilibrium->stability) rho = gr.equilibrium->stability->rho;
  solver->Reset(SolverContext{&game, config.beta, {}, rho, false, config.solvers[i].oracle, gr.seed});
  run.params = SolverSpec(run.solver, *solver);
  run.rho = rho;
  run.stability_limit = solver->StabilityLimit();
  RunOptions ro;
  ro.stop = config.stop;
  ro.log = config.log;
  run.run_id = RunId(fingerprint, gr.seed, i);
  std::vector<RunObserver*> observers;
  std::optional<TraceWriter> writer;
  if (trace != nullptr) {
    writer.emplace(trace,
                   TraceRunColumns{config.name, run.run_id, gr.game_spec, gr.n, config.beta, gr.reference_spec,
                                   run.solver, run.label, run.params, gr.seed},
                   trace_shown);
    observers.push_back(&*writer);
  }
  std::optional<ProgressRelay> relay;
  if (progress) observers.push_back(&relay.emplace(progress, event, config.stop));
  const Eigen::VectorXd empty;
  const auto t0 = Clock::now();
  run.summary = RunSolver(*solver, game, config.beta, certified ? gr.equilibrium->log_pi : empty, ro, observers);
  if (writer) {
    writer->Flush();
    run.trace_row_count = writer->rows();
    run.trace_bytes = writer->bytes();
  }
  if (certified) run.target_gap_beta = TargetGapBeta(*solver, game, config.beta, *gr.equilibrium, run.summary.warnings);
  run.eval_s = Seconds(t0) - run.summary.wall_s;
}

}  // namespace

GroupResult RunGroup(const ExperimentConfig& config, size_t seed_index, const std::string& given_fingerprint,
                     std::FILE* trace, const std::string& trace_shown) {
  GroupResult out;
  const std::string fingerprint = given_fingerprint.empty() ? ExperimentFingerprint(config) : given_fingerprint;
  const std::shared_ptr<const Game> game = PrepareGame(config, seed_index, out.game);
  out.runs.resize(config.solvers.size());
  for (size_t i = 0; i < config.solvers.size(); ++i)
    RunOne(config, fingerprint, *game, out.game, i, nullptr, ProgressEvent{}, out.runs[i], trace, trace_shown);
  return out;
}

bool ExperimentResult::any_numerical_failure() const {
  return std::any_of(runs.begin(), runs.end(),
                     [](const RunResult& r) { return r.summary.termination == Termination::kNumericalFailure; });
}

namespace {

// The memory rule. A game being prepared holds P plus, one after the other, its descriptors' work
// and its equilibrium's, EquilibriumWorkBytes: below n = kKrylovFromN the dense path's Jacobian, its
// LU factors and a GMRES basis (1 + about 2.1 n x n matrices of doubles); from n = kKrylovFromN on,
// matrix-free Newton-Krylov's basis of vectors (1 + 0.67 matrices at n = 5000, 1 + 0.034 at n = 10^4).
// The descriptors need O(n) beyond P, except for a game with ties up to kCyclicTriplesMaxN, whose
// cyclic triples take two n x n float matrices (1 matrix of doubles); with `equilibrium: none` that
// is all. A prepared game keeps only P. Peak RSS of nlhf-run (one seed, nash_mp, random_uniform, /usr/bin/time -v, 2026-11-30): at
// beta = 0.01, 1.2, 1.04 and 1.0 x 8 n^2 bytes at n = 2000, 4000, 6000 (Newton without LU there);
// at beta = 1e-3 and 1e-4, 3.3 x 8 n^2 at n = 2000 (P, J and its LU). RunExperiment keeps every
// seed's game and prepares up to `jobs` at once, so its peak is seeds + (preparing - 1) min(jobs,
// seeds) n x n matrices; a sweep worker holds one game (`preparing` each). Trace rows are not held:
// they stream to files (output/trace.h).
// Bytes of Describe's work beyond P: two n x n float matrices when a game with ties may need them.
double DescriptorWorkBytes(Eigen::Index n) {
  return n <= kCyclicTriplesMaxN ? 8.0 * static_cast<double>(n) * static_cast<double>(n) : 0.0;
}
double MatricesWhilePreparing(const ExperimentConfig& config, Eigen::Index n) {
  if (n <= 0) return 1.0;
  const double entries = static_cast<double>(n) * static_cast<double>(n);
  const double equilibrium = config.SolvesEquilibrium() ? EquilibriumWorkBytes(n, EquilibriumMethod::kAuto) : 0.0;
  return 1.0 + std::max(DescriptorWorkBytes(n), equilibrium) / (8.0 * entries);
}
// The largest n in [lo, hi] with fits(n), for a `fits` that is monotone on each side of
// kKrylovFromN (where the estimate drops: pi* stops holding dense matrices); lo - 1 if none.
template <class Fits>
Eigen::Index LargestFitting(Eigen::Index lo, Eigen::Index hi, const Fits& fits) {
  Eigen::Index best = lo - 1;
  const auto search = [&](Eigen::Index a, Eigen::Index b) {  // monotone on [a, b]
    if (a > b || !fits(a)) return;
    while (a < b) {
      const Eigen::Index mid = a + (b - a + 1) / 2;
      if (fits(mid)) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    best = std::max(best, a);
  };
  search(lo, std::min(hi, kKrylovFromN - 1));
  search(std::max(lo, kKrylovFromN), hi);
  return best;
}
double DenseMatrices(const ExperimentConfig& config, const ResourcePlan& plan, Eigen::Index n) {
  const double preparing = MatricesWhilePreparing(config, n);
  const auto seeds = static_cast<double>(config.seeds.size());
  const double workers = static_cast<double>(std::max(1, plan.jobs));
  return plan.one_game_per_worker ? preparing * workers : seeds + (preparing - 1.0) * std::min(workers, seeds);
}
// An implicit game (GameTraits::implicit) holds no n x n matrix and none is built for it: no
// descriptors, pi* without the dense Newton (SolveEquilibrium's Nash-MP path reads P only through
// products). Each game held costs its operator's bytes (GameTraits::implicit_bytes: O(n K) or
// O(n)); the rest is vectors of n doubles: each run keeps its results until the end (final policy,
// pi*, and their summary.json text and tree), each busy worker its solver's buffers, the driver's
// metric points and an equilibrium's Nash-MP iterates. Measured peak RSS of nlhf-run on
// low_rank_cyclic(n=10^6, k=1) (16 MB operator), beta = 0.1, in vectors of 8 MB beyond 6 MB and the
// operators: 24 for one run (nash_mp, egpo, prox; 29 for nash_md and mwu), 56.5 for 3 solvers,
// 101 for 6, 70.5 for 4 seeds, 89.5 for 4 seeds with --jobs 2, 223 for 4 seeds x 3 solvers with
// --jobs 2: about 16 per run and 20 per worker. The constants below keep a margin over those.
constexpr double kVectorsPerRun = 20.0;
constexpr double kVectorsPerWorker = 24.0;
constexpr double kBaseBytes = 64.0 * 1024 * 1024;  // code, thread stacks, buffers; with margin
constexpr double kGiB = 1024.0 * 1024 * 1024;

// n of a matrix CSV without reading it whole: the fields of its first line, bounded by the size
// of the file (n lines of n numbers take at least 2 n^2 bytes). nullopt if it cannot be read
// (the reader reports that).
std::optional<Eigen::Index> MatrixFileN(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::int64_t fields = 1;
  char buffer[1 << 16];
  bool line_done = false;
  for (std::int64_t read = 0; !line_done && in && read < (std::int64_t{1} << 28); read += in.gcount()) {
    in.read(buffer, sizeof buffer);
    for (std::streamsize k = 0; k < in.gcount(); ++k) {
      if (buffer[k] == '\n') {
        line_done = true;
        break;
      }
      if (buffer[k] == ',') ++fields;
    }
  }
  const auto bound = static_cast<std::int64_t>(std::sqrt(static_cast<double>(size) / 2.0)) + 1;
  return static_cast<Eigen::Index>(std::min(fields, bound));
}

// A number from a "Key:   123 kB" line of a /proc file, in bytes; nullopt if absent.
std::optional<double> ProcKb(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    try {
      return std::stod(line.substr(key.size() + 1)) * 1024.0;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> FileNumber(const char* file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

namespace {

// What a float32 game's memory depends on, besides n.
struct Float32MemoryPlan {
  double games = 0.0;     // held at once
  double building = 0.0;  // being built (or solved) at once
  bool from_matrix = true;  // built from the generator's double matrix (no implicit form)
  double implicit_bytes_per_action = 0.0;  // otherwise: the implicit form's bytes per action
  bool solves_equilibrium = false;
  double vectors = 0.0;  // of n doubles
};

// A float32 game (float32_operator.h) holds its margins, 4 n^2 bytes, and no n x n double once
// built; its pi* takes EquilibriumWorkBytes (from n = kKrylovFromN on matrix-free, O(n) vectors;
// below, also the dense Jacobian and its LU, 2 n^2 doubles), its rho by Lanczos above n = 64. Building
// it from a dense generator's matrix peaks at that double matrix (the conversion runs in its memory;
// a generator that builds intermediate n x n matrices holds those too, as it does with storage:
// dense); from an implicit form's entries, at the float margins and the implicit operator. The
// rest are vectors of n doubles, counted as for an implicit game. RunExperiment holds every seed's
// game and builds up to `jobs` at once; a sweep worker holds and builds one.
Float32MemoryPlan Float32Plan(const ExperimentConfig& config, const ResourcePlan& plan, const GameRegistryEntry& entry,
                              Eigen::Index n) {
  Float32MemoryPlan p;
  const auto seeds = static_cast<double>(config.seeds.size());
  const double workers = static_cast<double>(std::max(1, plan.jobs));
  p.games = plan.one_game_per_worker ? workers : seeds;
  p.building = plan.one_game_per_worker ? workers : std::min(workers, seeds);
  p.from_matrix = !entry.traits.implicit;
  if (entry.traits.implicit && n > 0) {
    std::map<std::string, ParamValue> context;
    context.emplace("seed", static_cast<std::int64_t>(config.seeds.empty() ? 0 : config.seeds.front()));
    p.implicit_bytes_per_action =
        entry.traits.implicit_bytes(ResolveParams(entry.params, config.game.params, context, "game")) /
        static_cast<double>(n);
  }
  p.solves_equilibrium = config.SolvesEquilibrium();
  const double solvers = std::max(1.0, static_cast<double>(config.solvers.size()));
  const double runs = p.games * solvers;
  p.vectors = kVectorsPerRun * runs + kVectorsPerWorker * std::min(workers, runs);
  return p;
}

void Float32Bytes(const Float32MemoryPlan& p, Eigen::Index n, MemoryEstimate& e) {
  e.operator_bytes = Float32Operator::StoredBytes(n);
  e.games = p.games;
  e.building = p.building;
  e.vectors = p.vectors;
  e.build_bytes = p.from_matrix ? Float32Operator::BuildPeakBytesFromMatrix(n)
                                : e.operator_bytes + p.implicit_bytes_per_action * static_cast<double>(n);
  e.equilibrium_bytes = p.solves_equilibrium ? EquilibriumWorkBytes(n, EquilibriumMethod::kAuto) : 0.0;
  const double preparing = std::max(e.build_bytes, e.operator_bytes + std::max(e.equilibrium_bytes, DescriptorWorkBytes(n)));
  e.bytes = kBaseBytes + (p.games - p.building) * e.operator_bytes + p.building * preparing +
            p.vectors * 8.0 * static_cast<double>(n);
  e.from_matrix = p.from_matrix;
}

}  // namespace

std::string EquilibriumNoneNote() {
  std::vector<std::string> metrics;
  for (const MetricInfo& m : MetricTable())
    if (m.needs_star) metrics.emplace_back(m.name);
  return fmt::format("equilibrium: none: pi* was not computed; {} are empty cells, and so are rho, the stability "
                     "limits and target_gap_beta",
                     fmt::join(metrics, ", "));
}

double AvailableMemoryBytes() {
  double available = ProcKb("/proc/meminfo", "MemAvailable").value_or(std::numeric_limits<double>::infinity());
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    available = std::min(available, static_cast<double>(limit.rlim_cur) - ProcKb("/proc/self/status", "VmSize").value_or(0.0));
  if (::getrlimit(RLIMIT_DATA, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    available = std::min(available, static_cast<double>(limit.rlim_cur) - ProcKb("/proc/self/status", "VmData").value_or(0.0));
  // A cgroup v2 memory limit (containers, SLURM jobs).
  if (const std::optional<double> max = FileNumber("/sys/fs/cgroup/memory.max"))
    available = std::min(available, *max - FileNumber("/sys/fs/cgroup/memory.current").value_or(0.0));
  return std::max(0.0, available);
}

MemoryEstimate EstimateMemory(const ExperimentConfig& config, const ResourcePlan& plan) {
  MemoryEstimate e;
  e.available_bytes = AvailableMemoryBytes();
  if (const auto* entry = GameRegistry().TryFind(config.game.name)) {
    for (const auto& [name, value] : config.game.params) {
      if (name == "n" && std::holds_alternative<std::int64_t>(value)) {
        e.n = static_cast<Eigen::Index>(std::get<std::int64_t>(value));
        e.n_key = "game.n";
      } else if (name == "path" && std::holds_alternative<std::string>(value)) {
        if (const auto n = MatrixFileN(std::get<std::string>(value))) {
          e.n = *n;
          e.n_key = "game.path";
        }
      }
    }
    if (e.n_key.empty()) {  // the generator's default n, if it has one
      for (const ParamSpec& spec : entry->params)
        if (spec.name == "n" && spec.default_value && std::holds_alternative<std::int64_t>(*spec.default_value)) {
          e.n = static_cast<Eigen::Index>(std::get<std::int64_t>(*spec.default_value));
          e.n_key = "game.n";
        }
    }
  }
  const auto seeds = static_cast<double>(config.seeds.size());
  const double workers = static_cast<double>(std::max(1, plan.jobs));
  const double n = static_cast<double>(e.n);
  if (const auto* entry = GameRegistry().TryFind(config.game.name);
      entry != nullptr && ResolveStorage(*entry, config.game.storage) == GameStorage::kImplicit) {
    std::map<std::string, ParamValue> context;
    context.emplace("seed", static_cast<std::int64_t>(config.seeds.empty() ? 0 : config.seeds.front()));
    e.implicit = true;
    e.operator_bytes = entry->traits.implicit_bytes(ResolveParams(entry->params, config.game.params, context, "game"));
    // A sweep worker holds one game and its solvers' results at a time; RunExperiment every seed's
    // game and every run's results, with up to `jobs` runs (or equilibria) in progress.
    const double solvers = std::max(1.0, static_cast<double>(config.solvers.size()));
    e.games = plan.one_game_per_worker ? workers : seeds;
    const double runs = e.games * solvers;
    e.vectors = kVectorsPerRun * runs + kVectorsPerWorker * std::min(workers, runs);
    e.bytes = kBaseBytes + e.games * e.operator_bytes + e.vectors * 8.0 * n;
    return e;
  }
  if (const auto* entry = GameRegistry().TryFind(config.game.name);
      entry != nullptr && ResolveStorage(*entry, config.game.storage) == GameStorage::kFloat32) {
    e.float32 = true;
    Float32Bytes(Float32Plan(config, plan, *entry, e.n), e.n, e);
    return e;
  }
  e.matrices = DenseMatrices(config, plan, e.n);
  e.bytes = kBaseBytes + e.matrices * 8.0 * n * n;
  return e;
}


std::string MemoryText(const ExperimentConfig& config, const MemoryEstimate& e) {
  const double mib = 1024.0 * 1024;
  const auto size = [&](double bytes) {
    return bytes >= kGiB ? fmt::format("{:.1f} GiB", bytes / kGiB) : fmt::format("{:.0f} MiB", bytes / mib);
  };
  if (e.float32)
    return fmt::format("about {} at the peak (P - 1/2 in float32, {} for each of {} game(s) held at once; building one "
                       "peaks at {}{}, up to {} at once; {}{} vectors of n doubles, n = {}), {} available",
                       size(e.bytes), size(e.operator_bytes), e.games, size(e.build_bytes),
                       e.from_matrix ? " (its double matrix)" : "", e.building,
                       e.equilibrium_bytes > 0.0 ? fmt::format("pi*'s work {} per game; ", size(e.equilibrium_bytes))
                                                 : std::string(),
                       e.vectors, e.n, size(e.available_bytes));
  if (e.implicit)
    return fmt::format("about {} at the peak (the implicit game's operator, {} for each of {} game(s) held at once, and "
                       "{} vectors of n doubles, n = {}), {} available",
                       size(e.bytes), size(e.operator_bytes), e.games, e.vectors, e.n, size(e.available_bytes));
  const std::string matrices = fmt::format("{:.3g}", e.matrices);
  return fmt::format("about {} at the peak ({}: {} n x n {} of doubles, n = {}), {} available", size(e.bytes),
                     config.SolvesEquilibrium() ? "P and the equilibrium's work" : "P", matrices,
                     matrices == "1" ? "matrix" : "matrices", e.n, size(e.available_bytes));
}

namespace {

// The last way out of a dense or float32 game that does not fit: its implicit form, or the generators
// that have one.
std::string ImplicitWay(const GameRegistryEntry* entry) {
  if (entry != nullptr && entry->traits.implicit) return "game.storage: implicit (P never stored)";
  std::vector<std::string> games;  // the low-rank ones first: implicit by default
  for (bool by_default : {true, false})
    for (const auto& g : GameRegistry().entries())
      if (g.traits.implicit && g.traits.implicit_by_default == by_default)
        games.push_back(by_default ? g.name : g.name + " with storage: implicit");
  return fmt::format("an implicit game, which stores no P ({})", fmt::join(games, ", "));
}

}  // namespace

void CheckMemory(const ExperimentConfig& config, const ResourcePlan& plan, const MemoryEstimate& e) {
  if (e.bytes <= e.available_bytes) return;
  const std::string available = fmt::format("this machine has {:.1f} GiB available", e.available_bytes / kGiB);
  const double mib = 1024.0 * 1024.0;
  if (e.implicit) {
    // Linear in n: the largest n that fits scales the per-action bytes.
    const double per_action = (e.bytes - kBaseBytes) / std::max(1.0, static_cast<double>(e.n));
    const double n_max = std::floor(std::max(0.0, e.available_bytes - kBaseBytes) / per_action);
    throw InputError(e.n_key, fmt::format("{} needs about {:.1f} GiB (estimate: the implicit game's operator, {:.3g} "
                                          "MiB for each of {} game(s) held at once, and {} vectors of n doubles for the "
                                          "runs' buffers and results, {} seed(s) with --jobs {}), {}, expected n <= {:.0f} "
                                          "(or fewer seeds, solvers or --jobs)",
                                          e.n, e.bytes / kGiB, e.operator_bytes / mib, e.games,
                                          e.vectors, config.seeds.size(), std::max(1, plan.jobs), available, n_max));
  }
  const auto* entry = GameRegistry().TryFind(config.game.name);
  const std::string what = e.n_key == "game.path" ? fmt::format("a {} x {} matrix", e.n, e.n) : fmt::format("{}", e.n);
  // The ways out, from the cheapest for the user. Each of float32 and equilibrium: none is named only
  // when it alone would fit.
  const auto bytes_with = [&](GameStorage storage, EquilibriumMode mode) {
    ExperimentConfig other = config;
    other.game.storage = storage;
    other.equilibrium = mode;
    return EstimateMemory(other, plan).bytes;
  };
  std::string ways = "fewer seeds or --jobs";
  if (e.float32) {
    // The largest n that fits with the same seeds and jobs (the bytes grow with n).
    const Float32MemoryPlan p = Float32Plan(config, plan, *entry, e.n);
    const Eigen::Index lo = LargestFitting(2, e.n - 1, [&](Eigen::Index n) {
      MemoryEstimate at;
      Float32Bytes(p, n, at);
      return at.bytes <= e.available_bytes;
    });
    if (config.SolvesEquilibrium() && bytes_with(GameStorage::kFloat32, EquilibriumMode::kNone) <= e.available_bytes)
      ways += ", or equilibrium: none (no pi*)";
    ways += ", or " + ImplicitWay(entry);
    throw InputError(
        e.n_key,
        fmt::format("{} needs about {:.1f} GiB (estimate: P - 1/2 in float32, {:.0f} MiB for each of {} game(s) held at "
                    "once; building one peaks at {:.0f} MiB{}, up to {} at once; {}{} vectors of n doubles; {} seed(s) "
                    "with --jobs {}), {}, expected n <= {} (or {})",
                    what, e.bytes / kGiB, e.operator_bytes / mib, e.games, e.build_bytes / mib,
                    e.from_matrix ? " (its double matrix)" : "", e.building,
                    e.equilibrium_bytes > 0.0 ? fmt::format("pi*'s work {:.0f} MiB per game; ",
                                                            e.equilibrium_bytes / mib)
                                              : std::string(),
                    e.vectors, config.seeds.size(), std::max(1, plan.jobs), available, lo, ways));
  }
  // The largest n that fits with the same seeds and jobs (the bytes grow with n, though the matrices
  // counted fall where pi* turns matrix-free).
  const Eigen::Index n_max = LargestFitting(2, e.n - 1, [&](Eigen::Index n) {
    const double m = static_cast<double>(n);
    return kBaseBytes + DenseMatrices(config, plan, n) * 8.0 * m * m <= e.available_bytes;
  });
  // float32 halves P; without pi*, a game being prepared holds only P; an implicit game holds no
  // n x n matrix at all.
  if (const double f = entry != nullptr ? bytes_with(GameStorage::kFloat32, config.equilibrium) : 0.0;
      entry != nullptr && f <= e.available_bytes)
    ways += fmt::format(", or game.storage: float32 (about {:.1f} GiB: P - 1/2 held in float, 4 bytes per entry, the "
                        "game rounded by <= 1.5e-8)",
                        f / kGiB);
  if (config.SolvesEquilibrium() && entry != nullptr &&
      bytes_with(config.game.storage, EquilibriumMode::kNone) <= e.available_bytes)
    ways += ", or equilibrium: none (no pi*: P alone)";
  ways += ", or " + ImplicitWay(entry);
  const std::string matrices = fmt::format("{:.3g}", e.matrices);
  throw InputError(e.n_key, fmt::format("{} needs about {:.1f} GiB (estimate: {}, {} n x n {} of doubles for {} "
                                        "seed(s) with --jobs {}), {}, expected n <= {} (or {})",
                                        what, e.bytes / kGiB,
                                        config.SolvesEquilibrium() ? "P and the equilibrium's work" : "P", matrices,
                                        matrices == "1" ? "matrix" : "matrices", config.seeds.size(),
                                        std::max(1, plan.jobs), available, n_max, ways));
}

std::shared_ptr<const Game> ValidateExperiment(const ExperimentConfig& config, const ResourcePlan& plan) {
  try {
    CheckMemory(config, plan, EstimateMemory(config, plan));
  } catch (const InputError& e) {
    throw InputErrors({Relocated(e, config)});
  }
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
      // rho is only needed by `auto` and `X*limit`, resolved per game at run time. Validate at the
      // largest rho of any game (max|A| <= 1/2): a limit infinite there is infinite on every game, and
      // the limits are smallest there, so a multiple rejected as too large here is too large anywhere.
      // Without pi* (equilibrium: none) there is no rho at run time either: `X*limit` is refused here.
      const std::optional<double> rho = config.equilibrium == EquilibriumMode::kNone ? std::nullopt : std::optional(0.5);
      solver->Reset(SolverContext{&*game, config.beta, {}, rho, /*rho_is_bound=*/true, config.solvers[i].oracle,
                                  config.seeds.front()});
    } catch (const InputError& e) {
      errors.push_back(Relocated(e, config));
    }
  }
  if (!errors.empty()) throw InputErrors(errors);
  return std::make_shared<const Game>(std::move(*game));
}

namespace {

constexpr std::int64_t kCalibrationIterations = 32;

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

std::vector<StepCost> MeasureStepCosts(const ExperimentConfig& config, std::int64_t steps) {
  const Game game = BuildGame(config, config.seeds.front());
  const std::int64_t k = std::max<std::int64_t>(1, std::min(steps, config.stop.iterations));
  std::vector<StepCost> out;
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
    solver->Reset(SolverContext{&game, config.beta, {}, 0.5, /*rho_is_bound=*/true, config.solvers[i].oracle,
                                config.seeds.front()});
    out.push_back(CostOf(*solver, k));
  }
  return out;
}

double EquilibriumProductsEstimate(double beta) { return 100.0 * std::max(1.0, 0.01 / beta); }

CostEstimate EstimateCost(const ExperimentConfig& config, int jobs) {
  CostEstimate out;
  auto t0 = Clock::now();
  const Game game = BuildGame(config, config.seeds.front());
  out.game_seconds = Seconds(t0);
  Eigen::VectorXd log_pi_star;
  std::optional<double> rho;
  out.equilibrium_timed = !config.SolvesEquilibrium();  // no equilibrium to certify
  if (config.SolvesEquilibrium() && game.n() <= kCalibrationEquilibriumMaxN) {
    t0 = Clock::now();
    const Equilibrium eq = SolveEquilibrium(game, config.beta);
    out.equilibrium_seconds = Seconds(t0);
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
      out.product_seconds = std::min(out.product_seconds, Seconds(t0));
    }
    out.equilibrium_products = EquilibriumProductsEstimate(config.beta);
    out.equilibrium_seconds = out.equilibrium_products * out.product_seconds;
  }
  const StopRules& stop = config.stop;
  const std::int64_t k = std::max<std::int64_t>(1, std::min(kCalibrationIterations, stop.iterations));
  out.calibration_iterations = k;
  double run_seconds = 0.0;
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    CostEstimate::Solver est;
    est.label = config.solvers[i].label;
    auto solver = MakeSolver(config.solvers[i].name, config.solvers[i].params, SolverKey(i));
    // Oracle calls per step.
    solver->Reset(SolverContext{&game, config.beta, {}, rho, false, config.solvers[i].oracle, config.seeds.front()});
    const StepCost cost = CostOf(*solver, k);
    est.calls_per_iteration = cost.oracle_calls;
    est.queries_per_iteration = cost.queries;
    est.notes = solver->Notes();
    est.calls_constant = cost.constant;
    // Time per iteration with the experiment's metric evaluation and logging (without budgets).
    solver->Reset(SolverContext{&game, config.beta, {}, rho, false, config.solvers[i].oracle, config.seeds.front()});
    RunOptions ro;
    ro.stop.iterations = k;
    ro.stop.tolerances = stop.tolerances;
    ro.log = config.log;
    // Rows formatted and written as a run does, into /dev/null.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> null(std::fopen("/dev/null", "wb"), &std::fclose);
    std::optional<TraceWriter> writer;
    std::vector<RunObserver*> observers;
    if (null) observers.push_back(&writer.emplace(null.get(), TraceRunColumns{}, "/dev/null"));
    t0 = Clock::now();
    const RunSummary s = RunSolver(*solver, game, config.beta, log_pi_star, ro, observers);
    if (writer) writer->Flush();
    const double seconds = Seconds(t0);
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
  ParallelFor(n_games, options.jobs,
              [&](size_t g) {
                games[g] = PrepareGame(config, g, result.games[g], options.progress, total,
                                       g == 0 ? options.first_game : nullptr);
              });
  result.games_s = Seconds(start);

  // Phase 2: every solver on every game.
  const std::string fingerprint = ExperimentFingerprint(config);
  result.runs.resize(n_games * n_solvers);
  std::atomic<std::int64_t> done{0};
  ParallelFor(result.runs.size(), options.jobs, [&](size_t k) {
    const size_t g = k / n_solvers, i = k % n_solvers;
    ProgressEvent event;
    event.runs_done = done.load();
    event.runs_total = total;
    event.run_index = k;
    event.label = config.solvers[i].label;
    event.seed = result.games[g].seed;
    const std::optional<TraceSpool::Lease> lease =
        options.trace ? std::optional(options.trace->Acquire()) : std::nullopt;
    RunOne(config, fingerprint, *games[g], result.games[g], i, options.progress, event, result.runs[k],
           lease ? lease->file : nullptr, options.trace ? options.trace->shown() : "");
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
      options.progress(event);
    }
  });
  result.wall_s = Seconds(start);
  return result;
}

}  // namespace nlhf

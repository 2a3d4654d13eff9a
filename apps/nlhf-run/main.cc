// nlhf-run: one YAML experiment -> a run directory with CSV convergence traces (docs/cli.md,
// docs/file-formats.md). A thin main: parse flags, call the library, map errors to exit codes.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "allocator.h"
#include "cli.h"
#include "nlhf/cancel.h"
#include "nlhf/config.h"
#include "nlhf/errors.h"
#include "nlhf/experiment.h"
#include "nlhf/output.h"
#include "nlhf/progress.h"
#include "nlhf/run_directory.h"
#include "nlhf/spec.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "Usage: nlhf-run EXPERIMENT.yaml [--out DIR] [--set KEY=VALUE]... [--dry-run] [--force] [--quiet] [--jobs N]\n"
    "       nlhf-run --list games|references|solvers|metrics\n"
    "\n"
    "Runs every solver on every seed's game and writes a run directory: trace.csv (one row per run and\n"
    "logged iteration), summary.json (final metrics, policies, pi*, certificates) and\n"
    "config.resolved.yaml (every default filled in; running it again reproduces trace.csv).\n"
    "\n"
    "Experiment file:\n"
    "  name: quickstart\n"
    "  game: {type: random_uniform, n: 10}          # nlhf-run --list games\n"
    "  reference: {type: softmax_normal, scale: 1}   # nlhf-run --list references\n"
    "  beta: 0.01\n"
    "  seeds: [0, 1, 2]                              # or {from: 0, to: 9}\n"
    "  solvers:                                      # nlhf-run --list solvers\n"
    "    - {name: nash_mp}\n"
    "    - {name: omd, eta: auto}                    # or eta: 0.9*limit (0.9 x this game's stability limit)\n"
    "    - {name: omd, eta: 0.05, label: omd_fixed}  # label: tells two entries of one solver apart\n"
    "  stop: {iterations: 1000, tolerance: {gap_beta: 1.0e-12}}\n"
    "  log: {every: 1, spacing: linear}              # metrics: [gap_beta, ...] (nlhf-run --list metrics)\n"
    "  equilibrium: certified                        # or none: no pi* (large n; no metric that needs it)\n"
    "  output: runs/example                          # the default: runs/<name>; --out wins\n"
    "All keys, with types, defaults and allowed values: docs/file-formats.md.\n"
    "\n"
    "Exit codes: 0 success, 1 a run failed numerically, 2 bad input or an unusable output directory\n"
    "(refused path, locked by another writer, full disk), 3 an internal error (a bug in nlhf).\n"
    "Ctrl-C, SIGTERM or SIGHUP during the runs: they stop and nothing is written, then the process ends\n"
    "by the signal (130, 143 or 129 in a shell).\n"
    "\n"
    "Options";

double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

std::string Sci(double x) { return std::isnan(x) ? "-" : fmt::format("{:.2e}", x); }

void PrintReport(const nlhf::ExperimentConfig& config, const nlhf::ExperimentResult& result, double check_s, double write_s,
                 std::int64_t rows, const std::string& dir) {
  using nlhf::Metric;
  fmt::print("{} ({} x {}), medians over seeds:\n\n", nlhf::Counted(static_cast<std::int64_t>(result.runs.size()), "run"),
             nlhf::Counted(static_cast<std::int64_t>(config.solvers.size()), "solver"),
             nlhf::Counted(static_cast<std::int64_t>(config.seeds.size()), "seed"));
  // A `queries` column when some solver makes preference queries (a sampled run's x-axis).
  const bool any_queries = config.AnySampled();
  // The label column fits the longest label (an oracle's spec makes labels long).
  size_t width = 32;
  for (const nlhf::ComponentConfig& c : config.solvers) width = std::max(width, c.label.size());
  fmt::print("{:<{}} {:>10} {:>12}{} {:>10} {:>10} {:>10}  {}\n", "solver", width, "iterations", "oracle_calls",
             any_queries ? fmt::format(" {:>12}", "queries") : "", "gap_beta", "kl_to_star", "gap_0", "stopped by");
  for (size_t i = 0; i < config.solvers.size(); ++i) {
    std::vector<double> it, calls, queries, gap, kl, gap0;
    std::map<std::string, int> reasons;
    for (size_t k = i; k < result.runs.size(); k += config.solvers.size()) {
      const nlhf::RunSummary& s = result.runs[k].summary;
      it.push_back(static_cast<double>(s.iterations));
      calls.push_back(static_cast<double>(s.oracle_calls));
      queries.push_back(static_cast<double>(s.queries));
      gap.push_back(s.final_metrics[static_cast<size_t>(Metric::kGapBeta)]);
      kl.push_back(s.final_metrics[static_cast<size_t>(Metric::kKlToStar)]);
      gap0.push_back(s.final_metrics[static_cast<size_t>(Metric::kGap0)]);
      ++reasons[std::string(nlhf::TerminationName(s.termination))];
    }
    std::string stopped;
    for (const auto& [r, c] : reasons) stopped += fmt::format("{}{} x{}", stopped.empty() ? "" : ", ", r, c);
    const std::string& label = config.solvers[i].label;
    fmt::print("{:<{}} {:>10.0f} {:>12.0f}{} {:>10} {:>10} {:>10}  {}\n", label, width, Median(it), Median(calls),
               any_queries ? fmt::format(" {:>12.0f}", Median(queries)) : "", Sci(Median(gap)), Sci(Median(kl)),
               Sci(Median(gap0)), stopped);
  }
  std::vector<std::string> notes;
  for (const nlhf::RunResult& r : result.runs) {
    for (const std::string& w : r.summary.warnings) notes.push_back(fmt::format("{} seed {}: {}", r.label, r.seed, w));
    if (r.summary.theory.violated) notes.push_back(fmt::format("{} seed {}: theory check {}", r.label, r.seed, r.summary.theory.message));
    if (r.summary.termination == nlhf::Termination::kNumericalFailure)
      notes.push_back(fmt::format("{} seed {}: {}", r.label, r.seed, r.summary.message));
  }
  for (const nlhf::GameResult& g : result.games) {
    if (g.equilibrium && !g.equilibrium->certified()) notes.push_back(fmt::format("seed {}: {}", g.seed, g.equilibrium->message));
    if (g.nash && !g.nash->certified)
      notes.push_back(fmt::format("seed {}: the beta = 0 equilibrium is not certified: {}", g.seed, g.nash->message));
  }
  // Which equilibrium kl_to_ne (and at beta = 0 every pi* column) measures against: stated, per game.
  if (config.SolvesNash()) {
    fmt::print("\n{} is the Nash equilibrium of the beta = 0 game selected by ne_selection: {}\n",
               config.beta == 0.0 ? "pi* (kl_to_star, and kl_to_ne)" : "the target of kl_to_ne",
               nlhf::NashSelectionName(config.ne_selection));
    size_t shown = 0;
    for (const nlhf::GameResult& g : result.games) {
      if (!g.nash || !g.nash->certified) continue;
      if (shown++ == 3) {
        fmt::print("  ... (every game's in summary.json, nash_equilibrium)\n");
        break;
      }
      fmt::print("  seed {}: {}\n", g.seed, g.nash->message);
    }
  }
  if (config.equilibrium == nlhf::EquilibriumMode::kNone)
    notes.push_back(nlhf::EquilibriumNoneNote());
  if (!notes.empty()) {
    fmt::print("\nnotes:\n");
    for (size_t k = 0; k < notes.size() && k < 10; ++k) fmt::print("  {}\n", notes[k]);
    if (notes.size() > 10) fmt::print("  ... {} more in summary.json\n", notes.size() - 10);
  }
  double solve_s = 0.0, eval_s = 0.0, metrics_s = 0.0, target_s = 0.0;
  for (const nlhf::RunResult& r : result.runs) {
    solve_s += r.summary.wall_s;
    eval_s += r.eval_s;
    metrics_s += r.summary.metrics_s;
    target_s += r.target_s;
  }
  // A biased solver's limit point (nash_md's mixture) is certified after its run.
  const std::string targets = target_s > 0.0 ? fmt::format(", biased limit points {:.3f} s", target_s) : "";
  // check_s: reading the experiment and checking it, which builds the first seed's game (the runs
  // reuse it), so at large n it is the game's construction.
  fmt::print("\ntime: {:.3f} s (input checks and the first game {:.3f} s; games and equilibria {:.3f} s; solver steps "
             "{:.3f} s, metrics {:.3f} s, logging {:.3f} s{} summed over runs; writing {:.3f} s)\n",
             check_s + result.wall_s + write_s, check_s, result.games_s, solve_s, metrics_s, eval_s - metrics_s, targets,
             write_s);
  fmt::print("wrote {}/ (trace.csv: {} rows, summary.json, config.resolved.yaml)\n", nlhf::EscapeControl(dir), rows);
}

// The dry run's cost estimate, as YAML comments after the resolved configuration (so the output
// stays a valid experiment file).
void PrintCostEstimate(const nlhf::ExperimentConfig& config, const nlhf::CostEstimate& e, int jobs) {
  const auto count = [](double x) { return x < 1e7 ? fmt::format("{:.0f}", x) : fmt::format("{:.3g}", x); };
  const std::string iterations =
      e.fewest_calibration_iterations < e.calibration_iterations
          ? fmt::format("{} (or, where that took over a second, at least {})", e.calibration_iterations,
                        e.fewest_calibration_iterations)
          : fmt::format("{}", e.calibration_iterations);
  fmt::print("# cost estimate, per run: upper bounds from the stop rules (a tolerance can end a run sooner); times\n"
             "# extrapolated from {} iterations of each solver on seed {}'s game, with this experiment's metrics and "
             "logging\n",
             iterations, config.seeds.front());
  size_t width = 30;
  for (const nlhf::CostEstimate::Solver& s : e.solvers) width = std::max(width, s.label.size());
  for (const nlhf::CostEstimate::Solver& s : e.solvers) {
    // What a step costs: oracle calls, or a sampled solver's queries (whose budget is already in
    // max_iterations), or both.
    const char* bound = s.calls_constant ? "<=" : "~";
    const char* about = s.calls_constant ? "" : "~";
    std::string cost;
    if (s.calls_per_iteration > 0 || s.queries_per_iteration == 0)
      cost = fmt::format(", {} {} oracle calls ({}{:.3g} per iteration)", bound, count(s.max_oracle_calls), about,
                         s.calls_per_iteration);
    if (s.queries_per_iteration > 0)
      cost += fmt::format(", {} {} queries ({}{:.3g} per iteration)", bound, count(s.max_queries), about,
                          s.queries_per_iteration);
    fmt::print("#   {:<{}} <= {} iterations{}, <= ~{}\n", s.label, width, count(static_cast<double>(s.max_iterations)),
               cost, nlhf::HumanDuration(s.max_seconds));
    for (const std::string& note : s.notes) fmt::print("#     note (seed {}): {}\n", config.seeds.front(), note);
    if (config.stop.queries > 0 && s.queries_per_iteration > 0 && s.max_queries < config.stop.queries)
      fmt::print("#     note: the iteration cap stop.iterations = {} ends this run before its budget of {} queries; "
                 "raise stop.iterations to spend it\n",
                 config.stop.iterations, config.stop.queries);
  }
  const size_t runs = config.seeds.size() * config.solvers.size();
  fmt::print("# total: {}, {} oracle calls{} at most, <= ~{} on {}", nlhf::Counted(static_cast<std::int64_t>(runs), "run"),
             count(e.total_oracle_calls),
             e.total_queries > 0 ? fmt::format(" and {} queries", count(e.total_queries)) : "",
             nlhf::HumanDuration(e.total_seconds),
             nlhf::Counted(static_cast<std::int64_t>(std::min<size_t>(static_cast<size_t>(jobs), runs)), "worker"));
  if (e.equilibrium_timed)
    fmt::print(" ({}: {} each)\n", config.SolvesEquilibrium() ? "games and equilibria" : "games",
               nlhf::HumanDuration(e.game_seconds + e.equilibrium_seconds));
  else
    fmt::print(" (games and equilibria: ~{} each, the game {}; its equilibrium is not timed at n > {}: about {:.0f} "
               "products P x at this beta, and one took {} here)\n",
               nlhf::HumanDuration(e.game_seconds + e.equilibrium_seconds), nlhf::HumanDuration(e.game_seconds),
               nlhf::kCalibrationEquilibriumMaxN, e.equilibrium_products, nlhf::HumanDuration(e.product_seconds));
  fmt::print("# memory: {}\n",
             nlhf::MemoryText(config, nlhf::EstimateMemory(config, nlhf::ResourcePlan{jobs, false, {}})));
}

nlhf::ProgressMode ProgressModeFor(bool quiet) {
  if (quiet) return nlhf::ProgressMode::kOff;
  return ::isatty(STDERR_FILENO) ? nlhf::ProgressMode::kTerminal : nlhf::ProgressMode::kPlain;
}

int Run(int argc, char** argv) {
  po::options_description opts(kUsage);
  std::string out_dir, list;  // list: read by cli::ParseFlags
  std::vector<std::string> sets;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  opts.add_options()
      ("help,h", "print this help")
      ("version", "print the version")
      ("list", po::value(&list)->value_name("WHAT"), "list games, references, solvers or metrics with their parameters")
      ("out", po::value(&out_dir)->value_name("DIR"), "output directory (default: the file's output, else runs/<name>)")
      ("set", po::value(&sets)->value_name("KEY=VALUE")->composing(),
       "override a key, e.g. --set game.n=100 --set solvers[0].eta=0.1 (repeatable)")
      ("dry-run", "validate, print the resolved configuration and a cost estimate (# comments); run nothing")
      ("force", "replace an output directory nlhf-run wrote earlier (never one holding other files)")
      ("quiet", "no progress display")
      ("jobs,j", po::value(&jobs)->value_name("N"), "parallel runs (default: all cores)");
  std::string experiment;
  po::variables_map vm;
  if (nlhf::cli::ParseFlags(argc, argv, opts, "nlhf-run", &experiment, vm)) return 0;
  if (experiment.empty()) throw nlhf::InputError("missing the experiment file, expected nlhf-run EXPERIMENT.yaml (see --help)");
  if (jobs < 1) throw nlhf::InputError("--jobs", fmt::format("{} is not allowed, expected an integer >= 1", jobs));

  const auto t_start = std::chrono::steady_clock::now();
  nlhf::ExperimentConfig config = nlhf::LoadExperiment(experiment, sets);
  nlhf::ProgressOptions progress_options;
  progress_options.plain_interval = nlhf::cli::ProgressIntervalFromEnv();  // refused before any work
  // Where the output path came from, for messages.
  const std::string out_key = !out_dir.empty() ? "--out" : !config.output.empty() ? "output" : "name";
  if (!out_dir.empty()) config.output = out_dir;
  std::shared_ptr<const nlhf::Game> first_game = nlhf::ValidateExperiment(config, nlhf::ResourcePlan{jobs, false, {}});
  const double check_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  // Checked, locked and cleaned before any work; written at the end by a rename into place.
  nlhf::OutputDirectoryOptions out_options;
  out_options.tool = "nlhf-run";
  out_options.key = out_key;
  out_options.inputs = nlhf::ExperimentInputFiles(config);
  out_options.owned = {"trace.csv", "summary.json", "config.resolved.yaml"};
  out_options.force = vm.count("force") > 0;
  // Runs `check`, a check of the output directory. A refusal of a path the file gave (name: or
  // output:) is located at that key and names the directory: "exp.yaml:1:7: name: its output
  // directory runs/x (runs/<name>) exists and ...". Others (a WriteFailure among them) pass unchanged.
  const auto located_at_key = [&](const auto& check) {
    try {
      check();
    } catch (const nlhf::InputError& e) {
      if (out_key == "--out" || e.key() != out_key || dynamic_cast<const nlhf::WriteFailure*>(&e) != nullptr) throw;
      const bool named = config.locations.count("name") > 0;  // else the name is the file's stem
      throw nlhf::InputError(config.Locate(out_key), out_key,
                             nlhf::cli::OutputDirectoryText(out_key, config.OutputDir(), named) + " " + e.problem());
    }
  };
  if (vm.count("dry-run")) {
    // The output directory gets the same checks as a real run (nothing is created or locked).
    located_at_key([&] { nlhf::CheckOutputDirectory(config.OutputDir(), out_options); });
    nlhf::cli::WriteStdout(nlhf::ResolvedYaml(config));
    // The game the checks built, and their time as its build's (at large n, nearly all of it).
    PrintCostEstimate(config, nlhf::EstimateCost(config, jobs, std::move(first_game), check_s), jobs);
    return 0;
  }
  // Ctrl-C, SIGTERM or SIGHUP: the runs stop, and nothing is written (nor left: `out`, made after
  // it, is gone with its lock before the handlers are).
  const nlhf::cli::StopOnSignals stop("nlhf-run", "nothing will be written",
                                      fmt::format("nothing was written to {}", config.OutputDir()));
  std::optional<nlhf::OutputDirectory> out;
  located_at_key([&] { out.emplace(config.OutputDir(), out_options); });

  // Rows stream into a trace.csv with no name yet beside the output (on its filesystem; it vanishes
  // with the process, however it ends), in run order: a run that starts when its turn has come
  // writes straight into it, the others into spool files copied in when their turn comes. At the
  // end it is linked into place (without O_TMPFILE: the spools are concatenated into trace.csv).
  nlhf::TraceSpool spool(out->path().parent_path().string(), (std::filesystem::path(out->shown()) / "trace.csv").string(),
                         nlhf::TraceHeader());
  nlhf::ExperimentResult result;
  {
    nlhf::ProgressDisplay progress(std::cerr, ProgressModeFor(vm.count("quiet") > 0), progress_options);
    nlhf::ExperimentOptions options;
    options.jobs = jobs;
    options.progress = progress.Callback();
    options.trace = &spool;
    options.first_game = std::move(first_game);
    options.cancel = stop.flag();
    result = nlhf::RunExperiment(config, options);
  }
  // Nothing polls from here on: a later signal is told the files are being finished, and one that
  // came after the last run's last poll stops here (WorkDone has set the flag for it).
  stop.WorkDone();
  nlhf::ThrowIfCancelled(stop.flag());
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t rows = 0;
  for (const nlhf::RunResult& r : result.runs) rows += r.trace_row_count;
  out->WriteStaged(
      {{"trace.csv",
        [&](std::FILE* f) {
          nlhf::WriteString(f, nlhf::TraceHeader());
          spool.AppendTo(f, result.runs.size());
        },
        spool.Ordered(result.runs.size())},
       {"summary.json", [&](std::FILE* f) { nlhf::WriteString(f, nlhf::SummaryJson(config, result)); }},
       {"config.resolved.yaml", [&](std::FILE* f) { nlhf::WriteString(f, nlhf::ResolvedYaml(config)); }}});
  const double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  PrintReport(config, result, check_s, write_s, rows, out->shown());
  return result.any_numerical_failure() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  nlhf::cli::TuneAllocator();
  return nlhf::cli::Main([&] { return Run(argc, argv); });
}

// nlhf-sweep: grids of experiments, in parallel, resumable and shardable (docs/cli.md).
// A thin main: parse flags, call the library, map errors to exit codes.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "allocator.h"
#include "cli.h"
#include "nlhf/build.h"
#include "nlhf/errors.h"
#include "nlhf/experiment.h"
#include "nlhf/game_cache.h"
#include "nlhf/output/files.h"
#include "nlhf/progress.h"
#include "nlhf/run_directory.h"
#include "nlhf/sweep.h"

namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: nlhf-sweep SWEEP.yaml [--out DIR] [--jobs N] [--shard K/N] [--dry-run] [--force] [--quiet]\n"
    "                  [--set KEY=VALUE]...\n"
    "       nlhf-sweep --merge DIR... --out DIR [--force]\n"
    "       nlhf-sweep SWEEP.yaml --emit-slurm [--shards N] [--partition P] [--time T] [--cpus-per-task C]\n"
    "                  [--log-dir D] [--out DIR] [--set KEY=VALUE]...\n"
    "       nlhf-sweep --list games|references|solvers|metrics\n"
    "\n"
    "A sweep file is an experiment (see nlhf-run --help) plus\n"
    "  sweep:                      # Cartesian product over key paths\n"
    "    game.n: [10, 100, 1000]\n"
    "    solvers[0].eta: [0.01, 0.1]\n"
    "  zip:                        # groups of keys that vary together, crossed with sweep\n"
    "    - {beta: [0.001, 0.01, 0.1], stop.iterations: [100000, 5000, 1000]}\n"
    "\n"
    "Output: trace.csv (all runs), runs.csv (one row per run: run_id, swept values, status, wall_s),\n"
    "summary.csv (final metrics per swept point and solver: median and quartiles over seeds),\n"
    "config.resolved.yaml. Finished work is kept in DIR/.parts: running the same command again after\n"
    "an interruption runs only what is missing. The output does not depend on --jobs, and merged\n"
    "shards equal a single-process run.\n"
    "\n"
    "DIR is locked while a sweep or merge writes it, and --force replaces only a directory nlhf-sweep\n"
    "wrote (deleting .parts, trace.csv, runs.csv, summary.csv, config.resolved.yaml, nothing else).\n"
    "\n"
    "Exit codes: 0 success, 1 a run failed (numerically or otherwise), 2 bad input or an unusable\n"
    "output directory (refused path, locked by another writer, full disk), 3 an internal error (a bug\n"
    "in nlhf). Ctrl-C, SIGTERM or SIGHUP: the finished tasks are stored, then the process ends by the\n"
    "signal (130, 143 or 129 in a shell); the same command runs the rest.\n"
    "\n"
    "Options";

// Progress: a redrawn line on a terminal, otherwise a plain line "progress: ..." every `interval`
// (10 s; NLHF_PROGRESS_INTERVAL_S), as nlhf-run's; nothing with --quiet.
class SweepDisplay {
 public:
  SweepDisplay(bool quiet, std::chrono::milliseconds interval)
      : tty_(!quiet && ::isatty(STDERR_FILENO)), plain_(!quiet && !tty_), interval_(interval) {}
  ~SweepDisplay() { Clear(); }
  // Erases the redrawn line, so that the report starts on a clean line.
  void Clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (drawn_) std::cerr << "\r\x1b[K" << std::flush;
    drawn_ = false;
  }
  void Update(const nlhf::SweepProgress& p) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const bool last = p.runs_done == p.runs_total;
    if (tty_ && (now - last_draw_ > std::chrono::milliseconds(200) || last)) {
      std::cerr << "\r\x1b[K" << Line(p) << std::flush;
      drawn_ = true;
      last_draw_ = now;
    } else if (plain_ && (now - last_draw_ > interval_ || last)) {
      std::cerr << "progress: " << Line(p) << "\n" << std::flush;
      last_draw_ = now;
    }
  }

 private:
  static std::string Line(const nlhf::SweepProgress& p) {
    const std::int64_t fresh = p.runs_done - p.runs_skipped;
    const double rate = p.elapsed_s > 0 ? static_cast<double>(fresh) / p.elapsed_s : 0.0;
    const std::string eta =
        rate > 0 ? fmt::format(", ~{:.0f} s left", static_cast<double>(p.runs_total - p.runs_done) / rate) : "";
    return fmt::format("[sweep] {}/{} runs ({} kept from before), {:.1f} runs/s{}, {} failed", p.runs_done,
                       p.runs_total, p.runs_skipped, rate, eta, p.failures);
  }
  const bool tty_, plain_;
  const std::chrono::milliseconds interval_;
  bool drawn_ = false;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_draw_{};
};

std::string SelfPath(const char* argv0) {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : p.string();
}

// Flags that the chosen mode would accept and then ignore are errors (one `error:` line, exit 2).
void RefuseIgnoredFlags(const po::variables_map& vm, const std::string& sweep_path) {
  auto given = [&](const char* flag) { return vm.count(flag) > 0; };
  const char* const slurm_only[] = {"shards", "partition", "time", "cpus-per-task", "log-dir"};
  if (given("merge")) {
    if (!sweep_path.empty())
      throw nlhf::InputError("--merge", "takes no sweep file (the shards' manifests hold the sweep), expected "
                                        "nlhf-sweep --merge DIR... --out DIR");
    for (const char* flag : {"emit-slurm", "set", "jobs", "dry-run", "shard"})
      if (given(flag))
        throw nlhf::InputError(fmt::format("--{}", flag), "is not used by --merge, expected nlhf-sweep --merge DIR... "
                                                          "--out DIR");
    for (const char* flag : slurm_only)
      if (given(flag))
        throw nlhf::InputError(fmt::format("--{}", flag), "is not used by --merge, expected nlhf-sweep --merge DIR... "
                                                          "--out DIR");
  }
  if (given("emit-slurm")) {
    if (given("shard"))
      throw nlhf::InputError("--shard", "is not used by --emit-slurm (the script runs every shard), expected "
                                        "--shards N to set their number");
    if (given("jobs"))
      throw nlhf::InputError("--jobs", "is not used by --emit-slurm (each shard runs one worker per CPU), expected "
                                       "--cpus-per-task C");
    if (given("dry-run"))
      throw nlhf::InputError("--dry-run", "is not used by --emit-slurm (printing the script runs nothing), expected "
                                          "one of them");
  } else {
    for (const char* flag : slurm_only)
      if (given(flag))
        throw nlhf::InputError(fmt::format("--{}", flag), fmt::format("is only used with --emit-slurm, expected "
                                                                      "--emit-slurm --{} ... or no --{}",
                                                                      flag, flag));
  }
}

// The note on stored tasks that other builds of nlhf computed: "note: 40 of the tasks kept from before
// were computed by nlhf 0.1.0 (git commit A) and 3 by ..., not by this build, nlhf 0.1.0 (git commit
// B): ...". `what`: the tasks ("tasks kept from before"); `advice`: what to do about it, if anything.
std::string ReusedBuildsNote(const std::vector<nlhf::BuildTasks>& builds, const std::string& what,
                             const std::string& advice) {
  // (A part file's version and commit are text from disk: control characters shown escaped.)
  const auto name = [](const nlhf::Build& b) { return nlhf::EscapeControl(nlhf::BuildName(b)); };
  std::string by;
  for (size_t i = 0; i < builds.size(); ++i) {
    if (i > 0) by += i + 1 == builds.size() ? " and " : ", ";
    by += i == 0 ? fmt::format("{} of the {} {} computed by {}", builds[i].tasks, what,
                               builds[i].tasks == 1 ? "was" : "were", name(builds[i].build))
                 : fmt::format("{} by {}", builds[i].tasks, name(builds[i].build));
  }
  return fmt::format("note: {}, not by this build, {}: their results are reused, not computed again "
                     "(config.resolved.yaml lists them under nlhf: reused){}\n",
                     by, name(nlhf::ThisBuild()), advice);
}

int Run(int argc, char** argv) {
  po::options_description opts(kUsage);
  std::string out_dir, shard, list;
  std::vector<std::string> sets, merge;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  nlhf::SlurmOptions slurm;
  opts.add_options()
      ("help,h", "print this help")
      ("version", "print the version")
      ("list", po::value(&list)->value_name("WHAT"), "list games, references, solvers or metrics")
      ("out", po::value(&out_dir)->value_name("DIR"), "output directory (default: the file's output, else runs/<name>)")
      ("jobs,j", po::value(&jobs)->value_name("N"), "parallel workers (default: all cores)")
      ("shard", po::value(&shard)->value_name("K/N"), "run only shard K of N (1-based)")
      ("set", po::value(&sets)->value_name("KEY=VALUE")->composing(), "override a key of the base experiment, or of sweep: and zip: (sweep.beta=[0.1, 0.2])")
      ("dry-run", "validate, print the number of runs, an estimate of oracle calls, how many tasks --out "
                  "stores already and the first points")
      ("merge", po::value(&merge)->multitoken()->value_name("DIR..."), "merge shard directories into --out")
      ("emit-slurm", "print a SLURM job-array submit script (shards + dependent merge)")
      ("shards", po::value(&slurm.shards)->value_name("N"), "--emit-slurm: number of array tasks (default 4)")
      ("partition", po::value(&slurm.partition)->value_name("P"), "--emit-slurm: partition (default: the cluster's)")
      ("time", po::value(&slurm.time)->value_name("T"), "--emit-slurm: time limit per job (default 01:00:00)")
      ("cpus-per-task", po::value(&slurm.cpus_per_task)->value_name("C"), "--emit-slurm: CPUs per shard (default 1)")
      ("log-dir", po::value(&slurm.log_dir)->value_name("D"), "--emit-slurm: job log directory (default slurm-logs)")
      ("force", "start over in an output directory nlhf-sweep wrote (deleting only its own files)")
      ("quiet", "no progress display");
  std::string sweep_path;
  po::variables_map vm;
  if (nlhf::cli::ParseFlags(argc, argv, opts, "nlhf-sweep", &sweep_path, vm)) return 0;
  RefuseIgnoredFlags(vm, sweep_path);
  if (jobs < 1) throw nlhf::InputError("--jobs", fmt::format("{} is not allowed, expected an integer >= 1", jobs));

  if (vm.count("merge")) {
    if (out_dir.empty()) {
      // --merge takes every word after it, options included: `--merge --out z` (no directories
      // before --out, say an empty $DIRS) names no --out.
      const auto option = [](const std::string& d) { return d.rfind("--", 0) == 0; };
      throw nlhf::InputError("--merge", std::any_of(merge.begin(), merge.end(), option)
                                            ? "took the words after it, --out included, as shard directories, so "
                                              "--out is missing; expected nlhf-sweep --merge DIR... --out DIR, with "
                                              "the shard directories right after --merge"
                                            : "needs --out DIR for the merged result");
    }
    // Ctrl-C, SIGTERM or SIGHUP: the copy stops and its temporary file goes (a merge stores nothing
    // it could resume from).
    const nlhf::cli::StopOnSignals stop("nlhf-sweep", "removing the partly merged trace",
                                        "run the same command again to merge");
    const nlhf::MergeReport report =
        nlhf::MergeSweep(merge, out_dir, vm.count("force") > 0, stop.flag(), [&stop] { stop.WorkDone(); });
    for (const auto& [then, now] : report.moved_inputs)
      fmt::print("note: one shard read {} where the first read {} (the same contents); the game column of "
                 "trace.csv names each as its shard read it\n",
                 nlhf::EscapeControl(now), nlhf::EscapeControl(then));
    if (!report.reused_builds.empty()) fmt::print("{}", ReusedBuildsNote(report.reused_builds, "merged tasks", ""));
    fmt::print("merged {} into {}/ (trace.csv, runs.csv, summary.csv, config.resolved.yaml){}\n",
               merge.size() == 1 ? std::string("1 shard directory") : fmt::format("{} shard directories", merge.size()),
               nlhf::EscapeControl(out_dir),
               report.tasks_unused > 0
                   ? fmt::format(" (it held another sweep: its final files were replaced, and its {} tasks that "
                                 "this sweep lacks stay unused in {}/.parts)",
                                 report.tasks_unused, nlhf::EscapeControl(out_dir))
                   : "");
    return 0;
  }
  if (sweep_path.empty()) throw nlhf::InputError("missing the sweep file, expected nlhf-sweep SWEEP.yaml (see --help)");
  const std::chrono::milliseconds progress_interval = nlhf::cli::ProgressIntervalFromEnv();  // before any work
  if (vm.count("emit-slurm")) nlhf::ValidateSlurmOptions(slurm);  // before the (possibly long) expansion
  nlhf::SweepOptions options;
  options.jobs = jobs;
  options.force = vm.count("force") > 0;
  if (!shard.empty()) options.shard = nlhf::ParseShard(shard);
  const bool dry_run = vm.count("dry-run") > 0;
  // The point count first (on stderr, like progress: stdout stays empty if a point is invalid):
  // validating every point of a large sweep takes a while.
  const bool quiet = vm.count("quiet") > 0;
  const nlhf::SweepConfig sweep = nlhf::LoadSweep(sweep_path, sets, [&](size_t points) {
    if (quiet || points < 1000) return;
    std::cerr << fmt::format("nlhf-sweep: {} points; validating each\n", points) << std::flush;
  });
  // Where the output path came from, for messages: a refusal of a path the file gave (name: or
  // output:) is located at that key and names the directory, as nlhf-run's are ("sweep.yaml:1:7:
  // name: its output directory runs/x (runs/<name>) ..."), not blamed on an --out never given.
  const nlhf::ExperimentConfig& first = sweep.points.front().config;
  const std::string out_key = !out_dir.empty() ? "--out" : !first.output.empty() ? "output" : "name";
  if (out_dir.empty()) out_dir = first.OutputDir();
  const auto located_at_key = [&](const auto& check) {
    try {
      return check();
    } catch (const nlhf::InputError& e) {
      if (out_key == "--out" || e.key() != "--out" || dynamic_cast<const nlhf::WriteFailure*>(&e) != nullptr) throw;
      // (A validated sweep keeps no key locations: the first point is built again to find it.)
      const nlhf::SourceLocation at = nlhf::LocatePointKey(sweep, 0, out_key);
      const bool named = at.line > 0 || at.file != sweep.source;  // else the name is the file's stem
      throw nlhf::InputError(at, out_key, nlhf::cli::OutputDirectoryText(out_key, out_dir, named) + " " + e.problem());
    }
  };
  if (dry_run) {
    // The checks a real run makes first (nothing is created or locked).
    located_at_key([&] { nlhf::CheckSweepDirectory(sweep, out_dir, options.force); });
  } else if (vm.count("emit-slurm")) {
    // What the jobs would meet: the shards run into DIR/shard-K (their stored results checked as a
    // run checks them), and the merge writes DIR, the shards' folder, whose earlier results it
    // replaces (so only DIR's path and contents are checked).
    std::vector<std::string> shard_dirs;
    for (int k = 1; k <= slurm.shards; ++k) shard_dirs.push_back(fmt::format("{}/shard-{}", out_dir, k));
    located_at_key([&] { nlhf::CheckSweepDirectory(sweep, out_dir, options.force, false, shard_dirs); });
    for (const std::string& shard_dir : shard_dirs) {
      std::error_code ec;
      if (std::filesystem::exists(shard_dir, ec)) nlhf::CheckSweepDirectory(sweep, shard_dir, false);  // the script's shards run without --force
    }
  }

  if (vm.count("emit-slurm")) {
    slurm.sweep_binary = SelfPath(argv[0]);
    nlhf::cli::WriteStdout(nlhf::EmitSlurm(sweep, sweep_path, out_dir, slurm));
    return 0;
  }

  if (dry_run) {
    const std::vector<nlhf::SweepTask> tasks = nlhf::SweepTasks(sweep);
    // What the run would keep: the tasks the directory stores already (a resume, an extension).
    // Read first: a refusal (--force with --shard where other shards stored tasks) prints nothing else.
    const nlhf::StoredTasks stored = nlhf::FindStoredTasks(sweep, out_dir, options);
    // Each run's iterations: its cap, or fewer where a budget (oracle calls, queries) runs out first at
    // its solver's cost per iteration on the point's first game (declared, or measured where it varies).
    double calls = 0.0, queries = 0.0;
    bool constant = true;
    nlhf::LastGame last;  // points that differ in beta or solvers share their game
    for (const nlhf::SweepPoint& p : sweep.points) {
      std::shared_ptr<const nlhf::Game> game = last.Take(p.config);
      if (!game) game = nlhf::BuildFirstGame(p.config);
      const std::vector<nlhf::StepCost> costs = nlhf::MeasureStepCosts(p.config, 4, game);
      last.Keep(p.config, std::move(game));
      const auto seeds = static_cast<double>(p.config.seeds.size());
      for (const nlhf::StepCost& c : costs) {
        const auto iterations = static_cast<double>(nlhf::MaxIterations(p.config.stop, c));
        calls += seeds * iterations * c.oracle_calls;
        queries += seeds * iterations * c.queries;
        constant = constant && c.constant;
      }
    }
    const char* about = constant ? "" : "~";
    fmt::print("{} x seeds x solvers = {} in {} (one per point and seed); at most {}{:.3g} oracle "
               "calls{} (each run's iteration cap, or its budget in oracle calls or queries, x its solver's cost per "
               "iteration, as the solver declares it or measured over 4 steps where it varies)\n",
               nlhf::Counted(static_cast<std::int64_t>(sweep.points.size()), "point"),
               nlhf::Counted(sweep.RunCount(), "run"), nlhf::Counted(static_cast<std::int64_t>(tasks.size()), "task"),
               about, calls,
               queries > 0 ? fmt::format(" and {}{:.3g} queries", about, queries) : "");
    if (const nlhf::SweepMemory memory = nlhf::EstimateSweepMemory(sweep, options.jobs); memory.point != nullptr)
      fmt::print("memory: {} (the largest point, {})\n", nlhf::MemoryText(memory.point->config, memory.estimate),
                 nlhf::Counted(memory.plan.jobs, "worker"));
    if (options.shard.n > 1) {
      size_t mine = 0;
      for (size_t i = 0; i < tasks.size(); ++i)
        mine += options.shard.Holds(i) ? 1 : 0;
      fmt::print("shard {}/{}: {} of the {} tasks\n", options.shard.k, options.shard.n, mine, tasks.size());
    }
    const std::string shown = nlhf::EscapeControl(out_dir);
    const std::string mine = fmt::format("{}{}", nlhf::Counted(stored.tasks, "task"),
                                         options.shard.n > 1 ? " of this shard" : "");
    if (options.force)
      fmt::print("--force: {} to run{}\n", mine,
                 stored.exists ? fmt::format("; anything stored in {} is deleted first", shown) : "");
    else if (stored.stored == 0)
      fmt::print("stored in {}: none of the {}; a run computes {}\n", shown, mine,
                 stored.tasks == 1 ? "it" : "all of them");
    else if (stored.stored == stored.tasks)
      fmt::print("stored in {}: all of the {}; a run computes none of them\n", shown, mine);
    else
      fmt::print("stored in {}: {} of the {}; a run keeps them and computes the other {}\n", shown, stored.stored,
                 mine, stored.tasks - stored.stored);
    // The final files come once the directory holds every task of the sweep.
    const std::int64_t after = options.force ? stored.tasks : stored.sweep_stored + (stored.tasks - stored.stored);
    if (after == stored.sweep_tasks)
      fmt::print("then it writes the final files (trace.csv, runs.csv, summary.csv, config.resolved.yaml){}\n",
                 !options.force && stored.stored == stored.tasks ? " from them, keeping trace.csv if unchanged" : "");
    else
      fmt::print("then {} holds {} of the sweep's {} tasks: the final files are written once it holds every one "
                 "(run the other shards into it, or merge the shard directories)\n",
                 shown, after, stored.sweep_tasks);
    if (stored.other_sweep)
      fmt::print("note: {} holds an earlier, different sweep: a run replaces its final files{}\n", shown,
                 stored.unused > 0 ? fmt::format(", and its {} that this sweep lacks stay unused in {}/.parts",
                                                 nlhf::Counted(stored.unused, "task"), shown)
                                   : "");
    if (stored.stale > 0)
      fmt::print("note: {} indexed in {}/trace.csv run again: it is not the file the sweep finished with (its size "
                 "or modification time differ from the record in {}/.parts)\n",
                 nlhf::Counted(stored.stale, "task"), shown, shown);
    if (!stored.other_builds.empty())
      fmt::print("{}", ReusedBuildsNote(stored.other_builds, "stored tasks",
                                        "; --force computes every task again with this build"));
    for (size_t i = 0; i < sweep.points.size() && i < 5; ++i) {
      std::string values;
      for (const auto& [k, v] : sweep.points[i].values) values += fmt::format("{}{}={}", values.empty() ? "" : ", ", k, v);
      fmt::print("point {}: {}\n", i, values.empty() ? "(no swept keys)" : values);
    }
    if (sweep.points.size() > 5) fmt::print("... {} more points\n", sweep.points.size() - 5);
    return 0;
  }

  // Ctrl-C, SIGTERM or SIGHUP: the running tasks stop, the finished ones are stored, the lock is
  // released.
  // Run again with --force, the command would start over and drop the stored tasks.
  const nlhf::cli::StopOnSignals stop("nlhf-sweep", "storing the tasks that finished",
                                      options.force ? "run the same command again without --force to finish"
                                                    : "run the same command again to finish");
  options.cancel = stop.flag();
  options.work_done = [&stop] { stop.WorkDone(); };
  SweepDisplay display(vm.count("quiet") > 0, progress_interval);
  options.progress = [&](const nlhf::SweepProgress& p) { display.Update(p); };
  // A write that failed with tasks stored ("writing FILE: REASON; K of T tasks are stored in DIR"):
  // how to go on.
  const auto run = [&] {
    try {
      return nlhf::RunSweep(sweep, out_dir, options);
    } catch (const nlhf::SweepWriteFailure& e) {
      throw nlhf::SweepWriteFailure(e.where(), e.key(),
                                    fmt::format("{}; {}, {}", e.problem(), e.Remedy(),
                                                options.force ? "run the same command again without --force to finish"
                                                              : "run the same command again to finish"),
                                    e.err());
    }
  };
  const nlhf::SweepReport r = located_at_key(run);
  display.Clear();
  const std::string shown_dir = nlhf::EscapeControl(out_dir);  // (as error lines show it: \x1b, \n)
  const std::string changed =
      r.changed_sweep
          ? fmt::format(" (the sweep in {} was extended or changed: its finished tasks that are part of this sweep "
                        "were reused; {} others stay unused in {}/.parts)",
                        shown_dir, r.tasks_unused, shown_dir)
          : "";
  fmt::print(
      "{} in {}{}: {} run now, {} kept from before{}; {:.3f} s ({:.1f} runs/s, "
      "solver steps {:.3f} s, metrics {:.3f} s, logging {:.3f} s, games and equilibria {:.3f} s "
      "summed)\n",
      nlhf::Counted(r.runs, "run"), nlhf::Counted(r.tasks, "task"),
      options.shard.n > 1 ? fmt::format(" (shard {}/{})", options.shard.k, options.shard.n) : "",
      nlhf::Counted(r.tasks_run, "task"), r.tasks_skipped, changed, r.wall_s,
      r.wall_s > 0 ? static_cast<double>(r.runs_run) / r.wall_s : 0.0, r.solve_s, r.metrics_s,
      r.eval_s - r.metrics_s, r.games_s);
  if (r.task_failures > 0) {
    std::cerr << fmt::format("error: {} of {} failed (the first: {}); run the same command again to retry them\n",
                             r.task_failures, nlhf::Counted(r.tasks, "task"), nlhf::EscapeControl(r.first_failure));
    return 1;
  }
  if (r.trace_index_stale)
    fmt::print("note: {0}/trace.csv is not the file the sweep finished with, or its link in {0}/.parts is gone "
               "(its size or modification time differ from the record in {0}/.parts: an edit, a touch, a copy "
               "without cp -a, or a deleted .parts/data file), so tasks it held ran again\n",
               shown_dir);
  for (const auto& [then, now] : r.tasks_skipped > 0 ? r.moved_inputs : decltype(r.moved_inputs){})
    fmt::print("note: {} has the contents {} had when the tasks kept from before ran; their rows name {} in the "
               "game column of trace.csv (--force recomputes them under the new path)\n",
               nlhf::EscapeControl(now), nlhf::EscapeControl(then), nlhf::EscapeControl(then));
  if (!r.reused_builds.empty())
    fmt::print("{}", ReusedBuildsNote(r.reused_builds, "tasks kept from before",
                                      "; --force computes every task again with this build"));
  if (r.capped_budgets > 0)
    fmt::print("note: the iteration cap (stop.iterations) ended {} of the {} runs before their query or oracle-call "
               "budget (status iterations in runs.csv); raise stop.iterations to spend the budget\n",
               r.capped_budgets, r.runs);
  if (r.numerical_failures > 0)
    fmt::print("note: {} of the {} runs ended in a numerical failure (a non-finite iterate or metric: status "
               "numerical_failure in runs.csv), so nlhf-sweep exits with 1\n",
               r.numerical_failures, r.runs);
  // A shard says what DIR now holds: the whole sweep (it completed a shared directory), or how much.
  const std::string final_files = "trace.csv, runs.csv, summary.csv, config.resolved.yaml";
  fmt::print("wrote {}/ ({})\n", shown_dir,
             options.shard.n == 1 ? final_files
             : r.assembled        ? fmt::format("shard {}/{}; the directory now holds every task of the sweep: {}",
                                                options.shard.k, options.shard.n, final_files)
                                  : fmt::format("shard parts: {} of the sweep's {} tasks are stored here; run the "
                                                "other shards into this directory to complete it, or merge shard "
                                                "directories with nlhf-sweep --merge",
                                                r.sweep_tasks_stored, r.sweep_tasks));
  return r.numerical_failures > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  nlhf::cli::TuneAllocator();
  return nlhf::cli::Main([&] { return Run(argc, argv); });
}

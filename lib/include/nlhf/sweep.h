#pragma once
// Sweeps (docs/cli.md): an experiment plus `sweep:` (a Cartesian product over key paths)
// and `zip:` (groups of keys that vary together), expanded into points that are each a full
// experiment, validated before anything runs.
//
// Execution and storage: the unit of work is one (point, seed) game with all its solvers (its pi*
// is certified once). Finished units are buffered and written to DIR/.parts/ as one part file every
// 0.25 s and at the end (temp file, fsync, rename: complete or absent). An interrupted sweep
// therefore loses only units in flight or buffered, and running the same command again runs exactly
// the missing ones. A unit's id hashes what it computes, so a changed sweep (more seeds, more
// points) run into the same DIR reuses every unit it shares with the earlier one. The final trace.csv, runs.csv and summary.csv are assembled from
// the parts in canonical order, so they do not depend on --jobs, and merging shards is the same
// assembly over several part folders.
//
// A part file holds one or more units, each with its run records and trace rows and an end marker;
// a file that does not parse is ignored (its units run again).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/config.h"

namespace nlhf {

struct SweepAxis {
  std::string key;                  // a key path: game.n, beta, solvers[0].eta, seeds
  std::vector<std::string> values;  // each a YAML value in flow style
};

struct SweepPoint {
  size_t index = 0;
  std::vector<std::pair<std::string, std::string>> values;  // (key, YAML value), in column order
  ExperimentConfig config;
  std::string fingerprint;  // ExperimentFingerprint(config) (a SHA-256 hex digest), computed once
  // ExperimentFingerprint of the config without its seed list: what one task (one seed) computes.
  // Task ids and run ids hash it, so adding seeds to a sweep keeps the ids of the tasks done.
  std::string task_fingerprint;
};

struct SweepConfig {
  std::string source;    // the sweep file
  std::string text;      // its contents
  std::string base_dir;  // for relative paths
  std::vector<std::string> sets;
  std::vector<SweepAxis> sweep;
  std::vector<std::vector<SweepAxis>> zip;
  std::vector<SweepPoint> points;
  std::string fingerprint;  // identifies the expanded sweep; equal for its shards and its resumption

  std::vector<std::string> Keys() const;  // the swept keys, in column order
  size_t RunCount() const;
};

// At most this many points (a larger product is refused before anything is expanded).
inline constexpr size_t kMaxSweepPoints = 1000000;

// Reads, expands and validates every point (errors name the point's swept values). Throws InputErrors.
// The file is parsed once, with the `sets` applied to the whole of it (so `--set sweep.game.n=[1,2]`
// and `--set zip=[...]` change the sweep); each point is the base experiment (without sweep and
// zip) plus its values, sharing the parsed tree, so expansion takes time linear in the points.
// `on_count`, when given, receives the number of points before they are validated.
SweepConfig LoadSweep(const std::string& path, const std::vector<std::string>& sets = {},
                      const std::function<void(size_t)>& on_count = {});
SweepConfig ParseSweep(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                       const std::string& base_dir, const std::function<void(size_t)>& on_count = {});

// The files a sweep reads: the sweep file and every point's input files, once each (an output
// directory may not hold them).
std::vector<std::string> SweepInputFiles(const SweepConfig& sweep);

// One unit of work: a point's game for one seed, with all its solvers.
struct SweepTask {
  size_t point = 0;
  size_t seed_index = 0;
  std::string id;      // stable: a hash of the point's resolved experiment (without its seed list) and the seed
  double cost = 0.0;   // estimate, for scheduling long tasks first
};
std::vector<SweepTask> SweepTasks(const SweepConfig& sweep);  // canonical order

// A shard: K of N (1-based); tasks with canonical index i where i % N == K - 1.
struct Shard {
  int k = 1, n = 1;
  // Whether the task with canonical index `i` belongs to this shard.
  bool Holds(size_t i) const { return static_cast<int>(i % static_cast<size_t>(n)) == k - 1; }
};
Shard ParseShard(const std::string& text);  // "K/N"; throws InputError

struct SweepProgress {
  std::int64_t runs_done = 0, runs_total = 0, runs_skipped = 0, failures = 0;
  double elapsed_s = 0.0;
};

struct SweepOptions {
  int jobs = 1;
  Shard shard;
  std::function<void(const SweepProgress&)> progress;  // may be empty; called from workers
  bool force = false;  // start over in a directory nlhf-sweep wrote, deleting only what it wrote
};

struct SweepReport {
  std::int64_t tasks = 0, tasks_run = 0, tasks_skipped = 0, runs = 0, numerical_failures = 0;
  // Runs the iteration cap ended before the query or oracle-call budget they were spending (a cap
  // left at its default with a budget given): status `iterations` in runs.csv.
  std::int64_t capped_budgets = 0;
  // Tasks that threw (not written, so the next run of the same command retries them); the first
  // one's message. A failed task means exit 1.
  std::int64_t task_failures = 0;
  std::string first_failure;
  // DIR held an earlier, different sweep (now extended or changed): its tasks that are part of this
  // sweep were reused (counted in tasks_skipped); `tasks_unused` others stay in DIR/.parts unused.
  bool changed_sweep = false;
  std::int64_t tasks_unused = 0;
  double wall_s = 0.0, solve_s = 0.0;
};

// Runs the shard's tasks that DIR does not hold yet, writing parts as they finish; then, when DIR
// holds every task of the sweep (always for an unsharded sweep), assembles the final files of this
// sweep. DIR may hold an earlier, different sweep: its tasks that are part of this one are reused
// and DIR's manifest then describes this sweep. Refuses (InputError) to reuse anything when an input
// file recorded in DIR's manifest now has other contents. Refuses a DIR that holds files nlhf-sweep
// did not write, and one that another process is writing (run_directory.h: checked and locked
// before any work). A task that throws an InputError (an input file removed since validation)
// stops the sweep with it, after the finished tasks are written; other failing tasks are counted
// in the report and not written. A failed write is "writing FILE: REASON"; what was written before
// stays valid for a resume.
SweepReport RunSweep(const SweepConfig& sweep, const std::string& dir, const SweepOptions& options);

// Assembles the final files of `out` from the parts in `part_dirs` (shards of one sweep over the
// same input file contents, checked, complete: otherwise nothing is written; the input files must
// still have those contents). `out` must be new, empty, one nlhf-sweep wrote, or hold only the
// shard directories; `force` replaces one nlhf-sweep wrote for another sweep.
void MergeSweep(const std::vector<std::string>& part_dirs, const std::string& out, bool force = false);

// A submit script for a SLURM cluster: a job array of `shards` tasks, each running one shard, and
// a merge job that depends on the array's success.
struct SlurmOptions {
  int shards = 4;
  std::string partition;  // "" = the cluster's default
  std::string time = "01:00:00";
  int cpus_per_task = 1;
  std::string log_dir = "slurm-logs";
  std::string sweep_binary = "nlhf-sweep";
};
// Throws InputError for a value the script cannot pass to sbatch (a count < 1, a partition or time
// limit sbatch does not accept).
void ValidateSlurmOptions(const SlurmOptions& options);
// Every interpolated value is shell-quoted, so any file name or --set value arrives unchanged.
std::string EmitSlurm(const SweepConfig& sweep, const std::string& sweep_path, const std::string& out,
                      const SlurmOptions& options);

}  // namespace nlhf

#pragma once
// Sweeps (INTERFACE.md section 4): an experiment plus `sweep:` (a Cartesian product over key paths)
// and `zip:` (groups of keys that vary together), expanded into points that are each a full
// experiment, validated before anything runs.
//
// Execution and storage: the unit of work is one (point, seed) game with all its solvers (its pi*
// is certified once). Each worker buffers its finished units and writes them to DIR/.parts/ as one
// part file every 0.25 s and when it stops (temp file, fsync, rename: complete or absent). An
// interrupted sweep therefore loses only units in flight or buffered, and running the same command
// again runs exactly the missing ones. The final trace.csv, runs.csv and summary.csv are assembled from
// the parts in canonical order, so they do not depend on --jobs, and merging shards is the same
// assembly over several part folders.
//
// A part file holds one or more units, each with its run records and trace rows and an end marker;
// a file that does not parse is ignored (its units run again).
#include <cstdint>
#include <functional>
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

// One unit of work: a point's game for one seed, with all its solvers.
struct SweepTask {
  size_t point = 0;
  size_t seed_index = 0;
  std::string id;      // stable: a hash of the point's resolved experiment and the seed
  double cost = 0.0;   // estimate, for scheduling long tasks first
};
std::vector<SweepTask> SweepTasks(const SweepConfig& sweep);  // canonical order

// A shard: K of N (1-based); tasks with canonical index i where i % N == K - 1.
struct Shard {
  int k = 1, n = 1;
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
};

struct SweepReport {
  std::int64_t tasks = 0, tasks_run = 0, tasks_skipped = 0, runs = 0, numerical_failures = 0;
  double wall_s = 0.0, solve_s = 0.0;
};

// Runs the shard's tasks that DIR does not hold yet, writing parts as they finish; then, when DIR
// holds every task of the sweep (always for an unsharded sweep), assembles the final files.
// Refuses a DIR that holds another sweep.
SweepReport RunSweep(const SweepConfig& sweep, const std::string& dir, const SweepOptions& options);

// Assembles the final files of `out` from the parts in `part_dirs` (shards of one sweep, checked).
void MergeSweep(const std::vector<std::string>& part_dirs, const std::string& out);

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
std::string EmitSlurm(const SweepConfig& sweep, const std::string& sweep_path, const std::string& out,
                      const SlurmOptions& options);

}  // namespace nlhf

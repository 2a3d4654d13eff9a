#pragma once
// Running a sweep (docs/cli.md), and the umbrella header of the sweep: expansion
// (sweep_config.h), tasks and shards (sweep_tasks.h), the SLURM script (sweep_slurm.h).
//
// Execution and storage: the unit of work is one (point, seed) task. Finished tasks are kept in
// DIR's task store (lib/src/sweep_task_store.h), durably and in batches, so an interrupted sweep
// loses only tasks in flight or buffered, and running the same command again runs exactly the
// missing ones. A task's id hashes what it computes, so a changed sweep (more seeds, more points) run
// into the same DIR reuses every task it shares with the earlier one. The final trace.csv, runs.csv
// and summary.csv are assembled from the stored tasks in canonical order (lib/src/sweep_assembly.h),
// so they do not depend on --jobs, and merging shards is the same assembly over several stores.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/build.h"
#include "nlhf/cancel.h"
#include "nlhf/experiment.h"
#include "nlhf/output/files.h"
#include "nlhf/sweep_config.h"
#include "nlhf/sweep_slurm.h"
#include "nlhf/sweep_tasks.h"

namespace nlhf {

struct SweepProgress {
  std::int64_t runs_done = 0, runs_total = 0, runs_skipped = 0, failures = 0;
  double elapsed_s = 0.0;
};

struct SweepOptions {
  int jobs = 1;
  Shard shard;
  std::function<void(const SweepProgress&)> progress;  // may be empty; called from workers
  bool force = false;  // start over in a directory nlhf-sweep wrote, deleting only what it wrote
  // Set: no further task starts, the running ones stop, the finished ones are stored, and RunSweep
  // throws Cancelled saying how many tasks DIR holds (nlhf/cancel.h). Null: it runs to the end.
  CancelFlag cancel = nullptr;
  // Called once every task of the run is stored, before the final files are written (nothing is
  // polled from then on); may be empty. A cancel flag set by then still stops the sweep there.
  std::function<void()> work_done;
};

// A write that failed once RunSweep had claimed its directory (a full disk, a file size limit): the
// tasks that finished are kept, and its message says how many ("writing FILE: REASON; K of T tasks
// are stored in DIR"). The same call finishes the sweep once the cause is gone (Remedy()), which
// the caller says in its own words.
class SweepWriteFailure : public WriteFailure {
 public:
  using WriteFailure::WriteFailure;
};

struct SweepReport {
  std::int64_t tasks = 0, tasks_run = 0, tasks_skipped = 0, runs = 0, numerical_failures = 0;
  std::int64_t runs_run = 0;  // the runs of the tasks run now (`runs` counts the kept ones too)
  // Runs the iteration cap ended before the query or oracle-call budget they were spending (a cap
  // left at its default with a budget given): status `iterations` in runs.csv.
  std::int64_t capped_budgets = 0;
  // Tasks that threw (not written, so the next run of the same command retries them); the first
  // one's message, naming its task (TaskName: the point's swept values and the seed). A failed task
  // means exit 1.
  std::int64_t task_failures = 0;
  std::string first_failure;
  // DIR held an earlier, different sweep (now extended or changed): its tasks that are part of this
  // sweep were reused (counted in tasks_skipped); `tasks_unused` others stay in DIR/.parts unused.
  bool changed_sweep = false;
  std::int64_t tasks_unused = 0;
  // Wall time; summed over the runs done now: solver steps, metrics and logging (evaluating the
  // logged metrics, formatting and writing rows; metrics_s is the evaluating alone), games and
  // equilibria (building each task's game and certifying its pi*).
  double wall_s = 0.0, solve_s = 0.0, eval_s = 0.0, metrics_s = 0.0, games_s = 0.0;
  // trace.csv was written while the tasks ran (every task of the sweep ran now, each in turn or
  // held in memory until its turn), so assembly copied nothing.
  bool trace_streamed = false;
  // Nothing was left to run and trace.csv already held the whole sweep (a finished sweep run
  // again): it was kept as it was, not copied again.
  bool trace_kept = false;
  // The tasks of the whole sweep (every shard) stored in DIR now, and whether DIR's final files were
  // written: every task stored (a shard that completes a shared directory assembles them too).
  std::int64_t sweep_tasks = 0, sweep_tasks_stored = 0;
  bool assembled = false;
  // Tasks run now were held by a finished sweep's index into its trace.csv that could not be
  // used: trace.csv was changed, replaced or removed since (its size or time differ; an edit, a
  // touch, a copy that does not keep times).
  bool trace_index_stale = false;
  // Input files read now at another path than when the kept tasks ran, with the same contents (a
  // moved or copied file): (path then, path now). Their rows in trace.csv name the path then.
  std::vector<std::pair<std::string, std::string>> moved_inputs;
  // Tasks kept from before that another build of nlhf computed (an updated or rebuilt nlhf, or a
  // release that did not record its build), per build: their results are reused, not recomputed.
  // Over the sweep's tasks once assembled, else the shard's; config.resolved.yaml lists them too.
  std::vector<BuildTasks> reused_builds;
};

// Runs the shard's tasks that DIR does not hold yet, storing them as they finish; then, when DIR
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
// The checks RunSweep makes of `dir` first, with nothing created or locked (--dry-run,
// --emit-slurm): the path, contents that a sweep refuses to write into (but `accepted`, as a merge
// accepts its shard directories), and with `stored_results` a stored manifest that does not read
// and an input file changed since the stored results (unless `force`). Throws InputError.
void CheckSweepDirectory(const SweepConfig& sweep, const std::string& dir, bool force, bool stored_results = true,
                         const std::vector<std::string>& accepted = {});

// What a run of `sweep` into `dir` would find stored there, read as RunSweep reads it (--dry-run;
// nothing is created, locked or changed): this shard's tasks (every task, unsharded) and how many
// of them `dir` stores, which the run keeps (none with options.force); the same over the whole
// sweep (the final files are written once `dir` holds every task); whether `dir` holds another
// sweep, whose final files the run replaces, and how many of its tasks this one lacks; the stored
// tasks that run again because the trace.csv indexing them changed; and which builds other than
// this one computed the kept tasks.
struct StoredTasks {
  bool exists = false;  // `dir`
  std::int64_t tasks = 0, stored = 0;
  std::int64_t sweep_tasks = 0, sweep_stored = 0;
  bool other_sweep = false;
  std::int64_t unused = 0;  // the other sweep's tasks that this one lacks
  std::int64_t stale = 0;   // this shard's tasks in a trace.csv changed since its sweep finished
  std::vector<BuildTasks> other_builds;
};
StoredTasks FindStoredTasks(const SweepConfig& sweep, const std::string& dir, const SweepOptions& options);

// The memory a sweep needs, as RunSweep checks it before any work (and the dry run prints it): its
// most demanding point, with one game per worker and `jobs` workers (at most one per task).
struct SweepMemory {
  const SweepPoint* point = nullptr;  // null for a sweep without points
  ResourcePlan plan;
  MemoryEstimate estimate;
};
SweepMemory EstimateSweepMemory(const SweepConfig& sweep, int jobs);

// What a merge says besides writing OUT: input files that the shards read at different paths, with
// the same contents ((the first shard's path, another shard's path)); the rows of each shard's
// tasks name the path that shard read.
struct MergeReport {
  std::vector<std::pair<std::string, std::string>> moved_inputs;
  // OUT, the folder holding the shards, held another sweep: its tasks that this one lacks stay in
  // OUT/.parts, unused (without --force; a sweep run into OUT that changes back reuses them).
  std::int64_t tasks_unused = 0;
  // The merged tasks that a build of nlhf other than this one computed, per build (as
  // SweepReport::reused_builds).
  std::vector<BuildTasks> reused_builds;
};

// Assembles the final files of `out` from the tasks stored in `part_dirs` (shards of one sweep over
// the same input file contents, checked, complete: otherwise nothing is written; the input files
// must still have those contents). `out` must be new, empty, one nlhf-sweep wrote, or hold only the
// shard directories; `force` replaces one nlhf-sweep wrote for another sweep (deleting its stored
// tasks); the folder holding every shard directory may hold another sweep without it (its final
// files are replaced and its tasks kept: MergeReport::tasks_unused). `cancel` is polled
// while the shards are read (OUT then stays as it was) and while trace.csv is copied together: set,
// it throws Cancelled ("nothing was merged into OUT", adding ", whose earlier results were removed"
// after the claim removed them) and no final file is written (OUT keeps its marker and manifest:
// the same merge then starts over). `work_done` is called once the trace is copied: from then on
// the merge finishes its files.
MergeReport MergeSweep(const std::vector<std::string>& part_dirs, const std::string& out, bool force = false,
                       CancelFlag cancel = nullptr, const std::function<void()>& work_done = {});

}  // namespace nlhf

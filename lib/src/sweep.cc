// Running a sweep (nlhf/sweep.h): the shard's missing tasks in parallel, long ones first, stored in
// batches as they finish; progress; the report; then assembly once the directory is complete.
#include "nlhf/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <stdexcept>

#include "nlhf/cancel.h"
#include "nlhf/errors.h"
#include "nlhf/experiment.h"
#include "nlhf/output/files.h"
#include "nlhf/output/trace.h"
#include "nlhf/parallel.h"
#include "nlhf/run_directory.h"
#include "clock.h"
#include "sweep_assembly.h"
#include "sweep_ordered_trace.h"
#include "sweep_task_store.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

// An input error found while running one task of the sweep (a file removed since validation): the
// same error, prefixed with the point's values and the seed.
InputError AtTask(const InputError& e, const SweepConfig& s, const SweepPoint& p, std::uint64_t seed) {
  const std::string what = e.key().empty() ? e.problem() : e.key() + ": " + e.problem();
  // An error located at no line (a solver's step checked at run time: the run located it at the
  // key, but a validated point keeps no key locations) gets the key's, from the point built again.
  const bool unplaced = e.where().file.empty() || (e.where().file == s.source && e.where().line == 0);
  const SourceLocation where = !unplaced          ? e.where()
                              : e.key().empty() ? SourceLocation{s.source}
                                                : LocatePointKey(s, p.index, e.key());
  return InputError(where, "", fmt::format("running {}: {}", TaskName(p, seed), what));
}

// A run of a task as the store keeps it.
RunRecord ToRecord(const RunResult& r, size_t solver_index) {
  RunRecord rec;
  rec.run_id = r.run_id;
  rec.solver_index = solver_index;
  rec.solver = r.solver;
  rec.params = r.params;
  rec.seed = r.seed;
  rec.status = std::string(TerminationName(r.summary.termination));
  rec.wall_s = r.summary.wall_s;
  rec.iterations = r.summary.iterations;
  rec.oracle_calls = r.summary.oracle_calls;
  rec.queries = r.summary.queries;
  rec.final = r.summary.final_metrics;
  if (r.rho) rec.rho = *r.rho;
  if (r.stability_limit) rec.stability_limit = *r.stability_limit;
  if (r.target_gap_beta) rec.target_gap_beta = *r.target_gap_beta;
  if (r.summary.final_average_metrics) rec.average = *r.summary.final_average_metrics;
  return rec;
}

}  // namespace

SweepMemory EstimateSweepMemory(const SweepConfig& s, int jobs) {
  size_t task_count = 0;
  for (const SweepPoint& p : s.points) task_count += p.config.seeds.size();
  SweepMemory out;
  out.plan = ResourcePlan{static_cast<int>(std::min<size_t>(std::max(1, jobs), std::max<size_t>(1, task_count))), true,
                          AvailableMemoryBytes()};  // read once: every point against the same moment
  for (const SweepPoint& p : s.points) {
    const MemoryEstimate e = EstimateMemory(p.config, out.plan);
    if (out.point == nullptr || e.bytes > out.estimate.bytes) out.point = &p, out.estimate = e;
  }
  return out;
}

namespace {

// --force deletes DIR's whole store, which a directory shared by shards holds for all of them: one
// shard redone with --force would delete the others' finished tasks. Refused while DIR holds any
// task outside this shard (read before the claim, which would delete them).
void RefuseForcedShard(const SweepConfig& s, const std::string& dir, const SweepOptions& options) {
  if (options.force && options.shard.n > 1) {
    const std::int64_t others = TaskStore(dir).Index().CountOutside(TaskIds(SweepTasks(s), options.shard));
    if (others > 0)
      throw InputError("--force",
                       fmt::format("with --shard {}/{} would delete the {} tasks that other shards (or other sweeps) "
                                   "stored in {}, expected --shard without --force (a shard resumes its own tasks), "
                                   "or --force without --shard to start the whole sweep over",
                                   options.shard.k, options.shard.n, others, dir));
  }
}

}  // namespace

StoredTasks FindStoredTasks(const SweepConfig& s, const std::string& dir, const SweepOptions& options) {
  StoredTasks out;
  const std::vector<SweepTask> all = SweepTasks(s);
  std::vector<std::string> mine;
  for (size_t i = 0; i < all.size(); ++i)
    if (options.shard.Holds(i)) mine.push_back(all[i].id);
  out.tasks = static_cast<std::int64_t>(mine.size());
  out.sweep_tasks = static_cast<std::int64_t>(all.size());
  RefuseForcedShard(s, dir, options);
  std::error_code ec;
  out.exists = fs::exists(dir, ec);
  if (options.force || !out.exists) return out;  // (--force: the run deletes the store first)
  const TaskStore store(dir);
  const std::optional<SweepManifest> previous = store.ReadManifest();
  out.other_sweep = previous && previous->fingerprint != s.fingerprint;
  const TaskIndex index = store.Index();
  const std::set<std::string> stale = store.StaleTraceIndexTasks();
  // Another sweep's final files go before the run reads the store: tasks indexed in trace.csv
  // itself (where the file system has no hard links) go with them.
  const fs::path trace = (fs::path(dir) / "trace.csv").lexically_normal();
  auto kept = [&](const std::string& id) {
    return index.Has(id) && !(out.other_sweep && index.DataFileOf(id).lexically_normal() == trace);
  };
  std::vector<std::string> kept_ids;
  for (const std::string& id : mine) {
    if (kept(id)) kept_ids.push_back(id);
    out.stale += stale.count(id) > 0 && !kept(id) ? 1 : 0;
  }
  out.stored = static_cast<std::int64_t>(kept_ids.size());
  for (const SweepTask& t : all) out.sweep_stored += kept(t.id) ? 1 : 0;
  if (out.other_sweep) out.unused = index.CountOutside(TaskIds(all));
  out.other_builds = index.OtherBuilds(kept_ids);
  return out;
}

SweepReport RunSweep(const SweepConfig& s, const std::string& dir, const SweepOptions& options) {
  const auto start = Clock::now();
  const SweepMemory memory = EstimateSweepMemory(s, options.jobs);
  if (memory.point != nullptr) {
    try {
      CheckMemory(memory.point->config, memory.plan, memory.estimate);
    } catch (const InputError& e) {
      // The point that needs the most, named by its values and located where its key is written
      // or swept (a validated point keeps no key locations: it is built again to find it).
      const SweepPoint& p = *memory.point;
      const SourceLocation where = !e.where().file.empty() ? e.where()
                                   : e.key().empty()       ? SourceLocation{s.source}
                                                           : LocatePointKey(s, p.index, e.key());
      throw InputError(where, "",
                       fmt::format("at {}: {}", PointName(p), e.key().empty() ? e.problem() : e.key() + ": " + e.problem()));
    }
  }
  RefuseForcedShard(s, dir, options);
  // Held until the sweep returns: a second writer of DIR is refused before doing any work.
  const std::unique_ptr<OutputDirectory> claim = ClaimSweepDirectory(s, dir, options.force, {});
  TaskStore store(dir);
  // DIR may hold this sweep (resumed) or an earlier one (extended or changed): either way its
  // finished tasks whose ids are in this sweep are reused, unless an input file has changed.
  const std::optional<SweepManifest> previous = store.ReadManifest();
  const std::vector<RecordedInput> inputs = RecordedInputs(s);
  if (previous)
    RefuseChangedInputs(previous->inputs, inputs, dir, kChangedInputAdvice);
  store.Create();
  store.RemoveOrphans();  // a data file whose part a killed process never wrote
  // Before a changed sweep removes trace.csv itself.
  const std::set<std::string> stale = store.StaleTraceIndexTasks();
  // The final files of an earlier, different sweep no longer match what DIR will hold.
  if (previous && previous->fingerprint != s.fingerprint) store.RemoveFinalFiles();
  if (!previous || previous->fingerprint != s.fingerprint || previous->inputs != inputs)
    store.WriteManifest(s, inputs);

  const std::vector<SweepTask> all = SweepTasks(s);
  const TaskIndex done_before = store.Index();
  std::vector<size_t> todo;  // canonical indices of the tasks to run
  SweepReport report;
  if (previous && previous->fingerprint != s.fingerprint) {
    report.changed_sweep = true;
    report.tasks_unused = done_before.CountOutside(TaskIds(all));
  }
  // Kept tasks computed from a file now read at another path: their rows name the old one.
  if (previous)
    for (const auto& [then, now] : MovedInputs(previous->inputs, inputs))
      report.moved_inputs.emplace_back(then.path, now.path);
  std::int64_t runs_total = 0, runs_skipped = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!options.shard.Holds(i)) continue;
    const std::int64_t runs =
        static_cast<std::int64_t>(s.points[all[i].point].config.solvers.size());
    ++report.tasks;
    runs_total += runs;
    if (done_before.Has(all[i].id)) {
      ++report.tasks_skipped;
      runs_skipped += runs;
    } else {
      todo.push_back(i);
    }
  }
  std::stable_sort(todo.begin(), todo.end(), [&](size_t a, size_t b) { return all[a].cost > all[b].cost; });
  report.trace_index_stale =
      std::any_of(todo.begin(), todo.end(), [&](size_t i) { return stale.count(all[i].id) > 0; });

  std::atomic<std::int64_t> runs_done{runs_skipped}, failures{0};
  std::mutex report_mutex;
  double solve_s = 0.0;
  std::string first_failure;
  auto notify = [&] {
    if (!options.progress) return;
    SweepProgress p;
    p.runs_done = runs_done;
    p.runs_total = runs_total;
    p.runs_skipped = runs_skipped;
    p.failures = failures;
    p.elapsed_s = SecondsSince(start);
    options.progress(p);
  };
  // Each running task streams its trace rows into a batch of the store (a data file); a batch is
  // committed (fsync, then its part file) every kFlushSeconds or kFlushTasks tasks and at the end:
  // far fewer files and fsyncs than one per task, at the cost of rerunning at most that much work
  // after a kill -9. Time bounds the work lost; the task count only bounds a part file's size (with
  // 64, the 2000-run overhead benchmark spent 0.02-0.03 s of its 0.3 s in 16 commits' fsyncs).
  // Batches are pooled: at most one per worker, each held by one task at a time. A second: a sweep
  // shorter than that commits once, at the end, where a streamed trace's index is written in its
  // final form (TaskStore::CommitFinal) and no compaction follows; a kill -9 loses at most a
  // second of finished work.
  constexpr double kFlushSeconds = 1.0;
  constexpr size_t kFlushTasks = 4096;
  std::mutex pool_mutex;
  std::vector<std::unique_ptr<TaskBatch>> pool;
  auto acquire = [&] {
    std::unique_ptr<TaskBatch> b;
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!pool.empty()) {
        b = std::move(pool.back());
        pool.pop_back();
      }
    }
    return b ? std::move(b) : store.Begin();
  };
  auto release = [&](std::unique_ptr<TaskBatch> b) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(std::move(b));
  };
  // A batch whose file saw a failed write is committed at the end (the finished tasks whose rows
  // reached its file: TaskBatch::Drain) but never handed to another task.
  std::vector<std::unique_ptr<TaskBatch>> retired;
  auto retire = [&](std::unique_ptr<TaskBatch> b) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    retired.push_back(std::move(b));
  };
  // A sweep that runs every one of its tasks here writes trace.csv as it goes (in canonical order,
  // so that nothing is copied at the end); its tasks are stored there, not in the batches.
  std::vector<std::string> ids;  // every task's, in canonical order
  for (const SweepTask& t : all) ids.push_back(t.id);
  std::unique_ptr<OrderedTrace> ordered;
  if (!todo.empty() && todo.size() == all.size())
    ordered = std::make_unique<OrderedTrace>(store, ids, kFlushTasks, kFlushSeconds);
  // Games shared by the points that build the same ones (a sweep over beta builds each seed's
  // game once), looked up by their GameKey, computed once per point.
  GameCache games(kSweepGameCacheBytes);
  std::vector<std::string> game_keys;
  for (const SweepPoint& p : s.points) game_keys.push_back(GameKey(p.config));
  auto run_task = [&](size_t i) {
    ThrowIfCancelled(options.cancel);
    const SweepTask& task = all[todo[i]];
    const SweepPoint& point = s.points[task.point];
    std::unique_ptr<TaskBatch> batch = acquire();
    try {
      std::unique_ptr<OrderedTrace::Rows> rows = ordered ? ordered->Start(todo[i], *batch) : nullptr;
      // A task that does not finish leaves the ordered trace (before the handlers below run).
      const struct Unfinished {
        OrderedTrace* trace;
        std::unique_ptr<OrderedTrace::Rows>& rows;
        ~Unfinished() {
          if (rows) trace->Fail(std::move(rows));
        }
      } unfinished{ordered.get(), rows};
      const std::int64_t offset = batch->Position();
      const GroupResult g =
          RunGroup(point.config, task.seed_index, point.task_fingerprint,
                   rows ? rows->file() : batch->trace(), batch->shown(), options.cancel, &games,
                   game_keys[task.point]);
      std::vector<RunRecord> records;
      double group_solve = 0.0, group_eval = 0.0, group_metrics = 0.0;
      for (size_t k = 0; k < g.runs.size(); ++k) {
        records.push_back(ToRecord(g.runs[k], k));
        group_solve += g.runs[k].summary.wall_s;
        group_eval += g.runs[k].eval_s;
        group_metrics += g.runs[k].summary.metrics_s;
      }
      if (rows)
        ordered->Finish(std::move(rows), std::move(records));
      else
        batch->Finish(task.id, std::move(records), offset);
      std::lock_guard<std::mutex> lock(report_mutex);
      solve_s += group_solve;
      report.eval_s += group_eval;
      report.metrics_s += group_metrics;
      report.games_s += g.games_s;
      ++report.tasks_run;
      report.runs_run += static_cast<std::int64_t>(g.runs.size());
    } catch (const WriteFailure&) {
      retire(std::move(batch));
      throw;  // a full disk or a file size limit: "writing FILE: REASON", exit 2
    } catch (const InputError& e) {
      // Bad input found only at run time (an input file deleted since validation): it would fail
      // every task that reads it, so the sweep stops with it. (The batch goes back to the pool,
      // so the tasks it finished are still committed.)
      release(std::move(batch));
      throw AtTask(e, s, point, point.config.seeds[task.seed_index]);
    } catch (const Cancelled&) {
      release(std::move(batch));  // its finished tasks are committed; this one runs next time
      throw;
    } catch (const std::bad_alloc&) {
      release(std::move(batch));
      throw;  // not enough memory: exit 2, not "retry"
    } catch (const std::runtime_error& e) {
      ++failures;  // not written: a later run of the same command retries it
      std::lock_guard<std::mutex> lock(report_mutex);
      // Named like an input error found while running: the point's swept values and the seed.
      if (first_failure.empty())
        first_failure = fmt::format("{}: {}", TaskName(point, point.config.seeds[task.seed_index]), e.what());
    } catch (...) {
      // A bug in nlhf: a broken invariant (InternalError), what C++ reports for a programming
      // mistake (std::out_of_range from .at(), std::bad_variant_access, ...), anything that is not
      // a run-time error. Exit 3, not "retry".
      release(std::move(batch));
      throw;
    }
    // Outside the try: a batch that cannot be written stops the sweep.
    if (batch->size() >= kFlushTasks || (batch->size() > 0 && batch->age_s() >= kFlushSeconds)) {
      try {
        store.Commit(*batch);
      } catch (...) {
        retire(std::move(batch));  // the final commit tries once more
        throw;
      }
    }
    release(std::move(batch));
    runs_done += static_cast<std::int64_t>(point.config.solvers.size());
    notify();
  };
  notify();
  // Every batch gets its commit, even when one fails (the first error is reported after).
  auto commit_all = [&] {
    std::exception_ptr first;
    if (ordered) {
      try {
        ordered->Close();
      } catch (...) {
        first = std::current_exception();
      }
    }
    for (auto* batches : {&pool, &retired}) {
      for (const std::unique_ptr<TaskBatch>& b : *batches) {
        try {
          store.Commit(*b, false);
        } catch (...) {
          if (!first) first = std::current_exception();
        }
      }
      batches->clear();  // uncommitted data files go (their tasks run again)
    }
    if (first) std::rethrow_exception(first);
  };
  // What a cancelled sweep says: "K of T tasks are stored in DIR".
  auto stored = [&] {
    const TaskIndex kept = store.Index();
    std::int64_t count = 0;
    for (size_t i = 0; i < all.size(); ++i)
      count += options.shard.Holds(i) && kept.Has(all[i].id) ? 1 : 0;
    return fmt::format("{} of {} tasks{} are stored in {}", count, report.tasks,
                       options.shard.n > 1 ? " of this shard" : "", dir);
  };
  // After a failed commit: a data file whose part could not be written (a full disk) holds no stored
  // task. It goes now, not at the next run, which a disk it filled might not let start.
  auto remove_orphans = [&] {
    try {
      store.RemoveOrphans();
    } catch (...) {
      // The commit's error is the one to report.
    }
  };
  // A full disk or a file size limit: the error and what is kept ("writing FILE: REASON; K of T
  // tasks are stored in DIR"), to which the caller adds how to go on. (Should the store's index not
  // read, the write's own error, as it was.)
  auto throw_with_kept = [&](const WriteFailure& e) {
    std::string kept;
    try {
      kept = stored();
    } catch (...) {
      throw e;
    }
    throw SweepWriteFailure(e.where(), e.key(), fmt::format("{}; {}", e.problem(), kept), e.err());
  };
  try {
    ParallelFor(todo.size(), options.jobs, run_task);
    commit_all();
  } catch (const Cancelled&) {
    try {
      commit_all();  // keep the tasks that did finish (a commit that fails is the error to report)
    } catch (const WriteFailure& e) {
      remove_orphans();
      throw_with_kept(e);
    } catch (...) {
      remove_orphans();
      throw;
    }
    throw Cancelled(stored());
  } catch (...) {
    try {
      commit_all();  // keep the tasks that did finish (none left if the last commit failed)
    } catch (...) {
      // The first error is the one to report.
    }
    remove_orphans();
    try {
      throw;  // the error as it was, but a failed write with what is kept
    } catch (const WriteFailure& e) {
      throw_with_kept(e);
    }
  }
  // From here on nothing polls: a later signal is told the files are being finished (work_done),
  // and one that came before stops the sweep here.
  if (options.work_done) options.work_done();
  if (options.cancel != nullptr && options.cancel->load()) throw Cancelled(stored());

  report.runs = runs_total;
  report.solve_s = solve_s;
  // Assemble once the directory holds the whole sweep (an unsharded run, or the last shard run
  // into a shared directory).
  bool complete = failures == 0;
  // (A streamed trace whose index is the store's only part: that index as written, not read back.)
  std::unique_ptr<TaskIndex> written = ordered ? ordered->TakeIndex() : nullptr;
  const bool compacted = written != nullptr;  // (the store holds only that index: Compacted)
  const TaskIndex on_disk = written ? std::move(*written) : store.Index(/*with_lines=*/true);  // for Compact
  report.sweep_tasks = static_cast<std::int64_t>(all.size());
  for (const SweepTask& t : all) report.sweep_tasks_stored += on_disk.Has(t.id) ? 1 : 0;
  complete = complete && report.sweep_tasks_stored == report.sweep_tasks;
  // Over the sweep's tasks once assembled, else the shard's.
  std::vector<std::string> shard_ids;
  if (!complete)
    for (size_t i = 0; i < all.size(); ++i)
      if (options.shard.Holds(i)) shard_ids.push_back(all[i].id);
  report.reused_builds = on_disk.OtherBuilds(complete ? ids : shard_ids);
  // Every task of this shard that did not fail was written; one that cannot be read back is a bug
  // (a record this version cannot parse), never a sweep reported as written without its files.
  for (size_t i = 0; i < all.size(); ++i)
    if (options.shard.Holds(i) && !on_disk.Has(all[i].id) && failures == 0)
      throw InternalError(fmt::format("task {} was written to {} but cannot be read back; its part file is "
                                      "kept for a bug report",
                                      all[i].id, store.folder().string()));
  // Numerical failures among this shard's runs, kept ones included: resuming a finished sweep
  // reports (and exits with) the same outcome as the run that computed it.
  report.numerical_failures = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!options.shard.Holds(i)) continue;
    if (on_disk.Has(all[i].id)) {
      const StopRules& stop = s.points[all[i].point].config.stop;
      for (const RunRecord& r : on_disk.Records(all[i].id)) {
        report.numerical_failures += r.status == TerminationName(Termination::kNumericalFailure) ? 1 : 0;
        const bool unspent = (stop.queries > 0 && r.queries > 0 && r.queries < stop.queries) ||
                             (stop.oracle_calls > 0 && r.oracle_calls > 0 && r.oracle_calls < stop.oracle_calls);
        report.capped_budgets += r.status == TerminationName(Termination::kIterations) && unspent ? 1 : 0;
      }
    }
  }
  // A finished sweep run again (nothing ran now): the store's index into its trace.csv, read only
  // while trace.csv's size and time are those it recorded, holds every task where Assemble would
  // put them, so trace.csv is left as it is: no copy, and no second copy's disk space, which a
  // nearly full disk may not have. The small tables are written again (one that was deleted comes
  // back). (A store not yet compacted, after a kill between the two, is assembled and compacted.)
  const std::vector<std::int64_t> laid_out =
      complete ? TraceOffsets(all, on_disk) : std::vector<std::int64_t>{};
  try {
    if (complete && todo.empty() &&
        on_disk.LaidOutIn(fs::path(dir) / "trace.csv", TraceHeader(), ids, laid_out)) {
      AssembleTables(s, on_disk, dir);
      report.trace_kept = true;
    } else if (complete) {
      // The trace written as the sweep ran is the one Assemble would write: the same tasks at the
      // same places. (Otherwise, or where it cannot be linked into place, Assemble copies it.)
      std::optional<std::vector<std::int64_t>> published;
      if (ordered && ordered->Complete()) {
        NLHF_CHECK(ordered->offsets() == laid_out, "the ordered trace's tasks are where Assemble puts them");
        published = ordered->Publish(dir);
        if (published) AssembleTables(s, on_disk, dir);
        report.trace_streamed = published.has_value();
      }
      const std::vector<std::int64_t> offsets = published ? *published : Assemble(s, on_disk, dir);
      // (The published trace's index was written compacted where the store holds nothing else:
      // only orphans, should there be any, are left to remove.)
      if (published && compacted)
        store.RemoveOrphans();
      else
        store.Compact(ids, offsets, on_disk);
    }
  } catch (const WriteFailure& e) {
    throw_with_kept(e);  // every task is stored: only the final files are still to be written
  }
  report.assembled = complete;
  report.wall_s = SecondsSince(start);
  report.task_failures = failures;
  report.first_failure = first_failure;
  return report;
}

}  // namespace nlhf

// Assembly of a sweep's final files, and the merge of shards (sweep_assembly.h).
#include "sweep_assembly.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "nlhf/errors.h"
#include "nlhf/output.h"
#include "nlhf/output/writeback_pacer.h"
#include "nlhf/run_directory.h"
#include "nlhf/sweep.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

// The linear-interpolation q-quantile (pandas' default) of sorted values with no NaN among them
// (NaN, an empty cell, if there are none).
double QuantileOfSorted(const std::vector<double>& v, double q) {
  if (v.empty()) return std::nan("");
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  const double t = pos - static_cast<double>(lo);
  // At a value, or between equal ones (infinities too: inf - inf is NaN), the value itself; from
  // -inf or to +inf, that infinity; between -inf and +inf, NaN (an empty cell).
  if (t == 0.0 || v[lo] == v[hi]) return v[lo];
  if (std::isinf(v[lo]) != std::isinf(v[hi])) return std::isinf(v[lo]) ? v[lo] : v[hi];
  const double span = v[hi] - v[lo];
  // Finite values whose difference overflows (-1e308 to 1e308): weighted, which cannot overflow.
  if (std::isinf(span) && std::isfinite(v[lo])) return (1.0 - t) * v[lo] + t * v[hi];
  return v[lo] + t * span;
}

// Values with their NaNs (empty cells) dropped, sorted: for QuantileOfSorted.
std::vector<double> SortedWithoutNan(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  std::sort(v.begin(), v.end());
  return v;
}

// The runs of each (point, solver), in that order.
using RunsBySolver = std::map<std::pair<size_t, size_t>, std::vector<const RunRecord*>>;

// summary.csv's text: per (point, solver), the median iterations, calls and queries and the median
// and quartiles of each metric's final value, then of the average iterate's. `keys`: the sweep's
// keys (SweepConfig::Keys).
std::string SummaryCsv(const SweepConfig& s, const std::vector<std::string>& keys, const RunsBySolver& by_solver) {
  std::string summary = "point";
  for (const std::string& k : keys) {
    summary += ',';
    summary += CsvField(k);
  }
  summary += ",solver,label,runs,iterations_median,oracle_calls_median,queries_median";
  for (const MetricInfo& m : MetricTable())
    summary += fmt::format(",{0}_median,{0}_q25,{0}_q75", m.name);
  // The average iterate's final metrics (runs.csv's average_<metric>): solvers that keep one.
  for (const MetricInfo& m : MetricTable())
    summary += fmt::format(",average_{0}_median,average_{0}_q25,average_{0}_q75", m.name);
  summary += "\n";
  for (const auto& [key, records] : by_solver) {
    const SweepPoint& p = s.points[key.first];
    summary += fmt::format("{}", p.index);
    for (const auto& [k, v] : p.values) {
      summary += ',';
      summary += CsvField(v);
    }
    std::vector<double> it, calls, queries;
    for (const RunRecord* r : records) {
      it.push_back(static_cast<double>(r->iterations));
      calls.push_back(static_cast<double>(r->oracle_calls));
      queries.push_back(static_cast<double>(r->queries));
    }
    summary += fmt::format(",{},{},{},", records.front()->solver,
                           CsvField(p.config.solvers[records.front()->solver_index].label), records.size());
    AppendNumber(summary, QuantileOfSorted(SortedWithoutNan(std::move(it)), 0.5));
    summary += ',';
    AppendNumber(summary, QuantileOfSorted(SortedWithoutNan(std::move(calls)), 0.5));
    summary += ',';
    AppendNumber(summary, QuantileOfSorted(SortedWithoutNan(std::move(queries)), 0.5));
    for (const MetricValues RunRecord::*values : {&RunRecord::final, &RunRecord::average})
      for (size_t m = 0; m < kNumMetrics; ++m) {
        std::vector<double> v;
        v.reserve(records.size());
        for (const RunRecord* r : records) v.push_back((r->*values)[m]);
        v = SortedWithoutNan(std::move(v));
        for (double q : {0.5, 0.25, 0.75}) {
          summary += ',';
          AppendNumber(summary, QuantileOfSorted(v, q));
        }
      }
    summary += "\n";
  }
  return summary;
}

}  // namespace

void RequireComplete(const SweepConfig& s, const std::vector<SweepTask>& tasks, const TaskIndex& index,
                     const std::string& out, const std::string& held) {
  constexpr size_t kNamed = 3;
  std::vector<std::string> named;
  size_t missing = 0;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (index.Has(tasks[i].id)) continue;
    const SweepPoint& p = s.points[tasks[i].point];
    if (++missing <= kNamed)
      named.push_back(fmt::format("{} (task {} of {})", TaskName(p, p.config.seeds[tasks[i].seed_index]), i + 1,
                                  tasks.size()));
  }
  if (missing == 0) return;
  throw InputError(SourceLocation{out}, "",
                   fmt::format("{} of {} tasks {} missing: {}{}{}, expected every shard of the sweep to be complete "
                               "(--shard K/N runs task P when (P - 1) mod N = K - 1); nothing was written",
                               missing, tasks.size(), missing == 1 ? "is" : "are", fmt::join(named, "; "),
                               missing > kNamed ? fmt::format("; and {} more", missing - kNamed) : "",
                               held.empty() ? "" : "; " + held));
}

std::vector<std::int64_t> TraceOffsets(const std::vector<SweepTask>& tasks, const TaskIndex& index) {
  std::vector<std::int64_t> offsets;
  offsets.reserve(tasks.size());
  std::int64_t at = static_cast<std::int64_t>(TraceHeader().size());
  for (const SweepTask& t : tasks) {
    offsets.push_back(at);
    at += index.TraceBytes(t.id);
  }
  return offsets;
}

std::vector<std::int64_t> Assemble(const SweepConfig& s, const TaskIndex& index, const std::string& out,
                                   CancelFlag cancel, const std::function<void()>& work_done) {
  const std::vector<SweepTask> tasks = SweepTasks(s);
  RequireComplete(s, tasks, index, out);
  const fs::path dir = out;
  fs::create_directories(dir);
  // The parts' bytes, concatenated in canonical order (in the kernel: never parsed, never in memory).
  const std::vector<std::int64_t> offsets = TraceOffsets(tasks, index);
  const std::string header = TraceHeader();
  // The file is synced in the background every few MB copied, while the copy goes on: the fsync at
  // the end then waits for the last few megabytes only (writeback_pacer.h).
  WriteFileAtomic((dir / "trace.csv").string(), [&](std::FILE* f) {
    WriteString(f, header);
    WritebackPacer pacer;
    for (size_t i = 0; i < tasks.size(); ++i) {
      ThrowIfCancelled(cancel);
      index.CopyTrace(tasks[i].id, f);
      pacer.Reached(f, offsets[i] + index.TraceBytes(tasks[i].id));
    }
    // From here on nothing polls: a later signal is told the files are being finished, and one that
    // came before stops it here.
    if (work_done) work_done();
    ThrowIfCancelled(cancel);
    if (const int err = pacer.Wait(); err != 0) throw WriteError((dir / "trace.csv").string(), err);
  });
  AssembleTables(s, index, out);
  return offsets;
}

void AssembleTables(const SweepConfig& s, const TaskIndex& index, const std::string& out) {
  const std::vector<SweepTask> tasks = SweepTasks(s);
  RequireComplete(s, tasks, index, out);
  const fs::path dir = out;
  const std::vector<std::string> keys = s.Keys();
  std::string runs = "run_id,point";
  for (const std::string& k : keys) {
    runs += ',';
    runs += CsvField(k);
  }
  runs += ",solver,label,params,seed,status,wall_s,iterations,oracle_calls,queries";
  for (const MetricInfo& m : MetricTable()) runs += fmt::format(",{}", m.name);  // final values
  runs += ",rho,stability_limit,target_gap_beta";
  for (const MetricInfo& m : MetricTable()) runs += fmt::format(",average_{}", m.name);
  runs += "\n";
  // Per point: the records of all its seeds, grouped by solver.
  RunsBySolver by_solver;  // the index's
  // runs.csv's rows, reserved so that the text rarely grows again
  size_t rows = 0;
  for (const SweepTask& t : tasks) rows += index.Records(t.id).size();
  runs.reserve(runs.size() + kRecordLineBytes * rows + 2 * kRecordLineBytes);
  auto to_runs = std::back_inserter(runs);
  for (const SweepTask& t : tasks) {
    const SweepPoint& p = s.points[t.point];
    const std::vector<std::string_view> numbers = index.RecordNumbers(t.id);  // empty: formatted here
    size_t next = 0;
    for (const RunRecord& r : index.Records(t.id)) {
      fmt::format_to(to_runs, "{},{}", r.run_id, p.index);
      for (const auto& [k, v] : p.values) {
        runs += ',';
        AppendCsvField(runs, v);
      }
      fmt::format_to(to_runs, ",{},", r.solver);
      AppendCsvField(runs, p.config.solvers[r.solver_index].label);
      runs += ',';
      AppendCsvField(runs, r.params);
      fmt::format_to(to_runs, ",{},{},", r.seed, r.status);
      if (numbers.empty())
        AppendRecordNumbers(runs, r);
      else
        runs += numbers[next++];
      runs += '\n';
      by_solver[{p.index, r.solver_index}].push_back(&r);
    }
  }
  std::vector<std::string> ids;
  ids.reserve(tasks.size());
  for (const SweepTask& t : tasks) ids.push_back(t.id);
  // (summary.csv and the config are formatted while runs.csv goes to the device, and the three are
  // synced together.)
  WriteFilesAtomic({{(dir / "runs.csv").string(), [&](std::FILE* f) { WriteString(f, runs); }},
                    {(dir / "summary.csv").string(),
                     [&](std::FILE* f) { WriteString(f, SummaryCsv(s, keys, by_solver)); }},
                    {(dir / "config.resolved.yaml").string(),
                     [&](std::FILE* f) { WriteString(f, ResolvedSweepYaml(s, out, index.OtherBuilds(ids))); }}});
}

MergeReport MergeSweep(const std::vector<std::string>& part_dirs, const std::string& out, bool force,
                       CancelFlag cancel, const std::function<void()>& work_done) {
  // What a stopped merge says. Until the claim nothing is written: a signal leaves OUT as it was.
  const std::string nothing_merged = fmt::format("nothing was merged into {}", out);
  const auto stop_before_writing = [&] {
    if (cancel != nullptr && cancel->load()) throw Cancelled(nothing_merged);
  };
  MergeReport report;
  if (part_dirs.empty())
    throw InputError("--merge", "names no directory, expected --merge DIR... --out DIR");
  std::optional<SweepManifest> first;
  // No sweep writes a shard directory while it is read (a sweep started meanwhile is refused).
  std::vector<std::unique_ptr<SharedDirectoryLock>> reading;
  std::map<fs::path, std::string> named;  // each directory once (as normalized), as the user wrote it
  for (const std::string& d : part_dirs) {
    std::error_code ec;
    const fs::file_status status = fs::status(d, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw InputError(SourceLocation{d}, "--merge",
                       fmt::format("cannot be read ({}), expected an nlhf-sweep output directory", ec.message()));
    if (!fs::exists(status))
      throw InputError(SourceLocation{d}, "--merge", "does not exist, expected an nlhf-sweep output directory");
    if (!fs::is_directory(status))
      throw InputError(SourceLocation{d}, "--merge", "is not a directory, expected an nlhf-sweep output directory");
    if (const auto [it, fresh] = named.emplace(NormalizePath(d), d); !fresh)
      throw InputError(SourceLocation{d}, "--merge",
                       fmt::format("is {} again, expected each shard directory once", it->second));
    stop_before_writing();
    reading.push_back(std::make_unique<SharedDirectoryLock>(d, d));
    const std::optional<SweepManifest> m = TaskStore(d).ReadManifest();
    if (!m)
      throw InputError(SourceLocation{d}, "--merge",
                       "holds no sweep results, expected an nlhf-sweep output directory");
    // Shards of one sweep that read different contents of an input file do not belong together.
    if (first) {
      if (const auto changed = ChangedInput(first->inputs, m->inputs))
        throw InputError(SourceLocation{changed->first.path}, "",
                         fmt::format("was read with other contents by the shard in {} than by the shard in {} "
                                     "(content hash {}, {}), expected shards of one sweep over the same inputs",
                                     d, part_dirs.front(), changed->second.hash, changed->first.hash));
    }
    if (first)
      for (const auto& [then, now] : MovedInputs(first->inputs, m->inputs))
        if (std::find(report.moved_inputs.begin(), report.moved_inputs.end(), std::pair{then.path, now.path}) ==
            report.moved_inputs.end())
          report.moved_inputs.emplace_back(then.path, now.path);
    if (first && m->fingerprint != first->fingerprint)
      throw InputError(
          SourceLocation{d}, "--merge",
          fmt::format("holds shards of a different sweep than {}, expected shards of one sweep",
                      part_dirs.front()));
    if (!first) first = m;
  }
  // --out may hold the shard directories, but is none of them (--force would delete its parts).
  for (const std::string& d : part_dirs)
    if (NormalizePath(d) == NormalizePath(out))
      throw InputError(SourceLocation{out}, "--out",
                       "is one of the --merge directories, expected a new directory (or the folder holding the "
                       "shard directories)");
  const SweepConfig s = ParseSweep(first->text, first->source, first->sets, first->base_dir);
  // A changed input file is named (it also changes the fingerprint, so it is checked first).
  RefuseChangedInputs(first->inputs, RecordedInputs(s), part_dirs.front(),
                      "restore it to merge these shards, or run the sweep again");
  if (s.fingerprint != first->fingerprint)
    throw InputError(SourceLocation{part_dirs.front()}, "--merge",
                     "its manifest no longer expands to the same sweep (was nlhf changed?)");
  // Nothing is written unless the shards are complete, and only into a new or empty directory, one
  // nlhf-sweep wrote (for the same sweep), or the folder holding the shards.
  TaskIndex index;
  const std::vector<SweepTask> tasks = SweepTasks(s);
  std::vector<std::string> empty;  // the directories that hold none of the sweep's tasks
  for (const std::string& d : part_dirs) {
    TaskIndex stored = TaskStore(d).Index(/*with_lines=*/true);
    if (std::none_of(tasks.begin(), tasks.end(), [&](const SweepTask& t) { return stored.Has(t.id); }))
      empty.push_back(d);
    index.Merge(std::move(stored));  // the first copy of each task
  }
  // A finished sweep's store indexes its trace.csv, which a copy without cp -a (or an edit) makes
  // unreadable: say so rather than only that tasks are missing.
  // (Read only when a task is missing: a complete merge reads no part file twice.)
  const bool incomplete = std::any_of(tasks.begin(), tasks.end(), [&](const SweepTask& t) { return !index.Has(t.id); });
  for (const std::string& d : incomplete ? part_dirs : std::vector<std::string>{}) {
    const std::set<std::string> stale = TaskStore(d).StaleTraceIndexTasks();
    for (const SweepTask& t : tasks)
      if (!index.Has(t.id) && stale.count(t.id) > 0)
        throw InputError(SourceLocation{d}, "--merge",
                         "holds a finished sweep whose trace.csv is not the file it finished with (its size or "
                         "modification time differ from the record in its .parts: an edit, a touch, or a copy "
                         "without cp -a), so its tasks cannot be read, expected the directory as the sweep left "
                         "it (run the sweep into it again to rebuild it)");
  }
  // What the directories hold: a total (a SLURM array may give hundreds), and up to three that hold
  // none: "the 3 directories given hold 7 of the 9 tasks (c holds none)".
  const auto held = std::count_if(tasks.begin(), tasks.end(), [&](const SweepTask& t) { return index.Has(t.id); });
  std::string holds = fmt::format("the {} {} given hold{} {} of the {} tasks", part_dirs.size(),
                                  part_dirs.size() == 1 ? "directory" : "directories", part_dirs.size() == 1 ? "s" : "",
                                  held, tasks.size());
  if (!empty.empty())
    holds += fmt::format(" ({} {} none{})",
                         fmt::join(empty.begin(), empty.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(empty.size(), 3)), ", "),
                         empty.size() == 1 ? "holds" : "hold",
                         empty.size() > 3 ? fmt::format(", nor do {} more", empty.size() - 3) : "");
  RequireComplete(s, tasks, index, out, holds);
  // The folder holding every shard directory (the SLURM layout) is the sweep's own directory: there a
  // merge of a changed sweep (the shards of an extended one) replaces the earlier final files, as a
  // sweep run into its own directory does, and the earlier sweep's tasks stay in .parts, unused
  // (reused should the sweep change back). Elsewhere that takes --force, which deletes them. (Refused
  // before the claim, which would leave the directory marked.)
  const bool holds_shards = std::all_of(part_dirs.begin(), part_dirs.end(), [&](const std::string& d) {
    return NormalizePath(d).parent_path() == NormalizePath(out);
  });
  // (With --force nothing is read: the claim deletes OUT's store, a damaged manifest included.)
  const std::string before = force ? std::string() : StoredSweepFingerprint(out);
  const bool replace = !before.empty() && before != s.fingerprint;
  const auto different_sweep = [&] {
    return InputError(SourceLocation{out}, "--out",
                      "holds the results of a different sweep, expected a new directory (or --force to replace it)");
  };
  if (replace && !force && !holds_shards) throw different_sweep();
  stop_before_writing();
  // What the claim deletes (OUT's earlier results, with --force), or a changed sweep's merge removes
  // (the earlier final files), which a signal from now on cannot bring back.
  std::error_code ec;
  const bool removes = (force || replace) && (fs::exists(fs::path(out) / ".parts", ec) ||
                                              fs::exists(fs::path(out) / "trace.csv", ec));
  const std::unique_ptr<OutputDirectory> claim = ClaimSweepDirectory(s, out, force, part_dirs);
  const std::string existing = StoredSweepFingerprint(out);
  if (!existing.empty() && existing != s.fingerprint && existing != before)
    throw different_sweep();  // written by another process since
  TaskStore store(out);
  store.Create();
  if (!existing.empty() && existing != s.fingerprint) {
    // The earlier sweep's final files no longer match what OUT will hold (its tasks stay).
    store.RemoveFinalFiles();
    report.tasks_unused = store.Index().CountOutside(TaskIds(tasks));
  }
  if (existing != s.fingerprint) store.WriteManifest(s, first->inputs);
  std::vector<std::int64_t> offsets;
  try {
    offsets = Assemble(s, index, out, cancel, work_done);
  } catch (const Cancelled&) {
    throw Cancelled(!removes ? nothing_merged
                    : force  ? nothing_merged + ", whose earlier results were removed"
                             : nothing_merged + ", whose earlier final files were removed (its tasks stay in .parts)");
  }
  // The merged directory is then a finished sweep like one run in one process: its store indexes
  // its trace.csv, so the sweep run into it (to extend it, say) reuses every task.
  std::vector<std::string> ids;
  for (const SweepTask& t : tasks) ids.push_back(t.id);
  store.Compact(ids, offsets, index);
  report.reused_builds = index.OtherBuilds(ids);
  return report;
}

}  // namespace nlhf

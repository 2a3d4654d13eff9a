// nlhf.run and nlhf.sweep: the engines of nlhf-run and nlhf-sweep, called from Python. run() keeps
// the trace in memory (the rows trace.csv would hold, as columns); sweep() writes its directory as
// nlhf-sweep does (resumable, locked, atomic) and Python reads the assembled files back.
#include <pybind11/iostream.h>
#include <pybind11/stl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "bindings.h"
#include "nlhf/cancel.h"
#include "nlhf/config.h"
#include "nlhf/experiment.h"
#include "nlhf/output/files.h"
#include "nlhf/output/summary_json.h"
#include "nlhf/progress.h"
#include "nlhf/sweep.h"
#include "trace_columns.h"

namespace nlhf::python {

namespace {

ProgressMode ModeFor(bool progress) {
  if (!progress) return ProgressMode::kOff;
  return ::isatty(STDERR_FILENO) ? ProgressMode::kTerminal : ProgressMode::kPlain;
}

int Jobs(int jobs) {
  if (jobs < 1) throw InputError("jobs", fmt::format("{} is not allowed, expected an integer >= 1", jobs));
  return jobs;
}

py::dict Run(const std::string& source, bool is_text, const std::vector<std::string>& sets, const std::string& base_dir,
             int jobs, bool progress) {
  const ExperimentConfig config = is_text ? ParseExperiment(source, "", sets, base_dir) : LoadExperiment(source, sets);
  std::vector<ColumnTrace> traces(config.seeds.size() * config.solvers.size());
  ExperimentResult result;
  InterruptScope interrupt;
  {
    // The progress display writes to std::cerr from its own thread: to Python's sys.stderr (a
    // notebook's output), each write taking the GIL.
    std::optional<py::scoped_estream_redirect> to_python;
    if (progress) to_python.emplace();
    py::gil_scoped_release release;
    ExperimentOptions options;
    options.jobs = Jobs(jobs);
    options.first_game = ValidateExperiment(config, ResourcePlan{options.jobs, false, {}});
    options.observer = [&traces](size_t k, const TraceRunColumns& columns) -> RunObserver* {
      traces[k].run = columns;
      return &traces[k];
    };
    ProgressDisplay display(std::cerr, ModeFor(progress));
    options.progress = display.Callback();
    options.cancel = interrupt.flag();
    result = RunExperiment(config, options);
  }
  interrupt.ThrowIfInterrupted();
  py::dict out;
  out["runs"] = RunColumns(traces);  // before RowColumns moves the rows out
  out["trace"] = RowColumns(traces);
  out["summary_json"] = SummaryJson(config, result);
  out["config"] = ResolvedYaml(config);
  std::int64_t failures = 0;
  for (const RunResult& r : result.runs) failures += r.summary.termination == Termination::kNumericalFailure ? 1 : 0;
  out["numerical_failures"] = failures;
  return out;
}

py::dict Sweep(const std::string& source, bool is_text, const std::string& out_dir, const std::vector<std::string>& sets,
               const std::string& base_dir, int jobs, bool force, const std::string& shard, bool progress) {
  const SweepConfig sweep = is_text ? ParseSweep(source, "", sets, base_dir) : LoadSweep(source, sets);
  SweepOptions options;
  options.jobs = Jobs(jobs);
  options.force = force;
  if (!shard.empty()) options.shard = ParseShard(shard);
  const std::string dir = out_dir.empty() ? sweep.points.front().config.OutputDir() : out_dir;
  SweepReport r;
  InterruptScope interrupt;
  {
    std::optional<py::scoped_estream_redirect> to_python;
    if (progress) to_python.emplace();
    py::gil_scoped_release release;
    // At most a line a second (and the last one), from whichever worker finished a task.
    std::mutex mutex;
    double last = -1.0;
    options.progress = [progress, &mutex, &last](const SweepProgress& p) {
      if (!progress) return;
      std::lock_guard<std::mutex> lock(mutex);
      if (p.runs_done < p.runs_total && p.elapsed_s - last < 1.0) return;
      last = p.elapsed_s;
      std::cerr << fmt::format("nlhf.sweep: {}/{} runs ({} kept from before), {} failed, {:.1f} s\n", p.runs_done,
                               p.runs_total, p.runs_skipped, p.failures, p.elapsed_s)
                << std::flush;
    };
    // Ctrl-C: no further task starts, the running ones stop, the finished ones are kept (the
    // KeyboardInterrupt says how many, and that the same call resumes; with force=True, the same
    // call without it: with it, the sweep would start over and drop them).
    options.cancel = interrupt.flag();
    try {
      r = RunSweep(sweep, dir, options);
    } catch (const Cancelled& e) {
      if (std::string(e.what()) == Cancelled().what()) throw;
      throw Cancelled(std::string(e.what()) +
                      (force ? "; call sweep again without force=True to finish" : "; call sweep again to finish"));
    } catch (const SweepWriteFailure& e) {
      // A write that failed with tasks stored: "writing FILE: REASON; K of T tasks are stored in DIR".
      throw SweepWriteFailure(e.where(), e.key(),
                              fmt::format("{}; {}, {}", e.problem(), e.Remedy(),
                                          force ? "call sweep again without force=True to finish"
                                                : "call sweep again to finish"),
                              e.err());
    }
  }
  interrupt.ThrowIfInterrupted();
  py::dict report;
  report["out"] = dir;
  report["tasks"] = r.tasks;
  report["tasks_run"] = r.tasks_run;
  report["tasks_skipped"] = r.tasks_skipped;
  report["runs"] = r.runs;
  report["runs_run"] = r.runs_run;
  report["numerical_failures"] = r.numerical_failures;
  report["capped_budgets"] = r.capped_budgets;
  report["task_failures"] = r.task_failures;
  report["first_failure"] = r.first_failure;
  report["changed_sweep"] = r.changed_sweep;
  report["tasks_unused"] = r.tasks_unused;
  report["wall_s"] = r.wall_s;
  report["solve_s"] = r.solve_s;
  report["eval_s"] = r.eval_s;
  report["metrics_s"] = r.metrics_s;
  report["games_s"] = r.games_s;
  report["trace_streamed"] = r.trace_streamed;
  report["trace_kept"] = r.trace_kept;
  report["trace_index_stale"] = r.trace_index_stale;
  // Tasks kept from before that another build of nlhf computed: [{version, git_commit, tasks}].
  py::list reused;
  for (const BuildTasks& b : r.reused_builds) {
    py::dict one;
    one["version"] = b.build.version;
    one["git_commit"] = b.build.git_commit;
    one["tasks"] = b.tasks;
    one["name"] = BuildName(b.build);  // as nlhf-sweep's note names it
    reused.append(one);
  }
  report["reused_builds"] = reused;
  return report;
}

}  // namespace

void BindExperiment(py::module_& m) {
  m.def("_run", &Run, py::arg("source"), py::arg("is_text"), py::arg("sets"), py::arg("base_dir"), py::arg("jobs"),
        py::arg("progress"));
  m.def("_sweep", &Sweep, py::arg("source"), py::arg("is_text"), py::arg("out"), py::arg("sets"), py::arg("base_dir"),
        py::arg("jobs"), py::arg("force"), py::arg("shard"), py::arg("progress"));
}

}  // namespace nlhf::python

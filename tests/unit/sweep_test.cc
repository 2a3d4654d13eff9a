// Tests of lib/src/sweep.cc: running a sweep (the task loop, resumption, extension) and its failures.
// Expansion, tasks, the task store, assembly and the SLURM script have tests of their own
// (sweep_config_test.cc, sweep_tasks_test.cc, sweep_task_store_test.cc, sweep_assembly_test.cc,
// sweep_slurm_test.cc).
#include "nlhf/sweep.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "nlhf/output/trace.h"
#include "sweep_task_store.h"
#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;

// Tasks stored in a sweep directory's task store.
int TasksOnDisk(const std::string& dir) { return static_cast<int>(TaskStore(dir).Index().size()); }

constexpr const char* kMatrix = "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n";

// Two points: a generated game (n = 30, the costlier tasks, so they run first) and a matrix CSV.
SweepConfig TwoGameSweep(const testing::TempDir& tmp) {
  tmp.File("P.csv", kMatrix);
  const std::string text =
      "name: s\ngame: {type: matrix, path: P.csv}\nbeta: 0.1\nseeds: [0, 1]\nsolvers: [{name: nash_mp}]\n"
      "stop: {iterations: 20}\nsweep:\n  game: [{type: random_uniform, n: 30}, {type: matrix, path: P.csv}]\n";
  return ParseSweep(text, tmp.Path("s.yaml"), {}, tmp.Path(""));
}

TEST(RunSweep, AnInputFileRemovedMidSweepStopsItWithAnInputErrorAfterWritingFinishedTasks) {
  for (int jobs : {1, 2}) {
    testing::TempDir tmp;
    const SweepConfig sweep = TwoGameSweep(tmp);
    SweepOptions options;
    options.jobs = jobs;
    // Once a task has finished, the CSV disappears: the matrix tasks (handed out after the two
    // generated ones, each after its thread's progress call) cannot read it.
    options.progress = [&](const SweepProgress& p) {
      if (p.runs_done > 0) fs::remove(tmp.Path("P.csv"));
    };
    const std::string dir = tmp.Path("out");
    testing::ExpectInputError([&] { RunSweep(sweep, dir, options); },
                              {"P.csv", "running sweep point 1 (seed=", "game={type: matrix"});
    EXPECT_FALSE(fs::exists(fs::path(dir) / "trace.csv"));
    if (jobs == 1) {
      EXPECT_EQ(TasksOnDisk(dir), 2) << "the two finished tasks were not written";
    }
    // The file back: the same sweep runs only what is missing.
    tmp.File("P.csv", kMatrix);
    const int kept = TasksOnDisk(dir);
    const SweepReport report = RunSweep(sweep, dir, SweepOptions{});
    EXPECT_EQ(report.tasks_skipped, kept);
    EXPECT_EQ(report.tasks_run, 4 - kept);
    EXPECT_EQ(report.task_failures, 0);
    EXPECT_TRUE(fs::exists(fs::path(dir) / "trace.csv"));
  }
}

// On a game with a pure equilibrium MWU's final KL(pi* || pi) and gap_beta become subnormal (here
// ~1e-309 after 142 steps of eta = 10). The part files hold them as written; reading them back must
// not take the part for damaged (std::stod throws on subnormals), or the run is dropped and the
// sweep ends without its CSV files.
TEST(RunSweep, KeepsRunsWhoseFinalMetricsAreSubnormal) {
  testing::TempDir tmp;
  const std::string text =
      "name: s\ngame: {type: bradley_terry, n: 2, ratings: [20, 0]}\nbeta: 0.0001\nseeds: [0]\n"
      "solvers: [{name: mwu, eta: 10}]\nstop: {iterations: 142}\n";
  const SweepConfig sweep = ParseSweep(text, tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string dir = tmp.Path("out");
  const SweepReport report = RunSweep(sweep, dir, SweepOptions{});
  EXPECT_EQ(report.task_failures, 0);
  ASSERT_TRUE(fs::exists(fs::path(dir) / "runs.csv"));
  std::ifstream in(fs::path(dir) / "runs.csv");
  std::string header, row;
  std::getline(in, header);
  ASSERT_TRUE(std::getline(in, row));
  EXPECT_NE(row.find("e-309"), std::string::npos) << row;  // the subnormal gap_beta, kept as computed
  // Resuming reads the part back: nothing runs again.
  const SweepReport again = RunSweep(sweep, dir, SweepOptions{});
  EXPECT_EQ(again.tasks_run, 0);
  EXPECT_EQ(again.tasks_skipped, 1);
}

std::string SeedSweep(const std::string& seeds) {
  return "name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: " + seeds +
         "\nsolvers: [{name: nash_mp}]\nstop: {iterations: 20}\nsweep:\n  game.n: [4, 5]\n";
}

TEST(RunSweep, AnInterruptedExtensionLeavesNoFinalFilesOfTheEarlierSweep) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  const SweepConfig small = ParseSweep(SeedSweep("[0]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  RunSweep(small, dir, SweepOptions{});
  ASSERT_TRUE(fs::exists(fs::path(dir) / "runs.csv"));
  const SweepConfig bigger = ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  SweepOptions interrupted;
  interrupted.jobs = 1;
  interrupted.progress = [](const SweepProgress& p) {
    if (p.runs_done > p.runs_skipped) throw std::runtime_error("interrupted");
  };
  EXPECT_THROW(RunSweep(bigger, dir, interrupted), std::runtime_error);
  for (const char* name : {"trace.csv", "runs.csv", "summary.csv", "config.resolved.yaml"})
    EXPECT_FALSE(fs::exists(fs::path(dir) / name)) << name;
  const SweepReport report = RunSweep(bigger, dir, SweepOptions{});
  EXPECT_FALSE(report.trace_streamed) << "a resumed sweep's trace is assembled from the store";
  EXPECT_EQ(report.tasks_skipped, 3);  // two from the small sweep, one from the interrupted run
  EXPECT_EQ(report.tasks_run, 3);
  EXPECT_FALSE(report.changed_sweep);  // the manifest already describes this sweep
  EXPECT_TRUE(fs::exists(fs::path(dir) / "runs.csv"));
}

// A sweep that runs all of its tasks here writes trace.csv as they run, with the bytes assembly
// writes from the store: the same file again once trace.csv is removed and the sweep rerun (which
// assembles it). The costlier n = 5 tasks run first, before their turn in canonical order, so they
// wait for it; with 2 jobs tasks also finish out of order.
TEST(RunSweep, AFreshSweepWritesTraceCsvAsItRunsWithTheBytesAssemblyWrites) {
  for (int jobs : {1, 2}) {
    testing::TempDir tmp;
    const std::string dir = tmp.Path("out");
    const std::string trace = (fs::path(dir) / "trace.csv").string();
    const SweepConfig sweep = ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
    SweepOptions options;
    options.jobs = jobs;
    const SweepReport first = RunSweep(sweep, dir, options);
    EXPECT_TRUE(first.trace_streamed) << jobs;
    const std::string streamed = testing::ReadFile(trace);
    EXPECT_EQ(streamed.substr(0, streamed.find('\n') + 1), TraceHeader());
    fs::remove(trace);
    const SweepReport again = RunSweep(sweep, dir, options);
    EXPECT_EQ(again.tasks_run, 0);
    EXPECT_FALSE(again.trace_streamed);
    EXPECT_EQ(testing::ReadFile(trace), streamed) << jobs;
  }
}

// A finished sweep's store is an index into its trace.csv. A changed sweep finished in the same
// directory keeps the earlier index while it holds tasks the new one lacks, so changing back runs
// nothing; and the final directory keeps no second copy of the trace.
TEST(RunSweep, ChangingASweepAndChangingItBackRunsNothingAgain) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  const SweepConfig three = ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  const SweepConfig one = ParseSweep(SeedSweep("[0]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  EXPECT_EQ(RunSweep(three, dir, SweepOptions{}).tasks_run, 6);  // 2 points x 3 seeds
  const std::string first = testing::ReadFile((fs::path(dir) / "trace.csv").string());
  SweepReport r = RunSweep(one, dir, SweepOptions{});
  EXPECT_EQ(r.tasks_run, 0);
  EXPECT_EQ(r.tasks_unused, 4);
  r = RunSweep(three, dir, SweepOptions{});
  EXPECT_EQ(r.tasks_run, 0) << "the earlier sweep's tasks were lost";
  EXPECT_EQ(testing::ReadFile((fs::path(dir) / "trace.csv").string()), first);
  // Only the manifest, index parts and hard links to trace files remain: no batch data.
  for (const auto& e : fs::directory_iterator(fs::path(dir) / ".parts")) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "manifest.yaml" || name.rfind("0-trace-", 0) == 0 ||
                (e.path().extension() == ".csv" && fs::hard_link_count(e.path()) >= 1))
        << name;
  }
}

}  // namespace
}  // namespace nlhf

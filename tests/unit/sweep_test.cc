// Tests of lib/src/sweep.cc: running a sweep (task loop, part files), its failures and its SLURM
// script options.
#include "nlhf/sweep.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;

// Tasks stored in a sweep directory's part files (each task starts with a line "task ID").
int TasksOnDisk(const std::string& dir) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / ".parts")) {
    if (entry.path().extension() != ".part") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) count += line.rfind("task ", 0) == 0 ? 1 : 0;
  }
  return count;
}

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
  EXPECT_EQ(report.tasks_skipped, 3);  // two from the small sweep, one from the interrupted run
  EXPECT_EQ(report.tasks_run, 3);
  EXPECT_FALSE(report.changed_sweep);  // the manifest already describes this sweep
  EXPECT_TRUE(fs::exists(fs::path(dir) / "runs.csv"));
}

TEST(ValidateSlurmOptions, AcceptsWhatSbatchTakes) {
  SlurmOptions o;
  for (const char* time : {"30", "30:00", "01:00:00", "2-00", "2-12:30", "2-12:30:00", "UNLIMITED"}) {
    o.time = time;
    EXPECT_NO_THROW(ValidateSlurmOptions(o)) << time;
  }
  o.partition = "gpu_a100,cpu-long.v2";
  EXPECT_NO_THROW(ValidateSlurmOptions(o));
}

TEST(ValidateSlurmOptions, RejectsWhatSbatchCannotTake) {
  SlurmOptions o;
  o.partition = "gpu; rm -rf ~";
  testing::ExpectInputError([&] { ValidateSlurmOptions(o); }, {"--partition", "is not a partition name"});
  o.partition = "";
  for (const char* time : {"", "1h", "01:00:00 --wrap=x", "1:2:3:4", "$(id)"}) {
    o.time = time;
    testing::ExpectInputError([&] { ValidateSlurmOptions(o); }, {"--time", "is not a SLURM time limit"});
  }
  o.time = "10";
  o.shards = 0;
  testing::ExpectInputError([&] { ValidateSlurmOptions(o); }, {"--shards", "expected an integer >= 1"});
}

}  // namespace
}  // namespace nlhf

// Tests of lib/src/sweep.cc: running a sweep (the task loop, resumption, extension) and its failures.
// Expansion, tasks, the task store, assembly and the SLURM script have tests of their own
// (sweep_config_test.cc, sweep_tasks_test.cc, sweep_task_store_test.cc, sweep_assembly_test.cc,
// sweep_slurm_test.cc).
#include "nlhf/sweep.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/output/csv.h"
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

// trace.csv without its wall_s column (the one column that differs between two runs), a line of
// cells joined by tabs per row.
std::string WithoutWallTime(const std::string& csv) {
  std::istringstream in(csv);
  std::string line, out;
  size_t column = 0;
  for (bool header = true; std::getline(in, line); header = false) {
    std::vector<std::string> cells = SplitCsvLine(line).value_or(std::vector<std::string>{"unreadable: " + line});
    if (header) column = static_cast<size_t>(std::find(cells.begin(), cells.end(), "wall_s") - cells.begin());
    if (column < cells.size()) cells.erase(cells.begin() + static_cast<std::ptrdiff_t>(column));
    for (const std::string& c : cells) out += c + "\t";
    out += "\n";
  }
  return out;
}

// A sweep run whole here writes trace.csv as its tasks run. Its bytes are those of a trace assembled
// from the store: the same sweep run as two shards into one directory (the second assembles), all
// columns but wall_s; with 1 and 2 jobs. (The costlier n = 5 tasks run first, before their turn, and
// wait for it.) A sweep whose tasks run in canonical order streams for certain: nothing waits.
TEST(RunSweep, AFreshSweepWritesTraceCsvAsItRunsWithTheBytesAssemblyWrites) {
  testing::TempDir tmp;
  const SweepConfig sweep = ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string ref = tmp.Path("ref");
  for (int k : {1, 2}) {
    SweepOptions shard;
    shard.shard = Shard{k, 2};
    EXPECT_FALSE(RunSweep(sweep, ref, shard).trace_streamed);
  }
  const std::string assembled = WithoutWallTime(testing::ReadFile(ref + "/trace.csv"));
  ASSERT_NE(assembled.find("\n"), std::string::npos);
  for (int jobs : {1, 2}) {
    const std::string dir = tmp.Path("out" + std::to_string(jobs));
    SweepOptions options;
    options.jobs = jobs;
    RunSweep(sweep, dir, options);
    EXPECT_EQ(WithoutWallTime(testing::ReadFile(dir + "/trace.csv")), assembled) << jobs;
  }
  const SweepConfig in_order = ParseSweep(
      "name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: [0, 1, 2, 3]\nsolvers: [{name: nash_mp}]\n"
      "stop: {iterations: 20}\nsweep:\n  beta: [0.1]\n",
      tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string dir = tmp.Path("in_order");
  const SweepReport report = RunSweep(in_order, dir, SweepOptions{});
  EXPECT_TRUE(report.trace_streamed);
  const std::string trace = testing::ReadFile(dir + "/trace.csv");
  EXPECT_EQ(trace.substr(0, trace.find('\n') + 1), TraceHeader());
  // The finished directory keeps no second copy: .parts holds one link to trace.csv's bytes, and
  // one index into it (written compacted: TaskStore::CommitFinal), beside the manifest.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / ".parts")) {
    names.push_back(e.path().filename().string());
    if (e.path().extension() == ".csv") {
      EXPECT_TRUE(fs::equivalent(e.path(), fs::path(dir) / "trace.csv")) << e.path();
    }
  }
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 3u) << fmt::format("{}", fmt::join(names, " "));
  EXPECT_EQ(names[0].rfind("0-trace-", 0), 0u) << names[0];
  EXPECT_EQ(names[1].rfind("data-", 0), 0u) << names[1];
  EXPECT_EQ(names[2], "manifest.yaml");
  // Run again, it finds the trace laid out as the index says: nothing runs, trace.csv stays.
  const SweepReport again = RunSweep(in_order, dir, SweepOptions{});
  EXPECT_EQ(again.tasks_run, 0);
  EXPECT_TRUE(again.trace_kept);
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

// FindStoredTasks (the dry run) counts what the run then keeps: every stored task of the sweep (or
// of a shard), none with --force, and reads without writing.
TEST(FindStoredTasks, CountsTheTasksARunKeeps) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  const SweepConfig three = ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  const SweepConfig one = ParseSweep(SeedSweep("[0]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  StoredTasks none = FindStoredTasks(three, dir, SweepOptions{});
  EXPECT_EQ(none.tasks, 6);
  EXPECT_EQ(none.stored, 0);
  EXPECT_FALSE(fs::exists(dir));
  RunSweep(one, dir, SweepOptions{});
  const StoredTasks found = FindStoredTasks(three, dir, SweepOptions{});
  EXPECT_EQ(found.tasks, 6);
  EXPECT_EQ(found.stored, 2);
  EXPECT_TRUE(found.other_sweep);
  EXPECT_TRUE(found.other_builds.empty());
  SweepOptions shard;
  shard.shard = ParseShard("2/2");
  const StoredTasks half = FindStoredTasks(three, dir, shard);
  EXPECT_EQ(half.tasks, 3);
  std::int64_t kept = 0;
  for (int k = 1; k <= 2; ++k) {
    shard.shard = ParseShard(fmt::format("{}/2", k));
    kept += FindStoredTasks(three, dir, shard).stored;
  }
  EXPECT_EQ(kept, 2);
  SweepOptions force;
  force.force = true;
  EXPECT_EQ(FindStoredTasks(three, dir, force).stored, 0);
  EXPECT_EQ(half.sweep_tasks, 6);
  EXPECT_EQ(half.sweep_stored, 2);
  EXPECT_EQ(found.unused, 0);  // the earlier sweep's tasks are all this one's
  EXPECT_EQ(RunSweep(three, dir, SweepOptions{}).tasks_skipped, found.stored);
  EXPECT_FALSE(FindStoredTasks(three, dir, SweepOptions{}).other_sweep);
  EXPECT_EQ(FindStoredTasks(three, dir, SweepOptions{}).stored, 6);
  // The smaller sweep again: its tasks are kept, the other 4 stay unused (as RunSweep reports).
  const StoredTasks back = FindStoredTasks(one, dir, SweepOptions{});
  EXPECT_TRUE(back.other_sweep);
  EXPECT_EQ(back.stored, 2);
  EXPECT_EQ(back.unused, 4);
  EXPECT_EQ(RunSweep(one, dir, SweepOptions{}).tasks_unused, back.unused);
}

// A finished sweep run again runs nothing and leaves trace.csv as it is (the same file, not
// rewritten: no copy, and no second copy's disk space), writing the small tables again (a deleted
// runs.csv comes back the same). A trace.csv deleted or replaced since is assembled again, with the
// same bytes; so is the trace of a sweep whose last tasks ran now (an interrupted one resumed).
TEST(RunSweep, AFinishedSweepRunAgainKeepsItsTraceCsvAsItIs) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  const fs::path trace = fs::path(dir) / "trace.csv", runs = fs::path(dir) / "runs.csv";
  const SweepConfig sweep = ParseSweep(SeedSweep("[0, 1]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  EXPECT_FALSE(RunSweep(sweep, dir, SweepOptions{}).trace_kept);
  const std::string bytes = testing::ReadFile(trace.string()),
                    table = testing::ReadFile(runs.string());
  struct stat before {};
  ASSERT_EQ(::stat(trace.c_str(), &before), 0);
  fs::remove(runs);
  SweepReport r = RunSweep(sweep, dir, SweepOptions{});
  EXPECT_EQ(r.tasks_run, 0);
  EXPECT_TRUE(r.trace_kept);
  struct stat after {};
  ASSERT_EQ(::stat(trace.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(testing::ReadFile(runs.string()), table);
  // Deleted, or replaced by another file with the same bytes: assembled again from the store.
  for (const bool replace : {false, true}) {
    SCOPED_TRACE(replace);
    fs::remove(trace);
    if (replace) std::ofstream(trace, std::ios::binary) << bytes;
    r = RunSweep(sweep, dir, SweepOptions{});
    EXPECT_EQ(r.tasks_run, 0);
    EXPECT_FALSE(r.trace_kept);
    EXPECT_EQ(testing::ReadFile(trace.string()), bytes);
  }
  EXPECT_TRUE(RunSweep(sweep, dir, SweepOptions{}).trace_kept);
  // The store stays one index into trace.csv through a link to it.
  const auto parts = [&] {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(dir) / ".parts"))
      if (e.path().filename() != "manifest.yaml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
  };
  std::vector<fs::path> store = parts();
  ASSERT_EQ(store.size(), 2u);
  EXPECT_EQ(store[0].filename().string().rfind("0-trace-", 0), 0u) << store[0];
  EXPECT_TRUE(fs::equivalent(store[1], trace)) << store[1];
  // A store whose tasks are not held by that index (as after a kill between linking a streamed
  // trace into place and compacting: the growing file's parts record no time) is assembled and
  // compacted, then kept.
  std::string index = testing::ReadFile(store[0].string());
  const size_t data_line = index.find("\ndata,") + 1, end_of_line = index.find('\n', data_line);
  index.replace(index.rfind(',', end_of_line) + 1, end_of_line - index.rfind(',', end_of_line) - 1, "");
  std::ofstream(store[0], std::ios::binary | std::ios::trunc) << index;
  ASSERT_TRUE(TaskStore(dir).Index().Has(TaskStore(dir).Index().Ids().front()));  // still read
  r = RunSweep(sweep, dir, SweepOptions{});
  EXPECT_EQ(r.tasks_run, 0);
  EXPECT_FALSE(r.trace_kept);
  EXPECT_EQ(testing::ReadFile(trace.string()), bytes);
  EXPECT_TRUE(RunSweep(sweep, dir, SweepOptions{}).trace_kept);
  EXPECT_EQ(parts().size(), 2u);
  // A sweep resumed with tasks left to run assembles its trace.
  const std::string other = tmp.Path("other");
  SweepOptions first_half;
  first_half.shard = Shard{1, 2};
  RunSweep(sweep, other, first_half);
  r = RunSweep(sweep, other, SweepOptions{});
  EXPECT_GT(r.tasks_run, 0);
  EXPECT_FALSE(r.trace_kept);
  EXPECT_EQ(WithoutWallTime(testing::ReadFile(other + "/trace.csv")), WithoutWallTime(bytes));
}

// A finished sweep's trace.csv whose time changed since (a touch, a copy that does not keep
// times) is not read: its tasks run again, and the report says so in the runs that rerun them
// (one shard at a time here), not in the others. A deleted one is not stale where the store's
// hard link keeps its bytes.
TEST(RunSweep, ATouchedTraceCsvRunsItsTasksAgainAndTheReportSaysWhy) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  const fs::path trace = fs::path(dir) / "trace.csv";
  const SweepConfig sweep = ParseSweep(SeedSweep("[0]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  EXPECT_FALSE(RunSweep(sweep, dir, SweepOptions{}).trace_index_stale);
  SweepReport r;
  if (fs::hard_link_count(trace) > 1) {  // the store's link (where the filesystem has hard links)
    fs::remove(trace);
    r = RunSweep(sweep, dir, SweepOptions{});
    EXPECT_EQ(r.tasks_run, 0);
    EXPECT_FALSE(r.trace_index_stale);
  }
  fs::last_write_time(trace, fs::last_write_time(trace) + std::chrono::seconds(1));
  SweepOptions first;
  first.shard = Shard{1, 2};
  r = RunSweep(sweep, dir, first);
  EXPECT_EQ(r.tasks_run, 1);
  EXPECT_TRUE(r.trace_index_stale);
  r = RunSweep(sweep, dir, first);
  EXPECT_EQ(r.tasks_run, 0);
  EXPECT_FALSE(r.trace_index_stale) << "nothing ran now";
  r = RunSweep(sweep, dir, SweepOptions{});
  EXPECT_EQ(r.tasks_run, 1);
  EXPECT_TRUE(r.trace_index_stale);
  r = RunSweep(sweep, dir, SweepOptions{});
  EXPECT_EQ(r.tasks_run, 0);
  EXPECT_FALSE(r.trace_index_stale);
}

// A cancelled sweep (Ctrl-C in nlhf-sweep) starts no further task, stores the ones that finished,
// writes no final file, and says how many tasks it stored; the same sweep then runs only the rest
// and its trace is an uninterrupted sweep's. With 1 and 2 jobs.
TEST(RunSweep, ACancelledSweepStoresItsFinishedTasksAndSaysHowMany) {
  testing::TempDir tmp;
  const SweepConfig sweep =
      ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string ref = tmp.Path("ref");
  RunSweep(sweep, ref, SweepOptions{});
  for (int jobs : {1, 2}) {
    const std::string dir = tmp.Path("out" + std::to_string(jobs));
    std::atomic<bool> cancel{false};
    SweepOptions options;
    options.jobs = jobs;
    options.cancel = &cancel;
    options.progress = [&](const SweepProgress& p) {
      if (p.runs_done >= 2) cancel.store(true);
    };
    std::string message;
    try {
      RunSweep(sweep, dir, options);
      ADD_FAILURE() << "not cancelled";
    } catch (const Cancelled& e) {
      message = e.what();
    }
    const int kept = TasksOnDisk(dir);
    if (jobs == 1) {
      EXPECT_EQ(kept, 2);
    }
    EXPECT_GE(kept, 2) << jobs;
    EXPECT_LT(kept, 6) << jobs;
    EXPECT_EQ(message, fmt::format("{} of 6 tasks are stored in {}", kept, dir));
    for (const char* name : {"trace.csv", "runs.csv", "summary.csv", "config.resolved.yaml"})
      EXPECT_FALSE(fs::exists(fs::path(dir) / name)) << name;
    const SweepReport report = RunSweep(sweep, dir, SweepOptions{});
    EXPECT_EQ(report.tasks_skipped, kept);
    EXPECT_EQ(report.tasks_run, 6 - kept);
    EXPECT_EQ(WithoutWallTime(testing::ReadFile(dir + "/trace.csv")),
              WithoutWallTime(testing::ReadFile(ref + "/trace.csv")))
        << jobs;
  }
}

// The running tasks stop too: tasks that would never end (10^12 iterations; a missed flag: 30 s,
// then a failure) end by the flag, set from another thread, and none is stored.
TEST(RunSweep, ACancelFlagStopsTheRunningTasks) {
  testing::TempDir tmp;
  const SweepConfig sweep =
      ParseSweep(SeedSweep("[0, 1]"), tmp.Path("s.yaml"),
                 {"stop.iterations=1000000000000", "stop.wall_s=30"}, tmp.Path(""));
  std::atomic<bool> cancel{false};
  SweepOptions options;
  options.jobs = 2;
  options.cancel = &cancel;
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel.store(true);
  });
  const std::string dir = tmp.Path("out");
  EXPECT_THROW(RunSweep(sweep, dir, options), Cancelled);
  later.join();
  EXPECT_EQ(TasksOnDisk(dir), 0);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "trace.csv"));
}

// work_done is called once, when every task is stored and before the final files are written; a
// flag set by then still stops the sweep there, with every task stored.
TEST(RunSweep, WorkDoneComesBeforeTheFinalFilesAndAFlagSetByThenStillStopsIt) {
  testing::TempDir tmp;
  const SweepConfig sweep =
      ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  for (const bool set : {false, true}) {
    const std::string dir = tmp.Path(set ? "set" : "clear");
    std::atomic<bool> cancel{false};
    int calls = 0;
    SweepOptions options;
    options.jobs = 2;
    options.cancel = &cancel;
    options.work_done = [&] {
      ++calls;
      EXPECT_EQ(TasksOnDisk(dir), 6);
      EXPECT_FALSE(fs::exists(fs::path(dir) / "runs.csv"));
      cancel.store(set);
    };
    if (set) {
      try {
        RunSweep(sweep, dir, options);
        ADD_FAILURE() << "not cancelled";
      } catch (const Cancelled& e) {
        EXPECT_EQ(std::string(e.what()), fmt::format("6 of 6 tasks are stored in {}", dir));
      }
      EXPECT_FALSE(fs::exists(fs::path(dir) / "runs.csv"));
    } else {
      RunSweep(sweep, dir, options);
      EXPECT_TRUE(fs::exists(fs::path(dir) / "runs.csv"));
    }
    EXPECT_EQ(calls, 1);
  }
}

// A merge cancelled (Ctrl-C in nlhf-sweep --merge) while it reads the shards writes nothing; once it
// copies the trace, it writes no final file and leaves no temporary one, and says so; the same merge
// then writes an unsharded sweep's files.
TEST(MergeSweep, ACancelledMergeWritesNothingAndTheSameMergeThenSucceeds) {
  testing::TempDir tmp;
  const SweepConfig sweep = ParseSweep(SeedSweep("[0, 1, 2]"), tmp.Path("s.yaml"), {}, tmp.Path(""));
  const std::string ref = tmp.Path("ref");
  RunSweep(sweep, ref, SweepOptions{});
  std::vector<std::string> shards;
  for (int k : {1, 2}) {
    SweepOptions options;
    options.shard = Shard{k, 2};
    shards.push_back(tmp.Path("shard-" + std::to_string(k)));
    RunSweep(sweep, shards.back(), options);
  }
  const std::string out = tmp.Path("merged");
  std::atomic<bool> cancel{true};
  try {
    MergeSweep(shards, out, false, &cancel);
    ADD_FAILURE() << "not cancelled";
  } catch (const Cancelled& e) {
    EXPECT_EQ(std::string(e.what()), "nothing was merged into " + out);
  }
  EXPECT_FALSE(fs::exists(out)) << "stopped before the claim: nothing created";
  cancel.store(false);
  int done = 0;
  MergeSweep(shards, out, false, &cancel, [&] { ++done; });
  EXPECT_EQ(done, 1);
  const std::string merged = testing::ReadFile(out + "/trace.csv");
  EXPECT_EQ(WithoutWallTime(merged), WithoutWallTime(testing::ReadFile(ref + "/trace.csv")));
  EXPECT_TRUE(fs::exists(fs::path(out) / "runs.csv"));
  // With --force, a signal while the shards are read stops the merge before the claim, which would
  // delete OUT's results: they stay.
  cancel.store(true);
  EXPECT_THROW(MergeSweep(shards, out, true, &cancel), Cancelled);
  EXPECT_EQ(testing::ReadFile(out + "/trace.csv"), merged);
  // A flag set by work_done (a signal just before it) still stops it once the trace is copied, and
  // neither it nor its temporary file is left; with --force, the message says what the claim removed.
  for (const bool force : {false, true}) {
    cancel.store(false);
    try {
      MergeSweep(shards, out, force, &cancel, [&] { cancel.store(true); });
      ADD_FAILURE() << "not cancelled";
    } catch (const Cancelled& e) {
      EXPECT_EQ(std::string(e.what()),
                "nothing was merged into " + out + (force ? ", whose earlier results were removed" : ""));
    }
    EXPECT_EQ(fs::exists(fs::path(out) / "trace.csv"), !force);
    for (const auto& entry : fs::directory_iterator(out))
      EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace nlhf

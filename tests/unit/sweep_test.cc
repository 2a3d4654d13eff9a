// Tests of lib/src/sweep.cc: ParseSweep (the sweep file parsed once, --set applied to all of it,
// each point built from the base plus its values with its errors located where they are written),
// running a sweep (task loop, part files), its failures and its SLURM script options.
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

constexpr const char* kSweep =
    "game: {type: random_uniform, n: 4}\n"
    "sweep:\n"
    "  game.n: [3, 5]\n"
    "zip:\n"
    "  - {beta: [0.1, 0.2], stop.iterations: [5, 6]}\n"
    "beta: 0.1\n"
    "solvers: [{name: nash_mp}]\n";

SweepConfig Parse(const std::string& text, const std::vector<std::string>& sets = {}) {
  return ParseSweep(text, "sweep.yaml", sets, "");
}

std::string Values(const SweepPoint& p) {
  std::string out;
  for (const auto& [k, v] : p.values) out += k + "=" + v + ";";
  return out;
}

TEST(ParseSweep, ExpandsSweepAxesThenZipGroups) {
  const SweepConfig s = Parse(kSweep);
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(Values(s.points[0]), "game.n=3;beta=0.1;stop.iterations=5;");
  EXPECT_EQ(Values(s.points[3]), "game.n=5;beta=0.2;stop.iterations=6;");
  EXPECT_EQ(s.points[3].config.beta, 0.2);
  EXPECT_EQ(s.points[3].config.stop.iterations, 6);
}

TEST(ParseSweep, SetChangesTheSweepAndTheZip) {
  const SweepConfig s = Parse(kSweep, {"sweep.game.n=[7, 8, 9]", "zip=[{beta: [0.3]}]"});
  ASSERT_EQ(s.points.size(), 3u);
  EXPECT_EQ(Values(s.points[2]), "game.n=9;beta=0.3;");
  EXPECT_EQ(Parse(kSweep, {"zip[0].beta=[0.5, 0.6]"}).points[1].config.beta, 0.6);
}

TEST(ParseSweep, SweptKeysMayCreateMissingMaps) {
  const SweepConfig s = Parse("game: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                              "sweep: {stop.iterations: [5, 6], log.every: [1, 2]}\n");
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(s.points[3].config.stop.iterations, 6);
  EXPECT_EQ(s.points[3].config.log.every, 2);
}

TEST(ParseSweep, LocatesAPointsErrorAtItsValue) {
  std::string text = kSweep;
  text.replace(text.find("[3, 5]"), 6, "[3, 1]");
  nlhf::testing::ExpectInputError([&] { Parse(text); },
                                  {"sweep.yaml:3:15: at sweep point 2 (game.n=1, beta=0.1, stop.iterations=5): game.n: "
                                   "'1' is out of range"});
  nlhf::testing::ExpectInputError([&] { Parse(kSweep, {"sweep.game.n=[1]"}); },
                                  {"--set sweep.game.n=[1]: at sweep point 0 (game.n=1, "});
  // Keys after the sweep keep their own lines.
  nlhf::testing::ExpectInputError([&] { Parse(std::string(kSweep) + "stop: {iterations: 0}\n"); },
                                  {"sweep.yaml:8:20: stop.iterations: '0' is out of range"});
}

TEST(ParseSweep, RejectsDuplicateKeysAndBadPaths) {
  nlhf::testing::ExpectInputError([&] { Parse(std::string(kSweep) + "sweep: {beta: [1]}\n"); },
                                  {"sweep.yaml:8:1: sweep: is given twice (first on line 2)"});
  std::string bad = kSweep;
  bad.replace(bad.find("game.n:"), 7, "solvers[0x1].eta:");
  nlhf::testing::ExpectInputError([&] { Parse(bad); }, {"'0x1' is not an index"});
}

TEST(ParseSweep, ReportsThePointCountBeforeValidating) {
  size_t reported = 0;
  const SweepConfig s = ParseSweep(kSweep, "sweep.yaml", {}, "", [&](size_t n) { reported = n; });
  EXPECT_EQ(reported, 4u);
  std::string bad = kSweep;
  bad.replace(bad.find("[3, 5]"), 6, "[1, 1]");
  reported = 0;
  EXPECT_THROW(ParseSweep(bad, "sweep.yaml", {}, "", [&](size_t n) { reported = n; }), InputError);
  EXPECT_EQ(reported, 4u);
}

TEST(ParseSweep, SetAddsASweepOrZipTheFileDoesNotHave) {
  const std::string base = "name: m\ngame: {type: rps3}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";
  EXPECT_EQ(Parse(base, {"sweep.beta=[0.1,0.2]"}).points.size(), 2u);
  EXPECT_EQ(Parse(base, {"zip=[{beta: [0.1, 0.2], stop.iterations: [5, 6]}]"}).points.size(), 2u);
}

TEST(ParseSweep, RefusesAKeyThatVariesInTwoPlaces) {
  const std::string base = "game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n";
  testing::ExpectInputError([&] { Parse(base + "sweep: {game.n: [5, 6]}\nzip: [{game.n: [7, 8], beta: [0.1, 0.2]}]\n"); },
                            {"sweep.yaml:5:8", "game.n: is swept twice"});
  testing::ExpectInputError([&] { Parse(base + "sweep: {game: [{type: rps3}], game.n: [5]}\n"); },
                            {"game.n: overlaps the swept key game"});
}

TEST(ParseSweep, RefusesTwoPointsThatAreTheSameExperiment) {
  testing::ExpectInputError(
      [&] { Parse("game: {type: random_uniform, n: 4}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\nsweep: {game.n: [5, 5]}\n"); },
      {"at sweep point 1 (game.n=5): is the same experiment as sweep point 0"});
}

TEST(ParseSweep, PointFingerprintsEqualTheExperimentsOwn) {
  const SweepConfig s = Parse(kSweep);
  const ExperimentConfig same = ParseExperiment(
      "game: {type: random_uniform, n: 5}\nbeta: 0.2\nsolvers: [{name: nash_mp}]\nstop: {iterations: 6}\n", "sweep.yaml",
      {}, "");
  EXPECT_EQ(s.points[3].fingerprint, ExperimentFingerprint(same));
  EXPECT_EQ(s.points[3].fingerprint.size(), 64u);
}

}  // namespace
}  // namespace nlhf

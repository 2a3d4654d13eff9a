// Tests of lib/src/sweep_assembly.cc: the final files of a sweep assembled from its stored tasks, in
// canonical order whatever order the tasks finished (and were stored) in; runs.csv and summary.csv
// (medians and quartiles over seeds) on a small hand-computed example; nothing written while a task
// is missing. The tasks are stored through the task store's API, so the tests do not depend on its
// format.
#include "sweep_assembly.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/metrics.h"
#include "nlhf/output.h"
#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;

// Two points (game.n = 4, 5), four seeds, one labelled solver: eight tasks of one run each.
SweepConfig Sweep() {
  return ParseSweep("name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: [0, 1, 2, 3]\n"
                    "solvers: [{name: nash_mp, label: \"mp, fast\"}]\nstop: {iterations: 50}\n"
                    "sweep: {game.n: [4, 5]}\n",
                    "s.yaml", {}, "");
}

// The first metric's final value at seed index i (hand-picked so the quartiles interpolate).
constexpr double kFirstMetric[] = {1.0, 2.0, 3.0, 10.0};

// Task k of `tasks` as it finished: one run whose numbers come from its point and seed.
FinishedTask Finished(const SweepConfig& s, const SweepTask& t) {
  const SweepPoint& p = s.points[t.point];
  RunRecord r;
  r.run_id = "run-" + std::to_string(t.point) + "-" + std::to_string(t.seed_index);
  r.solver_index = 0;
  r.solver = "nash_mp";
  r.params = "eta=0.2";
  r.seed = p.config.seeds[t.seed_index];
  r.status = "iterations";
  r.wall_s = 0.5;
  r.iterations = 10 * static_cast<std::int64_t>(t.seed_index + 1) + static_cast<std::int64_t>(t.point);
  r.oracle_calls = 2 * r.iterations;
  r.queries = 0;
  r.final.fill(std::nan(""));
  r.final[0] = kFirstMetric[t.seed_index] * static_cast<double>(t.point + 1);
  // The third metric infinite (a run that diverged) but at point 0's first seed: 1, inf, inf, inf
  // there, every seed inf at point 1. The fourth: -inf, 1, 2, 3 at point 0, -inf, -inf, 1, inf at 1.
  constexpr double kInf = std::numeric_limits<double>::infinity();
  r.final[2] = t.point == 0 && t.seed_index == 0 ? 1.0 : kInf;
  constexpr double kFourth[2][4] = {{-kInf, 1.0, 2.0, 3.0}, {-kInf, -kInf, 1.0, kInf}};
  r.final[3] = kFourth[t.point][t.seed_index];
  // The fifth: finite values whose differences overflow a double.
  constexpr double kMax = std::numeric_limits<double>::max();
  constexpr double kFifth[2][4] = {{-1e308, -1e308, 1e308, 1e308}, {-kMax, 0.0, 1.0, kMax}};
  r.final[4] = kFifth[t.point][t.seed_index];
  // The average iterate's first metric at point 0 only (100, 101, 102, 103): a solver that keeps
  // one there, none at point 1.
  if (t.point == 0) r.average[0] = 100.0 + static_cast<double>(t.seed_index);
  FinishedTask f;
  f.id = t.id;
  f.records = {r};
  f.trace = "trace of " + r.run_id + "\n";
  return f;
}

std::string Read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The cells of a CSV line without quoted fields, or with `quoted` (which holds a comma) as one cell.
std::vector<std::string> Cells(std::string line, const std::string& quoted = "") {
  if (!quoted.empty()) {
    const std::string field = CsvField(quoted);
    if (const size_t at = line.find(field); at != std::string::npos) line.replace(at, field.size(), "QUOTED");
  }
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

size_t Column(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  EXPECT_NE(it, header.end()) << name;
  return static_cast<size_t>(it - header.begin());
}

// Stores every task of `s` (one batch each) in the store of `out`, then assembles `out`.
void AssembleAll(const SweepConfig& s, const std::string& out) {
  TaskStore store(out);
  store.Create();
  for (const SweepTask& t : SweepTasks(s)) store.Add({Finished(s, t)});
  Assemble(s, store.Index(), out);
}

TEST(Assemble, WritesTasksInCanonicalOrderWhateverOrderTheyWereStoredIn) {
  testing::TempDir tmp;
  const SweepConfig s = Sweep();
  const std::vector<SweepTask> tasks = SweepTasks(s);
  ASSERT_EQ(tasks.size(), 8u);
  // In order, one batch each; and in reverse, in two batches.
  TaskStore in_order(tmp.Path("a"));
  in_order.Create();
  for (const SweepTask& t : tasks) in_order.Add({Finished(s, t)});
  TaskStore reversed(tmp.Path("b"));
  reversed.Create();
  std::vector<FinishedTask> late, early;
  for (size_t k = tasks.size(); k-- > 0;) (k % 2 ? late : early).push_back(Finished(s, tasks[k]));
  reversed.Add(late);
  reversed.Add(early);
  Assemble(s, in_order.Index(), tmp.Path("a"));
  Assemble(s, reversed.Index(), tmp.Path("b"));
  for (const char* name : {"trace.csv", "runs.csv", "summary.csv"})
    EXPECT_EQ(Read(fs::path(tmp.Path("a")) / name), Read(fs::path(tmp.Path("b")) / name)) << name;
  std::string trace = TraceHeader();
  for (const SweepTask& t : tasks) trace += Finished(s, t).trace;
  EXPECT_EQ(Read(fs::path(tmp.Path("b")) / "trace.csv"), trace);
  const std::vector<std::string> runs = Lines(Read(fs::path(tmp.Path("b")) / "runs.csv"));
  ASSERT_EQ(runs.size(), 9u);
  for (size_t k = 0; k < tasks.size(); ++k) EXPECT_EQ(Cells(runs[k + 1]).front(), Finished(s, tasks[k]).records[0].run_id);
  // The resolved sweep names where it was written.
  EXPECT_NE(Read(fs::path(tmp.Path("b")) / "config.resolved.yaml").find("output: " + tmp.Path("b")), std::string::npos);
}

TEST(Assemble, RunsCsvHasOneRowPerRunWithItsPointsValuesAndLabel) {
  testing::TempDir tmp;
  const SweepConfig s = Sweep();
  AssembleAll(s, tmp.Path("out"));
  const std::vector<std::string> lines = Lines(Read(fs::path(tmp.Path("out")) / "runs.csv"));
  const std::vector<std::string> header = Cells(lines[0]);
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + 13),
            (std::vector<std::string>{"run_id", "point", "game.n", "solver", "label", "params", "seed", "status",
                                      "wall_s", "iterations", "oracle_calls", "queries", std::string(MetricTable()[0].name)}));
  EXPECT_EQ(header.size(), 12u + 2 * kNumMetrics + 3);
  // Point 1 (game.n = 5), seed index 2 (seed 2): the seventh run.
  const std::vector<std::string> row = Cells(lines[7], "mp, fast");
  ASSERT_EQ(row.size(), header.size()) << lines[7];
  EXPECT_EQ(row[Column(header, "run_id")], "run-1-2");
  EXPECT_EQ(row[Column(header, "point")], "1");
  EXPECT_EQ(row[Column(header, "game.n")], "5");
  EXPECT_EQ(row[Column(header, "label")], "QUOTED");  // "mp, fast", quoted for its comma
  EXPECT_EQ(row[Column(header, "seed")], "2");
  EXPECT_EQ(row[Column(header, "iterations")], "31");
  EXPECT_EQ(row[Column(header, "oracle_calls")], "62");
  EXPECT_EQ(row[Column(header, std::string(MetricTable()[0].name))], "6");
  EXPECT_EQ(row[Column(header, std::string(MetricTable()[1].name))], "");  // not computed: empty
  EXPECT_EQ(row[Column(header, "rho")], "");
}

// runs.csv from an index that kept the part files' record lines (their numbers copied) is the one
// formatted from the records, byte for byte, with params that need quotes and numbers of every kind.
TEST(AssembleTables, TheKeptRecordLinesGiveTheFormattedTables) {
  testing::TempDir tmp;
  const SweepConfig s = Sweep();
  TaskStore store(tmp.Path("store"));
  store.Create();
  const double awkward[] = {-0.0, 5e-324, 1e300, std::numeric_limits<double>::infinity(), 0.1 + 0.2, std::nan("")};
  size_t k = 0;
  for (const SweepTask& t : SweepTasks(s)) {
    FinishedTask f = Finished(s, t);
    RunRecord& r = f.records[0];
    r.params = "eta=0.2,\"q\"";
    r.wall_s = 1.0 / 3.0;
    for (double& x : r.final) x = awkward[k++ % std::size(awkward)];
    r.rho = awkward[k++ % std::size(awkward)];
    r.average[1] = awkward[k++ % std::size(awkward)];
    store.Add({f});
  }
  const TaskIndex kept = store.Index(/*with_lines=*/true), parsed = store.Index();
  size_t copied = 0;
  for (const SweepTask& t : SweepTasks(s)) {
    const std::vector<std::string_view> numbers = kept.RecordNumbers(t.id);
    ASSERT_EQ(numbers.size(), 1u);
    std::string formatted;
    AppendRecordNumbers(formatted, parsed.Records(t.id)[0]);
    EXPECT_EQ(numbers[0], formatted);
    EXPECT_TRUE(parsed.RecordNumbers(t.id).empty());  // no lines kept: runs.csv formats them
    copied += numbers.size();
  }
  EXPECT_EQ(copied, 8u);
  fs::create_directories(tmp.Path("kept"));
  fs::create_directories(tmp.Path("parsed"));
  AssembleTables(s, kept, tmp.Path("kept"));
  AssembleTables(s, parsed, tmp.Path("parsed"));
  for (const char* name : {"runs.csv", "summary.csv"})
    EXPECT_EQ(Read(fs::path(tmp.Path("kept")) / name), Read(fs::path(tmp.Path("parsed")) / name)) << name;
  EXPECT_NE(Read(fs::path(tmp.Path("kept")) / "runs.csv").find(",-0,5e-324,1e+300,inf,"),
            std::string::npos);
}

TEST(Assemble, SummaryHasMediansAndQuartilesOverSeeds) {
  testing::TempDir tmp;
  const SweepConfig s = Sweep();
  AssembleAll(s, tmp.Path("out"));
  const std::vector<std::string> lines = Lines(Read(fs::path(tmp.Path("out")) / "summary.csv"));
  ASSERT_EQ(lines.size(), 3u);  // header, one row per point and solver
  const std::vector<std::string> header = Cells(lines[0]);
  const std::string m(MetricTable()[0].name);
  // Point 0: the first metric is 1, 2, 3, 10 over the seeds. Linear interpolation between order
  // statistics (pandas' default): median at 1.5 -> 2.5, q25 at 0.75 -> 1.75, q75 at 2.25 -> 4.75.
  // Iterations 10, 20, 30, 40 -> 25; oracle calls twice that.
  const std::vector<std::string> p0 = Cells(lines[1], "mp, fast");
  ASSERT_EQ(p0.size(), header.size());
  EXPECT_EQ(p0[Column(header, "point")], "0");
  EXPECT_EQ(p0[Column(header, "game.n")], "4");
  EXPECT_EQ(p0[Column(header, "solver")], "nash_mp");
  EXPECT_EQ(p0[Column(header, "runs")], "4");
  EXPECT_EQ(p0[Column(header, "iterations_median")], "25");
  EXPECT_EQ(p0[Column(header, "oracle_calls_median")], "50");
  EXPECT_EQ(p0[Column(header, "queries_median")], "0");
  EXPECT_EQ(p0[Column(header, m + "_median")], "2.5");
  EXPECT_EQ(p0[Column(header, m + "_q25")], "1.75");
  EXPECT_EQ(p0[Column(header, m + "_q75")], "4.75");
  // A metric no run computed has empty cells.
  EXPECT_EQ(p0[Column(header, std::string(MetricTable()[1].name) + "_median")], "");
  // The average iterate's: 100 ... 103 at point 0 (median at 1.5 -> 101.5, q25 100.75, q75
  // 102.25), none at point 1; a metric no run's average has, empty.
  EXPECT_EQ(p0[Column(header, "average_" + m + "_median")], "101.5");
  EXPECT_EQ(p0[Column(header, "average_" + m + "_q25")], "100.75");
  EXPECT_EQ(p0[Column(header, "average_" + m + "_q75")], "102.25");
  EXPECT_EQ(p0[Column(header, "average_" + std::string(MetricTable()[1].name) + "_median")], "");
  EXPECT_EQ(header.back(), "average_" + std::string(MetricTable()[kNumMetrics - 1].name) + "_q75");
  // Point 1: the values doubled (2, 4, 6, 20), iterations 11 ... 41.
  const std::vector<std::string> p1 = Cells(lines[2], "mp, fast");
  EXPECT_EQ(p1[Column(header, "game.n")], "5");
  EXPECT_EQ(p1[Column(header, "iterations_median")], "26");
  EXPECT_EQ(p1[Column(header, m + "_median")], "5");
  EXPECT_EQ(p1[Column(header, m + "_q25")], "3.5");
  EXPECT_EQ(p1[Column(header, m + "_q75")], "9.5");
  EXPECT_EQ(p1[Column(header, "average_" + m + "_median")], "");
  // Quantiles of infinite values are infinite, not "not computed" (inf - inf in the interpolation
  // is NaN, which would be written as an empty cell): pandas' median of the same values is inf.
  const std::string diverged(MetricTable()[2].name);
  for (const char* q : {"_median", "_q25", "_q75"}) {
    EXPECT_EQ(p0[Column(header, diverged + q)], "inf") << q;
    EXPECT_EQ(p1[Column(header, diverged + q)], "inf") << q;
  }
  // From -inf, -inf; to +inf, +inf; between the two, NaN: an empty cell. Point 0: -inf, 1, 2, 3
  // (q25 at 0.75: -inf; median 1.5; q75 2.25). Point 1: -inf, -inf, 1, inf (q25 -inf; median at
  // 1.5 from -inf: -inf; q75 at 2.25, from 1 to inf: inf).
  // The cells q25, median, q75 of `metric` in `point`.
  auto quantiles = [&](const std::vector<std::string>& point, const std::string& metric) {
    return std::vector<std::string>{point[Column(header, metric + "_q25")], point[Column(header, metric + "_median")],
                                    point[Column(header, metric + "_q75")]};
  };
  using Cells3 = std::vector<std::string>;
  const std::string fourth(MetricTable()[3].name);
  EXPECT_EQ(quantiles(p0, fourth), (Cells3{"-inf", "1.5", "2.25"}));
  EXPECT_EQ(quantiles(p1, fourth), (Cells3{"-inf", "-inf", "inf"}));
  // Between finite values whose difference overflows, still the interpolated value, not inf.
  // Point 0: -1e308, -1e308, 1e308, 1e308 (median at 1.5: 0). Point 1: -max, 0, 1, max (q25 at
  // 0.75: -max / 4; median 0.5; q75 at 2.25: 0.75 + max / 4).
  const std::string fifth(MetricTable()[4].name);
  EXPECT_EQ(quantiles(p0, fifth), (Cells3{"-1e+308", "0", "1e+308"}));
  EXPECT_EQ(quantiles(p1, fifth), (Cells3{"-4.49423283715579e+307", "0.5", "4.4942328371557893e+307"}));
}

// A store beside the test sweep's tasks, and how messages name them.
class RequireCompleteTest : public ::testing::Test {
 protected:
  std::string Name(size_t i) const {
    const SweepPoint& p = s_.points[tasks_[i].point];
    return TaskName(p, p.config.seeds[tasks_[i].seed_index]);
  }
  testing::TempDir tmp_;
  const SweepConfig s_ = Sweep();
  const std::vector<SweepTask> tasks_ = SweepTasks(s_);
  TaskStore store_{tmp_.Path("out")};
};

TEST_F(RequireCompleteTest, RefusesAMissingTaskAndAssembleThenWritesNothing) {
  store_.Create();
  for (size_t k = 0; k + 1 < tasks_.size(); ++k) store_.Add({Finished(s_, tasks_[k])});
  const TaskIndex index = store_.Index();
  testing::ExpectInputError([&] { RequireComplete(s_, tasks_, index, "OUT", "HELD"); },
                            {"OUT", "1 of 8 tasks is missing: " + Name(7) + " (task 8 of 8); HELD, expected every shard",
                             "(--shard K/N runs task P when (P - 1) mod N = K - 1); nothing was written"});
  testing::ExpectInputError([&] { Assemble(s_, index, tmp_.Path("out")); }, {"1 of 8 tasks is missing: " + Name(7)});
  for (const char* name : {"trace.csv", "runs.csv", "summary.csv", "config.resolved.yaml"})
    EXPECT_FALSE(fs::exists(fs::path(tmp_.Path("out")) / name)) << name;
  store_.Add({Finished(s_, tasks_.back())});
  EXPECT_NO_THROW(RequireComplete(s_, tasks_, store_.Index(), "OUT"));
}

// Up to three missing tasks are named, in canonical order, with the count of the others.
TEST_F(RequireCompleteTest, NamesThreeMissingTasksAndCountsTheRest) {
  store_.Create();
  store_.Add({Finished(s_, tasks_[0]), Finished(s_, tasks_[2])});
  testing::ExpectInputError([&] { RequireComplete(s_, tasks_, store_.Index(), "OUT"); },
                            {"6 of 8 tasks are missing: " + Name(1) + " (task 2 of 8); " + Name(3) + " (task 4 of 8); " +
                             Name(4) + " (task 5 of 8); and 3 more, expected every shard"});
}

}  // namespace
}  // namespace nlhf

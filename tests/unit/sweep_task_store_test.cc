// Tests of lib/src/sweep_task_store.cc, through its API only (the on-disk format may change): tasks
// added are there when the store is opened again, with their records and trace rows; a damaged
// batch is ignored (its tasks run again) without losing the others; the manifest round trip; a
// changed input file is refused.
#include "sweep_task_store.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nlhf/sweep_config.h"
#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;

RunRecord Record(const std::string& run_id, size_t solver_index, double gap) {
  RunRecord r;
  r.run_id = run_id;
  r.solver_index = solver_index;
  r.solver = "nash_mp";
  r.params = "eta=0.1,\"quoted\"";  // a comma and quotes, as CSV fields may hold
  r.seed = 7;
  r.status = "iterations";
  r.wall_s = 0.25;
  r.iterations = 100;
  r.oracle_calls = 200;
  r.queries = 0;
  r.final.fill(gap);
  r.final[1] = std::nan("");  // a metric that was not computed
  r.rho = 0.5;                // stability_limit, target_gap_beta and the average stay absent
  return r;
}

FinishedTask Task(const std::string& id, int runs = 2) {
  FinishedTask t;
  t.id = id;
  for (int k = 0; k < runs; ++k) t.records.push_back(Record(id + "-run" + std::to_string(k), k, 1e-3 * (k + 1)));
  t.trace = "row of " + id + " 1\nrow of " + id + " 2\n";
  return t;
}

// The trace rows of a stored task, as TaskIndex::CopyTrace writes them.
std::string Trace(const TaskIndex& index, const std::string& id) {
  return testing::Written([&](std::FILE* f) { index.CopyTrace(id, f); });
}

void ExpectSameRecord(const RunRecord& a, const RunRecord& b) {
  EXPECT_EQ(a.run_id, b.run_id);
  EXPECT_EQ(a.solver_index, b.solver_index);
  EXPECT_EQ(a.solver, b.solver);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.wall_s, b.wall_s);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.oracle_calls, b.oracle_calls);
  EXPECT_EQ(a.queries, b.queries);
  for (size_t k = 0; k < kNumMetrics; ++k) {
    EXPECT_TRUE(a.final[k] == b.final[k] || (std::isnan(a.final[k]) && std::isnan(b.final[k]))) << k;
    EXPECT_TRUE(std::isnan(b.average[k])) << k;
  }
  EXPECT_EQ(a.rho, b.rho);
  EXPECT_TRUE(std::isnan(b.stability_limit));
  EXPECT_TRUE(std::isnan(b.target_gap_beta));
}

// The files a store wrote (to damage one without knowing their format).
std::set<fs::path> FilesIn(const fs::path& folder) {
  std::set<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.insert(entry.path());
  return files;
}

TEST(TaskStore, ANewStoreHoldsNothingAndCreatesNothing) {
  testing::TempDir tmp;
  const TaskStore store(tmp.Path("out"));
  EXPECT_EQ(store.Index().size(), 0u);
  EXPECT_FALSE(store.ReadManifest());
  EXPECT_FALSE(fs::exists(tmp.Path("out")));
  EXPECT_EQ(StoredSweepFingerprint(tmp.Path("out")), "");
}

TEST(TaskStore, TasksAddedAreThereWhenTheStoreIsOpenedAgain) {
  testing::TempDir tmp;
  {
    TaskStore store(tmp.Path("out"));
    store.Create();
    store.Add({Task("a"), Task("b", 1)});
    store.Add({Task("c", 3)});
    store.Add({});  // nothing to store
  }
  const TaskIndex index = TaskStore(tmp.Path("out")).Index();
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.Ids(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(index.Has("d"));
  for (const FinishedTask& want : {Task("a"), Task("b", 1), Task("c", 3)}) {
    ASSERT_TRUE(index.Has(want.id));
    const std::vector<RunRecord>& got = index.Records(want.id);
    ASSERT_EQ(got.size(), want.records.size()) << want.id;
    for (size_t k = 0; k < got.size(); ++k) ExpectSameRecord(want.records[k], got[k]);
    EXPECT_EQ(Trace(index, want.id), want.trace);
  }
  EXPECT_THROW(index.Records("d"), InternalError);
}

TEST(TaskStore, KeepsNumbersExactlyTinyOnesIncluded) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  FinishedTask t = Task("a", 1);
  t.records[0].final[0] = 4.9406564584124654e-320;  // subnormal
  t.records[0].final[2] = 0.1 + 0.2;                // needs all 17 digits
  t.records[0].wall_s = 1e300;
  store.Add({t});
  const TaskIndex index = store.Index();  // (a reference into a temporary index would dangle)
  const RunRecord& r = index.Records("a").front();
  EXPECT_EQ(r.final[0], 4.9406564584124654e-320);
  EXPECT_EQ(r.final[2], 0.1 + 0.2);
  EXPECT_EQ(r.wall_s, 1e300);
}

TEST(TaskStore, ADamagedBatchIsIgnoredSoItsTasksRunAgainAndTheOthersAreKept) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  store.Add({Task("a"), Task("b")});
  const std::set<fs::path> before = FilesIn(store.folder());
  store.Add({Task("c"), Task("d")});
  std::set<fs::path> added;
  for (const fs::path& f : FilesIn(store.folder()))
    if (before.count(f) == 0) added.insert(f);
  ASSERT_FALSE(added.empty());
  for (const fs::path& f : added) fs::resize_file(f, fs::file_size(f) / 2);  // cut short
  const TaskIndex index = store.Index();
  EXPECT_TRUE(index.Has("a"));
  EXPECT_TRUE(index.Has("b"));
  EXPECT_FALSE(index.Has("d")) << "the task cut short is not taken for done";
  for (const std::string& id : index.Ids()) EXPECT_EQ(Trace(index, id), Task(id).trace) << id;
  // Garbage in its place is ignored too.
  for (const fs::path& f : added) std::ofstream(f, std::ios::trunc) << "not a task\n";
  EXPECT_EQ(store.Index().Ids(), (std::vector<std::string>{"a", "b"}));
  // Storing them again makes them whole.
  store.Add({Task("c"), Task("d")});
  EXPECT_EQ(store.Index().Ids(), (std::vector<std::string>{"a", "b", "c", "d"}));
}

// A part cut at any length reads back whole or not at all, also where the index keeps its record
// lines (views into the part's text): a cut record line is never taken for a whole one.
TEST(TaskStore, APartCutAnywhereReadsBackWholeOrNotAtAll) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  store.Add({Task("a"), Task("b")});
  fs::path part;
  for (const fs::path& f : FilesIn(store.folder()))
    if (f.extension() == ".part") part = f;
  ASSERT_FALSE(part.empty());
  const std::string text = testing::ReadFile(part.string());
  ASSERT_EQ(text.substr(text.size() - 4), "end\n");
  for (size_t length = 0; length <= text.size(); ++length) {
    std::ofstream(part, std::ios::binary | std::ios::trunc) << text.substr(0, length);
    for (const bool with_lines : {false, true}) {
      const TaskIndex index = store.Index(with_lines);
      // Whole from the end line on, its newline or not (as std::getline reads it).
      ASSERT_EQ(index.size(), length >= text.size() - 1 ? 2u : 0u) << length;
      for (const std::string& id : index.Ids()) {
        const std::vector<RunRecord>& records = index.Records(id);
        ASSERT_EQ(records.size(), 2u);
        const std::vector<std::string_view> numbers = index.RecordNumbers(id);
        ASSERT_EQ(numbers.size(), with_lines ? 2u : 0u);
        for (size_t k = 0; k < records.size(); ++k) {
          ExpectSameRecord(Task(id).records[k], records[k]);
          std::string formatted;
          AppendRecordNumbers(formatted, records[k]);
          if (with_lines) {
            EXPECT_EQ(numbers[k], formatted);
          }
        }
      }
    }
  }
}

// runs.csv copies a record's numbers from its part only where they are plain text as
// AppendRecordNumbers writes them; quoted ones (a part not written so) are formatted again.
TEST(TaskIndex, RecordNumbersAreCopiedOnlyWhereThePartHasThemPlain) {
  for (const char* wall_s : {"\"0.25\"", "\"\"0.25", "0\"\".25"}) {
    testing::TempDir tmp;
    TaskStore store(tmp.Path("out"));
    store.Create();
    store.Add({Task("a")});
    fs::path part;
    for (const fs::path& f : FilesIn(store.folder()))
      if (f.extension() == ".part") part = f;
    std::string text = testing::ReadFile(part.string());
    const size_t at = text.find(",iterations,0.25,");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at + std::string(",iterations,").size(), 4, wall_s);
    std::ofstream(part, std::ios::binary | std::ios::trunc) << text;
    const TaskIndex index = store.Index(/*with_lines=*/true);
    ASSERT_TRUE(index.Has("a")) << wall_s;  // it still reads: the same value
    EXPECT_EQ(index.Records("a")[0].wall_s, 0.25);
    EXPECT_TRUE(index.RecordNumbers("a").empty()) << wall_s;
  }
}

TEST(TaskStore, AddIsSafeFromSeveralThreads) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&store, w] {
      for (int b = 0; b < 5; ++b) store.Add({Task(std::to_string(w) + "-" + std::to_string(b))});
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(store.Index().size(), 20u);
}

// Rows stream into a batch's data file as a task runs; a task that fails after writing rows leaves
// them unreferenced, and nothing is visible before Commit.
TEST(TaskBatch, TasksAreVisibleOnlyOnceCommittedAndAFailedTasksRowsAreNotTheirs) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  std::unique_ptr<TaskBatch> batch = store.Begin();
  auto write = [&](const std::string& text) { ASSERT_GE(std::fputs(text.c_str(), batch->trace()), 0); };
  std::int64_t at = batch->Position();
  write("a1\na2\n");
  batch->Finish("a", {Record("a-run0", 0, 1e-3)}, at);
  write("half of a failed task\n");  // never finished
  at = batch->Position();
  write("b1\n");
  batch->Finish("b", {Record("b-run0", 0, 2e-3)}, at);
  EXPECT_EQ(store.Index().size(), 0u);
  store.Commit(*batch);
  // The batch carries on in a new data file.
  at = batch->Position();
  EXPECT_EQ(at, 0);
  write("c1\n");
  batch->Finish("c", {Record("c-run0", 0, 3e-3)}, at);
  const TaskIndex index = store.Index();
  EXPECT_EQ(index.Ids(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Trace(index, "a"), "a1\na2\n");
  EXPECT_EQ(Trace(index, "b"), "b1\n");
  EXPECT_EQ(index.TraceBytes("b"), 3);
  batch.reset();  // not committed: c is lost (it runs again), and its data file goes
  EXPECT_EQ(store.Index().size(), 2u);
  for (const auto& e : fs::directory_iterator(store.folder()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

// Rows are held in memory and drained at the commit (BlockFile). When a write fails (here a file
// size limit, met by a later task's rows), the commit keeps the tasks whose rows all got into the
// file (one that ends exactly where the file does included), forgets the one cut off (it runs
// again) and then reports the error.
TEST(TaskBatch, ACommitAfterAFailedWriteKeepsOnlyTheTasksWhoseRowsGotThere) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  std::unique_ptr<TaskBatch> batch = store.Begin();
  const std::string a(100, 'a'), b(200, 'b'), big(BlockFile::kBlockBytes, 'c');
  std::int64_t at = batch->Position();
  ASSERT_EQ(std::fwrite(a.data(), 1, a.size(), batch->trace()), a.size());
  batch->Finish("a", {Record("a-run0", 0, 1e-3)}, at);
  at = batch->Position();
  ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), batch->trace()), b.size());
  batch->Finish("b", {Record("b-run0", 0, 2e-3)}, at);
  struct rlimit before {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
  struct rlimit small = before;
  small.rlim_cur = 100;  // all of a's rows (to the byte), none of b's
  const auto handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const size_t written = std::fwrite(big.data(), 1, big.size(), batch->trace());  // c's rows
  ::setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, handler);
  EXPECT_LT(written, big.size());
  try {
    store.Commit(*batch, false);
    ADD_FAILURE() << "the failed write is reported";
  } catch (const WriteFailure& e) {
    EXPECT_NE(std::string(e.what()).find("File too large"), std::string::npos) << e.what();
  }
  const TaskIndex index = store.Index();
  EXPECT_EQ(index.Ids(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Trace(index, "a"), a);
  batch.reset();
  for (const auto& e : fs::directory_iterator(store.folder()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

// A growing batch keeps one data file across commits; each commit's tasks read back while the file
// grows on (rows of an unfinished task after them included), and a file cut short is not read.
TEST(TaskBatch, AGrowingBatchsCommittedTasksReadBackWhileItsFileGrows) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  std::unique_ptr<TaskBatch> batch = store.BeginGrowing();
  auto write = [&](const std::string& text) { ASSERT_GE(std::fputs(text.c_str(), batch->trace()), 0); };
  write("header\n");  // bytes no task owns
  std::int64_t at = batch->Position();
  write("a1\na2\n");
  batch->Finish("a", {Record("a-run0", 0, 1e-3)}, at);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  store.Commit(*batch);
  EXPECT_LT(batch->age_s(), 0.3) << "its age counts from the commit (it decides the next one)";
  const fs::path data = TaskStore::GrowingData(*batch);
  ASSERT_FALSE(data.empty());
  at = batch->Position();
  EXPECT_EQ(at, 13) << "the same file goes on";
  write("b1\n");
  batch->Finish("b", {Record("b-run0", 0, 2e-3)}, at);
  store.Commit(*batch);
  // Not finished: in the file (a block's worth, so it is written at once), in no task.
  write(std::string(BlockFile::kBlockBytes, 'c') + "\n");
  TaskIndex index = store.Index();
  EXPECT_EQ(index.Ids(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Trace(index, "a"), "a1\na2\n");
  EXPECT_EQ(Trace(index, "b"), "b1\n");
  store.Commit(*batch, false);  // nothing new: closes the file
  EXPECT_EQ(batch->trace(), nullptr);
  batch.reset();
  EXPECT_TRUE(fs::exists(data)) << "parts name it";
  EXPECT_EQ(store.Index().size(), 2u);
  // Cut below what b's part recorded: b is not read (it runs again); a's part recorded less.
  fs::resize_file(data, 14);
  index = store.Index();
  EXPECT_TRUE(index.Has("a"));
  EXPECT_FALSE(index.Has("b"));
  store.RemoveOrphans();
  EXPECT_TRUE(fs::exists(data));
}

// CommitFinal: the only commit of a growing batch holding a whole trace writes the index Compact
// would (0-trace-*.part, with the data file's size and time), so that the data file linked as
// trace.csv is laid out there already; after an earlier commit it is an ordinary last commit.
TEST(TaskBatch, CommitFinalWritesTheCompactedIndexWhereItIsTheOnlyCommit) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  std::unique_ptr<TaskBatch> batch = store.BeginGrowing();
  auto write = [&](const std::string& text) { ASSERT_GE(std::fputs(text.c_str(), batch->trace()), 0); };
  write("h\n");
  const std::int64_t a = batch->Position();
  write("a1\n");
  batch->Finish("a", {Record("a-run0", 0, 1e-3)}, a);
  const std::int64_t b = batch->Position();
  write("b1\nb2\n");
  batch->Finish("b", {Record("b-run0", 0, 2e-3)}, b);
  std::unique_ptr<TaskIndex> written = store.CommitFinal(*batch);
  EXPECT_EQ(batch->trace(), nullptr) << "the last commit closes the file";
  ASSERT_NE(written, nullptr);
  EXPECT_TRUE(store.HoldsOnlyFinal(*batch));
  std::vector<std::string> parts;
  for (const auto& e : fs::directory_iterator(store.folder()))
    if (e.path().extension() == ".part") parts.push_back(e.path().filename().string());
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].rfind("0-trace-", 0), 0u) << parts[0];
  // Linked as trace.csv, the store is laid out in it: what Compact would have made.
  const fs::path trace = fs::path(dir) / "trace.csv";
  fs::create_hard_link(TaskStore::GrowingData(*batch), trace);
  const TaskIndex index = store.Index();
  // The index as written is the index read back (records, their lines, rows, layout).
  const TaskIndex read = store.Index(/*with_lines=*/true);
  EXPECT_EQ(written->Ids(), read.Ids());
  for (const char* id : {"a", "b"}) {
    ASSERT_EQ(written->Records(id).size(), read.Records(id).size()) << id;
    for (size_t k = 0; k < read.Records(id).size(); ++k) ExpectSameRecord(written->Records(id)[k], read.Records(id)[k]);
    EXPECT_EQ(written->RecordNumbers(id), read.RecordNumbers(id)) << id;
    EXPECT_EQ(Trace(*written, id), Trace(read, id)) << id;
    EXPECT_EQ(written->BuildOf(id), read.BuildOf(id)) << id;
  }
  EXPECT_TRUE(written->LaidOutIn(trace, "h\n", {"a", "b"}, {a, b}));
  EXPECT_EQ(Trace(index, "b"), "b1\nb2\n");
  EXPECT_TRUE(index.LaidOutIn(trace, "h\n", {"a", "b"}, {a, b}));
  // A trace edited since (same inode) is not read: its tasks run again.
  std::ofstream(trace, std::ios::app) << "edited\n";
  EXPECT_FALSE(store.Index().Has("a"));
  // Another part beside it: not the only one.
  store.Add({Task("t1")});
  EXPECT_FALSE(store.HoldsOnlyFinal(*batch));

  // After an earlier commit, CommitFinal is an ordinary last commit (its index is not final).
  TaskStore other(tmp.Path("other"));
  other.Create();
  std::unique_ptr<TaskBatch> growing = other.BeginGrowing();
  ASSERT_GE(std::fputs("h\n", growing->trace()), 0);
  const std::int64_t at = growing->Position();
  ASSERT_GE(std::fputs("a1\n", growing->trace()), 0);
  growing->Finish("a", {Record("a-run0", 0, 1e-3)}, at);
  other.Commit(*growing);
  EXPECT_EQ(other.CommitFinal(*growing), nullptr);
  EXPECT_FALSE(other.HoldsOnlyFinal(*growing));
  for (const auto& e : fs::directory_iterator(other.folder()))
    EXPECT_NE(e.path().filename().string().rfind("0-trace-", 0), 0u) << e.path();
  EXPECT_TRUE(other.Index().Has("a"));
}

// Once the final trace.csv exists, the store keeps one index into it (a hard link) and drops its
// own copies; the tasks read back the same, survive trace.csv's removal, and an edited trace.csv
// makes them run again rather than read wrong bytes.
TEST(TaskStore, CompactKeepsEveryTaskReadableFromTheFinalTrace) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  store.Add({Task("t1"), Task("t2")});
  store.Add({Task("t3"), Task("old")});  // "old": a task of an earlier sweep, not in this one
  const TaskIndex before = store.Index(/*with_lines=*/true);  // Compact copies its record lines
  std::map<std::string, std::string> rows;  // read now: Compact removes the data files `before` points to
  for (const char* id : {"t1", "t2", "t3"}) rows[id] = Trace(before, id);
  // The final trace: a header, then t2, t1, t3 (canonical order).
  const std::string header = "h\n";
  std::string trace = header;
  std::vector<std::int64_t> offsets;
  for (const char* id : {"t2", "t1", "t3"}) {
    offsets.push_back(static_cast<std::int64_t>(trace.size()));
    trace += rows[id];
  }
  const std::string final_trace = tmp.File("out/trace.csv", trace);
  // The batches' part files, whose record lines the compacted index copies as they are.
  std::string batch_parts;
  for (const auto& e : fs::directory_iterator(store.folder()))
    if (e.path().extension() == ".part") batch_parts += testing::ReadFile(e.path().string());
  store.Compact({"t2", "t1", "t3"}, offsets, before);
  const TaskIndex after = store.Index();
  EXPECT_EQ(after.Ids(), (std::vector<std::string>{"old", "t1", "t2", "t3"}));  // the old task's part stays
  for (const char* id : {"t1", "t2", "t3"}) {
    EXPECT_EQ(Trace(after, id), rows[id]) << id;
    ASSERT_EQ(after.Records(id).size(), before.Records(id).size()) << id;
    for (size_t k = 0; k < before.Records(id).size(); ++k) ExpectSameRecord(after.Records(id)[k], before.Records(id)[k]);
  }
  std::string compacted;
  for (const auto& e : fs::directory_iterator(store.folder()))
    if (e.path().filename().string().rfind("0-trace", 0) == 0) compacted = testing::ReadFile(e.path().string());
  size_t record_lines = 0;
  std::istringstream lines(compacted);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("t1-run", 0) != 0 && line.rfind("t2-run", 0) != 0 && line.rfind("t3-run", 0) != 0) continue;
    ++record_lines;
    EXPECT_NE(batch_parts.find("\n" + line + "\n"), std::string::npos) << line;
  }
  EXPECT_EQ(record_lines, 6u);
  // Deleting trace.csv does not lose the tasks (the store's link holds the bytes).
  fs::remove(final_trace);
  EXPECT_EQ(Trace(store.Index(), "t3"), rows["t3"]);
  // An edited trace (same inode, other bytes or size) is not read: those tasks run again.
  for (const auto& e : fs::directory_iterator(store.folder()))
    if (e.path().extension() == ".csv" && fs::hard_link_count(e.path()) == 1 && fs::file_size(e.path()) == trace.size()) {
      std::ofstream(e.path(), std::ios::app) << "edited\n";
    }
  EXPECT_FALSE(store.Index().Has("t1"));
  EXPECT_TRUE(store.Index().Has("old"));
}

// TaskIndex::LaidOutIn: true for the compacted index into the very trace.csv it was made for, and
// false for anything else: another file with the same bytes, other offsets or header, a trace.csv
// with bytes added (read through an index loaded before), and tasks held by the batches' own
// parts (not the index into trace.csv, even where their data file is trace.csv: a growing batch's
// file linked into place).
TEST(TaskIndex, LaidOutInHoldsOnlyForTheIndexIntoThatVeryFile) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  store.Add({Task("t1"), Task("t2")});
  const std::vector<std::string> ids = {"t2", "t1"};
  const TaskIndex batches = store.Index(/*with_lines=*/true);
  const std::string header = "h\n";
  const std::string trace = header + Trace(batches, "t2") + Trace(batches, "t1");
  const std::vector<std::int64_t> offsets = {2, 2 + batches.TraceBytes("t2")};
  const fs::path final_trace = tmp.File("out/trace.csv", trace);
  EXPECT_FALSE(batches.LaidOutIn(final_trace, header, ids, offsets));
  // The batch's own data file, holding t1 then t2, with its part's offsets: still not the index.
  fs::path data;
  for (const auto& e : fs::directory_iterator(store.folder()))
    if (e.path().extension() == ".csv") data = e.path();
  ASSERT_FALSE(data.empty());
  EXPECT_FALSE(batches.LaidOutIn(data, "", {"t1", "t2"}, {0, batches.TraceBytes("t1")}));

  store.Compact(ids, offsets, batches);
  const TaskIndex index = store.Index();
  EXPECT_TRUE(index.LaidOutIn(final_trace, header, ids, offsets));
  EXPECT_FALSE(index.LaidOutIn(final_trace, "x\n", ids, offsets));
  EXPECT_FALSE(index.LaidOutIn(final_trace, header, {"t1", "t2"}, offsets));
  EXPECT_FALSE(index.LaidOutIn(final_trace, header, ids, {offsets[0], offsets[1] + 1}));
  EXPECT_FALSE(index.LaidOutIn(tmp.Path("out/missing.csv"), header, ids, offsets));
  const fs::path copy = tmp.File("out/copy.csv", trace);
  EXPECT_FALSE(index.LaidOutIn(copy, header, ids, offsets));
  std::ofstream(final_trace, std::ios::app) << "more\n";
  EXPECT_FALSE(index.LaidOutIn(final_trace, header, ids, offsets));
  EXPECT_FALSE(store.Index().Has("t1"));  // and a fresh index does not hold them any more
}

// A data file whose part was never written (a kill between the two) is removed; referenced ones stay.
TEST(TaskStore, RemoveOrphansKeepsOnlyDataFilesAPartRefersTo) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  store.Add({Task("t1")});
  const std::string orphan = tmp.File("out/.parts/data-1-99.csv", "rows nobody indexes\n");
  store.RemoveOrphans();
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_EQ(Trace(store.Index(), "t1"), Task("t1").trace);
}

TEST(TaskIndex, MergeKeepsTheFirstCopyOfEachTask) {
  testing::TempDir tmp;
  TaskStore one(tmp.Path("one")), two(tmp.Path("two"));
  one.Create();
  two.Create();
  one.Add({Task("a"), Task("b")});
  FinishedTask other_b = Task("b");
  other_b.trace = "another copy\n";
  two.Add({other_b, Task("c")});
  TaskIndex index = one.Index();
  index.Merge(two.Index());
  EXPECT_EQ(index.Ids(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Trace(index, "b"), Task("b").trace);
  EXPECT_EQ(Trace(index, "c"), Task("c").trace);
}

// Rewrites every task line of the store's part files with `edit` (the one test of the format itself:
// parts written by other builds, or by the releases before builds were recorded).
void EditTaskLines(const TaskStore& store, const std::function<std::string(const std::string&)>& edit,
                   const std::string& header = "") {
  for (const auto& e : fs::directory_iterator(store.folder())) {
    if (e.path().extension() != ".part") continue;
    std::istringstream in(testing::ReadFile(e.path().string()));
    std::string text;
    bool first = true;
    for (std::string line; std::getline(in, line); first = false)
      text += (first && !header.empty() ? header : line.rfind("task,", 0) == 0 ? edit(line) : line) + "\n";
    std::ofstream(e.path(), std::ios::trunc) << text;
  }
}

TEST(TaskIndex, EachTaskKeepsTheBuildThatComputedItThroughCompactionAndMerge) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  store.Add({Task("a"), Task("b")});
  EXPECT_EQ(store.Index().BuildOf("a"), ThisBuild());
  EXPECT_TRUE(store.Index().OtherBuilds({"a", "b"}).empty());
  // Task b computed by another build (its task line's last field, the git commit).
  const Build other{kVersion, "0123456789ab"};
  EditTaskLines(store, [](const std::string& line) {
    return line.rfind("task,b,", 0) == 0 ? line.substr(0, line.rfind(',')) + ",0123456789ab" : line;
  });
  store.Add({Task("c")});
  const TaskIndex before = store.Index(/*with_lines=*/true);
  EXPECT_EQ(before.BuildOf("b"), other);
  EXPECT_EQ(before.OtherBuilds({"a", "b", "c", "absent"}), (std::vector<BuildTasks>{{other, 1}}));
  EXPECT_TRUE(before.OtherBuilds({"a", "c"}).empty());
  // Compaction (and so a merge, which compacts what the shards hold) keeps each task's build.
  std::string trace = "h\n";
  std::vector<std::int64_t> offsets;
  for (const char* id : {"a", "b", "c"}) {
    offsets.push_back(static_cast<std::int64_t>(trace.size()));
    trace += Trace(before, id);
  }
  tmp.File("out/trace.csv", trace);
  store.Compact({"a", "b", "c"}, offsets, before);
  const TaskIndex after = store.Index();
  EXPECT_EQ(after.BuildOf("a"), ThisBuild());
  EXPECT_EQ(after.BuildOf("b"), other);
  EXPECT_EQ(after.OtherBuilds({"a", "b", "c"}), (std::vector<BuildTasks>{{other, 1}}));
  TaskIndex merged;
  merged.Merge(store.Index());
  EXPECT_EQ(merged.BuildOf("b"), other);
}

TEST(TaskStore, PartsOfTheFormatBeforeBuildsWereRecordedAreReadWithAnUnrecordedBuild) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  store.Create();
  store.Add({Task("a"), Task("b", 1)});
  // Format 3: "nlhf-part,3" and task lines without the build's two fields.
  const auto without_build = [](const std::string& line) {
    const std::string without_commit = line.substr(0, line.rfind(','));
    return without_commit.substr(0, without_commit.rfind(','));
  };
  EditTaskLines(store, without_build, "nlhf-part,3");
  const TaskIndex index = store.Index();
  ASSERT_EQ(index.Ids(), (std::vector<std::string>{"a", "b"}));  // reused, not run again
  const Build unrecorded{kUnrecordedBuild, kUnrecordedBuild};
  EXPECT_EQ(index.BuildOf("a"), unrecorded);
  EXPECT_EQ(index.OtherBuilds({"a", "b"}), (std::vector<BuildTasks>{{unrecorded, 2}}));
  for (size_t k = 0; k < 2; ++k) ExpectSameRecord(Task("a").records[k], index.Records("a")[k]);
  EXPECT_EQ(Trace(index, "b"), Task("b", 1).trace);
  // A format-3 task line with a build, or a format-4 one without it, does not read: run again.
  EditTaskLines(store, [](const std::string& line) { return line + ",0.1.0,abc"; });
  EXPECT_EQ(store.Index().size(), 0u);
  EditTaskLines(store, without_build, "nlhf-part,4");
  EXPECT_EQ(store.Index().size(), 0u);
  EditTaskLines(store, [](const std::string& line) { return line + ",0.1.0,abc"; });  // whole again
  EXPECT_EQ(store.Index().BuildOf("a"), (Build{"0.1.0", "abc"}));
}

SweepConfig MatrixSweep(const testing::TempDir& tmp, const std::vector<std::string>& sets = {}) {
  return ParseSweep("name: s\ngame: {type: matrix, path: P.csv}\nbeta: 0.1\nsolvers: [{name: nash_mp}]\n"
                    "sweep: {beta: [0.1, 0.2]}\n",
                    tmp.Path("s.yaml"), sets, tmp.Path(""));
}

TEST(TaskStore, TheManifestRoundTrips) {
  testing::TempDir tmp;
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  const SweepConfig s = MatrixSweep(tmp, {"stop.iterations=7"});
  TaskStore store(tmp.Path("out"));
  store.Create();
  const std::vector<RecordedInput> inputs = RecordedInputs(s);
  store.WriteManifest(s, inputs);
  const std::optional<SweepManifest> m = TaskStore(tmp.Path("out")).ReadManifest();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->fingerprint, s.fingerprint);
  EXPECT_EQ(m->source, s.source);
  EXPECT_EQ(m->base_dir, s.base_dir);
  EXPECT_EQ(m->text, s.text);
  EXPECT_EQ(m->sets, s.sets);
  EXPECT_EQ(m->inputs, inputs);
  EXPECT_EQ(StoredSweepFingerprint(tmp.Path("out")), s.fingerprint);
  // It expands to the same sweep again (what --merge does).
  EXPECT_EQ(ParseSweep(m->text, m->source, m->sets, m->base_dir).fingerprint, s.fingerprint);
}

// A new store with the manifest of a two-point sweep over tmp/P.csv.
void CreateWithManifest(TaskStore& store, const testing::TempDir& tmp) {
  store.Create();
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  store.WriteManifest(MatrixSweep(tmp), {});
}

TEST(TaskStore, AManifestThatDoesNotReadIsAnInputError) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  CreateWithManifest(store, tmp);
  // Whatever file the manifest is, garbage in every file of the folder makes it unreadable.
  for (const fs::path& f : FilesIn(store.folder())) std::ofstream(f, std::ios::trunc) << "[1, 2";
  testing::ExpectInputError([&] { store.ReadManifest(); }, {"is not a sweep manifest nlhf-sweep can read"});
}

// --force deletes .parts only when it holds nothing but the store's files: every file the store
// writes (parts, data files, the manifest, a growing batch's temp file, a compacted index) is one,
// and a file of the user's is not.
TEST(IsStoreFile, KnowsEveryFileTheStoreWritesAndNoOther) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  CreateWithManifest(store, tmp);
  store.Add({Task("t1"), Task("t2")});
  const TaskIndex before = store.Index(/*with_lines=*/true);
  const std::string trace = "h\n" + Trace(before, "t1") + Trace(before, "t2");
  tmp.File("out/trace.csv", trace);
  store.Compact({"t1", "t2"}, {2, static_cast<std::int64_t>(2 + Trace(before, "t1").size())}, before);
  store.Add({Task("t3")});
  std::unique_ptr<TaskBatch> growing = store.BeginGrowing();  // open: its temp file is there
  std::set<std::string> kinds;
  for (const fs::path& f : FilesIn(store.folder())) {
    const std::string name = f.filename().string();
    EXPECT_TRUE(IsStoreFile(".parts", name)) << name;
    kinds.insert(name == "manifest.yaml" ? "manifest" : name[0] == '.' ? "temp" : f.extension().string());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"manifest", "temp", ".part", ".csv"}));
  // Names no store of this release happened to write above: a growing batch's later commits, a
  // killed writer's temp files, the compacted index and the per-task files of earlier releases.
  for (const char* ours : {"data-12-3.2.part", ".manifest.yaml.tmp-12-1234567", ".data-3.tmp-12-3", "0-trace.part",
                           ".data-12-3.part.tmp-12-99", ".0-trace-12-4.part.tmp-12-99",
                           "0123456789abcdef.part", "0123456789abcdef-12-3.part", "0123456789abcdef-12-0-3.part",
                           "0123456789abcdef.runs", "0123456789abcdef.trace"})
    EXPECT_TRUE(IsStoreFile(".parts", ours)) << ours;
  // A user's files, also ones named like the store's but not as it names them.
  for (const char* user : {"notes.txt", "my.csv", "P.csv", "plot.png", ".hidden", "manifest.yaml.bak", "part", "",
                           "data-final.csv", "data-1-2-3.csv", "data-.csv", "data-1-2.x.part", "notes.trace",
                           "final.part", "0-trace-x.part", "0123456789abcdef-1.part", ".notes.tmp-x", ".tmp-1-2",
                           ".notes.txt.tmp-12-3", ".final.part.tmp-12-3", "..manifest.yaml.tmp-12-3"})
    EXPECT_FALSE(IsStoreFile(".parts", user)) << user;
  EXPECT_FALSE(IsStoreFile("figures", "data-1-2.csv")) << "only .parts is the store's";
}

// A user's files in the folder, even ones named like the store's, are never read as parts nor
// removed: not by RemoveOrphans (a data-*.csv no part names) nor by Compact (a part that does not read).
TEST(TaskStore, AUsersFilesInItsFolderAreNeitherReadNorRemoved) {
  testing::TempDir tmp;
  TaskStore store(tmp.Path("out"));
  CreateWithManifest(store, tmp);
  const std::map<std::string, std::string> users = {
      {"data-final.csv", "my data\n"}, {"final.part", "not a part\n"}, {"notes.txt", "notes\n"}};
  for (const auto& [name, text] : users) tmp.File("out/.parts/" + name, text);
  store.Add({Task("t1"), Task("t2")});
  store.RemoveOrphans();
  const TaskIndex before = store.Index(/*with_lines=*/true);
  EXPECT_EQ(before.Ids(), (std::vector<std::string>{"t1", "t2"}));
  const std::string t1 = Trace(before, "t1");
  tmp.File("out/trace.csv", "h\n" + t1 + Trace(before, "t2"));
  store.Compact({"t1", "t2"}, {2, static_cast<std::int64_t>(2 + t1.size())}, before);
  EXPECT_EQ(store.Index().Ids(), (std::vector<std::string>{"t1", "t2"}));
  for (const auto& [name, text] : users)
    EXPECT_EQ(testing::ReadFile(tmp.Path("out/.parts/" + name)), text) << name;
}

TEST(RecordedInputs, ListsEachInputFileOnceWithItsContentHash) {
  testing::TempDir tmp;
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  const std::vector<RecordedInput> inputs = RecordedInputs(MatrixSweep(tmp));
  ASSERT_EQ(inputs.size(), 1u);  // two points, one file
  EXPECT_EQ(fs::path(inputs[0].path).filename(), "P.csv");
  EXPECT_TRUE(fs::path(inputs[0].path).is_absolute());
  EXPECT_EQ(inputs[0].hash.rfind("sha256:", 0), 0u);
  EXPECT_EQ(inputs[0].hash.size(), 7u + 64u);
}

TEST(RefuseChangedInputs, RefusesAFileReadWithOtherContentsAndNamesBothHashes) {
  testing::TempDir tmp;
  tmp.File("P.csv", "0.5,0.7\n0.3,0.5\n");
  const std::vector<RecordedInput> then = RecordedInputs(MatrixSweep(tmp));
  tmp.File("P.csv", "0.5,0.6\n0.4,0.5\n");
  const std::vector<RecordedInput> now = RecordedInputs(MatrixSweep(tmp));
  ASSERT_TRUE(ChangedInput(then, now));
  EXPECT_EQ(ChangedInput(then, now)->first, then[0]);
  EXPECT_EQ(ChangedInput(then, now)->second, now[0]);
  testing::ExpectInputError([&] { RefuseChangedInputs(then, now, "DIR", "ADVICE"); },
                            {now[0].path, "has changed since the results in DIR were computed from it",
                             now[0].hash + ", was " + then[0].hash, "ADVICE"});
  EXPECT_NO_THROW(RefuseChangedInputs(then, then, "DIR", "ADVICE"));
  // A file only one side lists has not changed.
  EXPECT_NO_THROW(RefuseChangedInputs(then, {}, "DIR", "ADVICE"));
  EXPECT_NO_THROW(RefuseChangedInputs({{"/elsewhere.csv", "sha256:0"}}, now, "DIR", "ADVICE"));
}

// A file read now at another path, with contents recorded under a path no longer read: moved.
TEST(MovedInputs, PairsAFileReadElsewhereWithTheSameContents) {
  const std::vector<RecordedInput> then = {{"/a/P.csv", "sha256:1"}, {"/a/mu.csv", "sha256:2"}};
  const auto moved = MovedInputs(then, {{"/b/P.csv", "sha256:1"}, {"/a/mu.csv", "sha256:2"}});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].first, then[0]);
  EXPECT_EQ(moved[0].second, (RecordedInput{"/b/P.csv", "sha256:1"}));
  EXPECT_TRUE(MovedInputs(then, then).empty());
  // The old path still read (a second copy), other contents, or nothing recorded: not moved.
  EXPECT_TRUE(MovedInputs(then, {{"/a/P.csv", "sha256:1"}, {"/b/P.csv", "sha256:1"}}).empty());
  EXPECT_TRUE(MovedInputs(then, {{"/b/P.csv", "sha256:9"}}).empty());
  EXPECT_TRUE(MovedInputs({}, {{"/b/P.csv", "sha256:1"}}).empty());
}

}  // namespace
}  // namespace nlhf

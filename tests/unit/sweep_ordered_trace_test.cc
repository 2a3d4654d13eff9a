// Tests of lib/src/sweep_ordered_trace.cc: the trace written while a sweep's tasks run is, whatever
// order they finish in, the header and every task's rows in canonical order; every task is in the
// store whether or not the trace completes (a task beyond the budget, a failed task); the tasks
// committed while it grows read back; it becomes trace.csv by a link.
#include "sweep_ordered_trace.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nlhf/output/block_file.h"
#include "nlhf/output/trace.h"
#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;

using testing::ReadFile;

// The trace rows of a stored task.
std::string StoredRows(const TaskIndex& index, const std::string& id) {
  return testing::Written([&](std::FILE* f) { index.CopyTrace(id, f); });
}

std::vector<RunRecord> Records(const std::string& id) {
  RunRecord r;
  r.run_id = id + "-run";
  r.solver = "omd";
  r.status = "iterations";
  return {r};
}

// A sweep of `n` tasks "t0" ... whose rows are written in `pieces` pieces of different lengths.
struct Sweep {
  explicit Sweep(size_t n, size_t pieces = 3) {
    for (size_t i = 0; i < n; ++i) {
      ids.push_back("t" + std::to_string(i));
      std::vector<std::string> p;
      for (size_t k = 0; k < pieces; ++k)
        p.push_back(std::string(1 + (i * 7 + k * 3) % 11, static_cast<char>('a' + i % 26)) + "," +
                    ids[i] + "\n");
      rows.push_back(p);
    }
  }
  std::string Row(size_t i) const {
    std::string s;
    for (const std::string& p : rows[i]) s += p;
    return s;
  }
  std::string Expected() const {
    std::string s = TraceHeader();
    for (size_t i = 0; i < ids.size(); ++i) s += Row(i);
    return s;
  }
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> rows;
};

void Write(OrderedTrace::Rows& rows, const std::string& piece) {
  ASSERT_EQ(std::fwrite(piece.data(), 1, piece.size(), rows.file()), piece.size());
}

// Runs task i in one go on `batch`.
void RunTask(OrderedTrace& trace, const Sweep& s, size_t i, TaskBatch& batch) {
  std::unique_ptr<OrderedTrace::Rows> rows = trace.Start(i, batch);
  for (const std::string& p : s.rows[i]) Write(*rows, p);
  trace.Finish(std::move(rows), Records(s.ids[i]));
}

// Every task of `s` is in the store with its rows and records.
void ExpectStored(TaskStore& store, const Sweep& s) {
  const TaskIndex index = store.Index();
  for (size_t i = 0; i < s.ids.size(); ++i) {
    ASSERT_TRUE(index.Has(s.ids[i])) << s.ids[i];
    EXPECT_EQ(StoredRows(index, s.ids[i]), s.Row(i)) << s.ids[i];
    EXPECT_EQ(index.Records(s.ids[i]).front().run_id, s.ids[i] + "-run");
  }
}

// Once closed, the trace holds every task: published, DIR/trace.csv is the canonical trace, and
// every task is stored.
void ExpectPublishedAndStored(OrderedTrace& trace, TaskStore& store, const std::string& dir, const Sweep& s) {
  trace.Close();
  ASSERT_TRUE(trace.Complete());
  ASSERT_TRUE(trace.Publish(dir).has_value());
  EXPECT_EQ(ReadFile(dir + "/trace.csv"), s.Expected());
  ExpectStored(store, s);
}

TEST(OrderedTrace, TasksInTurnBecomeTraceCsvWithTheirOffsets) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  const Sweep s(5);
  OrderedTrace trace(store, s.ids, 64, 1e9);
  const std::unique_ptr<TaskBatch> batch = store.Begin();
  for (size_t i = 0; i < s.ids.size(); ++i) RunTask(trace, s, i, *batch);
  trace.Close();
  ASSERT_TRUE(trace.Complete());
  const auto offsets = trace.Publish(dir);
  ASSERT_TRUE(offsets.has_value());
  const std::string got = ReadFile(dir + "/trace.csv");
  EXPECT_EQ(got, s.Expected());
  for (size_t i = 0; i < s.ids.size(); ++i)
    EXPECT_EQ(got.substr(static_cast<size_t>((*offsets)[i]), s.Row(i).size()), s.Row(i));
  EXPECT_EQ(batch->size(), 0u) << "the tasks went into the trace, not the worker's batch";
  ExpectStored(store, s);
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(OrderedTrace, TasksThatFinishBeforeTheirTurnWaitAndGoInInOrder) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  const Sweep s(6);
  OrderedTrace trace(store, s.ids, 64, 1e9);
  const std::unique_ptr<TaskBatch> batch = store.Begin();
  for (size_t i = s.ids.size(); i-- > 0;) RunTask(trace, s, i, *batch);  // the last first
  ExpectPublishedAndStored(trace, store, dir, s);
}

// Task 1 runs while task 0 finishes: its rows so far go in, then it writes straight on.
TEST(OrderedTrace, ATaskWhoseTurnComesWhileItRunsWritesOnInTheTrace) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  const Sweep s(3, 4);
  OrderedTrace trace(store, s.ids, 64, 1e9);
  const std::unique_ptr<TaskBatch> a = store.Begin(), b = store.Begin();
  std::unique_ptr<OrderedTrace::Rows> one = trace.Start(1, *b);
  Write(*one, s.rows[1][0]);
  Write(*one, s.rows[1][1]);
  RunTask(trace, s, 0, *a);
  Write(*one, s.rows[1][2]);
  Write(*one, s.rows[1][3]);
  trace.Finish(std::move(one), Records(s.ids[1]));
  RunTask(trace, s, 2, *a);
  ExpectPublishedAndStored(trace, store, dir, s);
}

// Beyond the budget a waiting task's rows go to its worker's batch: the trace will not complete,
// and every task is still stored (for Assemble to copy).
TEST(OrderedTrace, ATaskBeyondTheBudgetGoesToItsBatchAndTheTraceStopsTakingTasks) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  const Sweep s(5);
  OrderedTrace trace(store, s.ids, 64, 1e9, /*budget_bytes=*/20);
  const std::unique_ptr<TaskBatch> batch = store.Begin();
  RunTask(trace, s, 4, *batch);  // waits: 3 pieces, more than 20 bytes in all
  RunTask(trace, s, 2, *batch);
  RunTask(trace, s, 0, *batch);
  RunTask(trace, s, 1, *batch);
  RunTask(trace, s, 3, *batch);
  trace.Close();
  store.Commit(*batch, false);
  EXPECT_FALSE(trace.Complete());
  ExpectStored(store, s);
}

// A task that fails (writing straight into the trace, or holding its rows while it waits) leaves no
// rows in any stored task; the tasks waiting behind it are stored in a batch of their own when the
// trace closes.
TEST(OrderedTrace, AFailedTaskStopsTheTraceAndTheWaitingTasksAreStoredAtClose) {
  for (bool in_turn : {true, false}) {
    testing::TempDir tmp;
    const std::string dir = tmp.Path("out");
    TaskStore store(dir);
    store.Create();
    const Sweep s(4);
    OrderedTrace trace(store, s.ids, 64, 1e9);
    const std::unique_ptr<TaskBatch> batch = store.Begin();
    if (in_turn) RunTask(trace, s, 0, *batch);
    RunTask(trace, s, 3, *batch);  // waits for 1 and 2
    std::unique_ptr<OrderedTrace::Rows> rows = trace.Start(1, *batch);
    Write(*rows, "half a task\n");
    trace.Fail(std::move(rows));
    if (!in_turn) RunTask(trace, s, 0, *batch);
    RunTask(trace, s, 2, *batch);
    trace.Close();
    store.Commit(*batch, false);
    EXPECT_FALSE(trace.Complete());
    const TaskIndex index = store.Index();
    EXPECT_FALSE(index.Has("t1"));
    for (size_t i : {0u, 2u, 3u})
      EXPECT_EQ(StoredRows(index, s.ids[i]), s.Row(i)) << i << " " << in_turn;
  }
}

// Waiting tasks are not durable: as many as a batch holds (here 2), or one that has waited as long
// as a batch waits for its commit, go into a batch at once, and the trace stops taking tasks.
TEST(OrderedTrace, WaitingTasksAreStoredOnceTheyWaitAsLongOrAsManyAsABatchCommits) {
  for (bool by_time : {false, true}) {
    testing::TempDir tmp;
    const std::string dir = tmp.Path("out");
    TaskStore store(dir);
    store.Create();
    const Sweep s(5);
    OrderedTrace trace(store, s.ids, by_time ? 64 : 2, by_time ? 0.0 : 1e9);
    const std::unique_ptr<TaskBatch> batch = store.Begin();
    RunTask(trace, s, 4, *batch);
    if (!by_time) {
      EXPECT_EQ(store.Index().size(), 0u) << "one task waits";
      RunTask(trace, s, 3, *batch);
    }
    const TaskIndex index = store.Index();  // before Close: committed by Finish
    EXPECT_EQ(index.Ids(),
              (by_time ? std::vector<std::string>{"t4"} : std::vector<std::string>{"t3", "t4"}));
    EXPECT_EQ(StoredRows(index, "t4"), s.Row(4));
    for (size_t i = 0; i < (by_time ? 4 : 3); ++i) RunTask(trace, s, i, *batch);
    trace.Close();
    store.Commit(*batch, false);
    EXPECT_FALSE(trace.Complete());
    ExpectStored(store, s);
  }
}

// Committed while it grows (every 2 tasks): those tasks read back from the file still written.
TEST(OrderedTrace, TasksCommittedWhileTheTraceGrowsReadBack) {
  testing::TempDir tmp;
  const std::string dir = tmp.Path("out");
  TaskStore store(dir);
  store.Create();
  const Sweep s(5);
  OrderedTrace trace(store, s.ids, 2, 1e9);
  const std::unique_ptr<TaskBatch> batch = store.Begin();
  for (size_t i = 0; i < 3; ++i) RunTask(trace, s, i, *batch);
  std::unique_ptr<OrderedTrace::Rows> rows = trace.Start(3, *batch);
  Write(*rows, s.rows[3][0]);  // half of task 3: in the file, after the committed tasks
  TaskIndex index = store.Index();
  EXPECT_EQ(index.Ids(), (std::vector<std::string>{"t0", "t1"}));
  for (size_t i : {0u, 1u}) EXPECT_EQ(StoredRows(index, s.ids[i]), s.Row(i));
  for (size_t k = 1; k < s.rows[3].size(); ++k) Write(*rows, s.rows[3][k]);
  trace.Finish(std::move(rows), Records(s.ids[3]));
  RunTask(trace, s, 4, *batch);
  trace.Close();
  ASSERT_TRUE(trace.Complete());
  ExpectStored(store, s);
}

// Four workers, tasks of random sizes finishing in any order: the trace is the canonical one. With
// commits every 2 tasks (which also store tasks once 2 wait, so the trace may stop taking tasks)
// every task is stored all the same, and a trace that completes is still the canonical one.
TEST(OrderedTrace, WorkersFinishingInAnyOrderGiveTheCanonicalTrace) {
  for (size_t flush : {64, 2})
    for (int trial = 0; trial < 5; ++trial) {
      SCOPED_TRACE(::testing::Message() << "flush " << flush << " trial " << trial);
      testing::TempDir tmp;
      const std::string dir = tmp.Path("out");
      TaskStore store(dir);
      store.Create();
      Sweep s(40, 1);
      std::mt19937 rng(static_cast<unsigned>(trial));
      for (auto& r : s.rows)
        for (size_t k = 0, m = rng() % 20; k < m; ++k) r.push_back(std::string(rng() % 3000, 'x') + "\n");
      OrderedTrace trace(store, s.ids, flush, 1e9);
      std::atomic<size_t> next{0};
      std::vector<std::thread> workers;
      for (int w = 0; w < 4; ++w)
        workers.emplace_back([&, w] {
          std::mt19937 pause(static_cast<unsigned>(100 * trial + w));
          const std::unique_ptr<TaskBatch> batch = store.Begin();
          for (size_t i; (i = next++) < s.ids.size();) {
            std::unique_ptr<OrderedTrace::Rows> rows = trace.Start(i, *batch);
            for (const std::string& p : s.rows[i]) {
              Write(*rows, p);
              if (pause() % 4 == 0) std::this_thread::yield();
            }
            trace.Finish(std::move(rows), Records(s.ids[i]));
          }
          store.Commit(*batch, false);
        });
      for (std::thread& t : workers) t.join();
      trace.Close();
      if (flush == 64) {
        ASSERT_TRUE(trace.Complete());
      }
      if (trace.Complete()) {
        ASSERT_TRUE(trace.Publish(dir).has_value());
        EXPECT_EQ(ReadFile(dir + "/trace.csv"), s.Expected());
      }
      ExpectStored(store, s);
    }
}

// A write the file refuses (here a file size limit), into the trace or into the worker's batch, is
// a short fwrite with errno set, never a write reported done (glibc counts a cookie stream's -1 as
// success; the stream returns 0). The write is larger than a block, so it reaches the file at once.
TEST(OrderedTrace, AFailedWriteIsAShortWriteWithErrno) {
  for (bool in_turn : {true, false})
    for (size_t piece : {2 * BlockFile::kBlockBytes, size_t{13000}}) {
      SCOPED_TRACE(::testing::Message() << "in turn " << in_turn << ", pieces of " << piece);
      testing::TempDir tmp;
      TaskStore store(tmp.Path("out"));
      store.Create();
      const Sweep s(2);
      OrderedTrace trace(store, s.ids, 64, 1e9, /*budget_bytes=*/in_turn ? OrderedTrace::kBudgetBytes : 0);
      const std::unique_ptr<TaskBatch> batch = store.Begin();
      std::unique_ptr<OrderedTrace::Rows> rows = trace.Start(in_turn ? 0 : 1, *batch);
      const std::string rows_text(piece, 'x');
      struct rlimit before {};
      ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
      struct rlimit small = before;
      small.rlim_cur = 1 << 16;
      const auto handler = std::signal(SIGXFSZ, SIG_IGN);
      ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
      // Pieces (one run's rows each) until one is refused: the one that fills a block, for small
      // pieces (they are held until then).
      size_t written = piece, total = 0;
      int err = 0;
      while (written == piece && total < 4 * BlockFile::kBlockBytes) {
        errno = 0;
        written = std::fwrite(rows_text.data(), 1, piece, rows->file());
        err = errno;
        total += written;
      }
      ::setrlimit(RLIMIT_FSIZE, &before);
      std::signal(SIGXFSZ, handler);
      EXPECT_LT(written, piece);
      EXPECT_EQ(err, EFBIG);
      EXPECT_GE(total + piece, BlockFile::kBlockBytes) << "refused once a block was full, not before";
      EXPECT_NE(std::ferror(rows->file()), 0);
      trace.Fail(std::move(rows));
      trace.Close();
      EXPECT_FALSE(trace.Complete());
    }
}

}  // namespace
}  // namespace nlhf

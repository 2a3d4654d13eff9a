// Failed fsyncs and fdatasyncs, as a failing disk has them: a write error must reach the writer and
// keep its rows from being taken for stored (lib/src/output/writeback_pacer.cc, the task store's
// commits in lib/src/sweep_task_store.cc), and a folder whose sync fails after WriteFilesAtomic's
// renames is reported (lib/src/output/files.cc).
//
// This executable replaces libc's fsync and fdatasync with versions that fail on request (so it is
// an executable of its own): while g_failures > 0, a sync of a file (or, with g_folders_only, of a
// folder) whose path, as /proc/self/fd resolves it, holds g_path fails once each with g_errno. As
// Linux does after a writeback error, the next sync succeeds.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/output/files.h"
#include "nlhf/output/writeback_pacer.h"
#include "sweep_task_store.h"
#include "test_util.h"

namespace {

std::atomic<int> g_failures{0};
std::atomic<int> g_errno{EIO};
std::string g_path;  // set before g_failures, read after it
std::atomic<bool> g_folders_only{false};  // only syncs of a folder fail

// Whether this sync of `fd` fails (and counts it).
bool Fails(int fd) {
  if (g_failures.load() <= 0) return false;
  char path[4096] = {};
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), path, sizeof path - 1);
  if (n <= 0 || std::string_view(path, static_cast<size_t>(n)).find(g_path) == std::string_view::npos) return false;
  struct stat st {};
  if (g_folders_only.load() && (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))) return false;
  return g_failures.fetch_sub(1) > 0;
}

}  // namespace

extern "C" int fsync(int fd) {
  if (Fails(fd)) {
    errno = g_errno.load();
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

extern "C" int fdatasync(int fd) {
  if (Fails(fd)) {
    errno = g_errno.load();
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

namespace nlhf {
namespace {

namespace fs = std::filesystem;

// The next `count` syncs of files whose path holds `path` (of folders only, with `folders_only`) fail.
void FailNext(int count, const std::string& path, int err = EIO, bool folders_only = false) {
  g_path = path;
  g_errno = err;
  g_folders_only = folders_only;
  g_failures = count;
}

RunRecord Record(const std::string& run_id) {
  RunRecord r;
  r.run_id = run_id;
  r.solver = "nash_mp";
  r.params = "eta=0.1";
  r.status = "iterations";
  r.iterations = 10;
  r.final.fill(0.5);
  return r;
}

// `bytes` bytes of rows for task `id` in `batch`, then the task finishes.
void AddTask(TaskBatch& batch, const std::string& id, size_t bytes) {
  const std::int64_t at = batch.Position();
  const std::string rows(bytes, 'r');
  ASSERT_EQ(std::fwrite(rows.data(), 1, rows.size(), batch.trace()), rows.size());
  batch.Finish(id, {Record(id + "-run0")}, at);
}

// Only the manifest-free store's own files are left: no part, no data file.
void ExpectNothingStored(TaskStore& store) {
  EXPECT_EQ(store.Index().size(), 0u);
  store.RemoveOrphans();
  for (const auto& e : fs::directory_iterator(store.folder())) ADD_FAILURE() << "left: " << e.path();
}

// The pacer's thread met a write error: Wait() gives it (the writer's own fsync might not, where
// the error is reported once only), and Reset forgets it. A sync the file does not support is no
// error.
TEST(WritebackPacer, WaitGivesTheWriteErrorItsSyncMet) {
  testing::TempDir dir;
  const std::string path = dir.Path("paced");
  std::FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  WritebackPacer pacer;
  FailNext(1, "/paced");
  std::fputs("a", out);
  pacer.Reached(out, WritebackPacer::kBytes);
  ASSERT_EQ(pacer.syncs(), 1);
  EXPECT_EQ(pacer.Wait(), EIO);
  EXPECT_EQ(g_failures.load(), 0);
  EXPECT_EQ(pacer.Wait(), EIO);  // it stays until Reset
  pacer.Reset();
  EXPECT_EQ(pacer.Wait(), 0);
  FailNext(1, "/paced", EINVAL);
  pacer.Reached(out, WritebackPacer::kBytes);
  EXPECT_EQ(pacer.Wait(), 0);
  EXPECT_EQ(g_failures.load(), 0);
  std::fclose(out);
}

// A data file whose fsync failed is never committed, also not by a later commit of the same batch
// (a sweep's final commit retries a batch whose commit failed): the second fsync would succeed, as
// the error was reported once already, for rows that may not be on the device. The tasks run again;
// the error names the file.
TEST(TaskBatch, AFailedFsyncIsNotRetriedByTheNextCommit) {
  for (const bool growing : {false, true}) {
    testing::TempDir tmp;
    TaskStore store(tmp.Path("out"));
    store.Create();
    std::unique_ptr<TaskBatch> batch = growing ? store.BeginGrowing() : store.Begin();
    AddTask(*batch, "a", 100);
    FailNext(1, "/.data-");
    try {
      store.Commit(*batch);
      ADD_FAILURE() << "the failed fsync is reported";
    } catch (const WriteFailure& e) {
      EXPECT_NE(std::string(e.what()).find("Input/output error"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(".data-"), std::string::npos) << e.what();
    }
    EXPECT_EQ(g_failures.load(), 0);
    store.Commit(*batch, false);  // the final commit: nothing left to commit
    batch.reset();
    ExpectNothingStored(store);
  }
}

// The same when the write error met the pacer's background sync of the data file, and the batch's
// own fsync then succeeds.
TEST(TaskBatch, AWriteErrorOfABackgroundSyncFailsTheCommit) {
  for (const bool growing : {false, true}) {
    testing::TempDir tmp;
    TaskStore store(tmp.Path("out"));
    store.Create();
    std::unique_ptr<TaskBatch> batch = growing ? store.BeginGrowing() : store.Begin();
    FailNext(1, "/.data-");
    // Rows drained past the pacer's 4 MB: its sync runs, and fails.
    for (char k = '0'; k < '6'; ++k) AddTask(*batch, std::string(1, k), size_t{1} << 20);
    try {
      store.Commit(*batch, false);
      ADD_FAILURE() << "the background sync's error is reported";
    } catch (const WriteFailure& e) {
      EXPECT_NE(std::string(e.what()).find("Input/output error"), std::string::npos) << e.what();
    }
    EXPECT_EQ(g_failures.load(), 0) << "the pacer synced the data file";
    batch.reset();
    ExpectNothingStored(store);
  }
}

// WriteFilesAtomic syncs the files' folder after renaming them (else a power loss could undo the
// renames of files already reported written): a failure of that sync is reported, naming the
// folder, with the files in place and no temporary left.
TEST(WriteFilesAtomic, SyncsTheFolderAfterTheRenames) {
  testing::TempDir tmp;
  const fs::path folder = fs::path(tmp.Path("a.csv")).parent_path();
  // (canonical: the path /proc/self/fd gives, whatever symbolic links TMPDIR goes through)
  FailNext(1, fs::canonical(folder).string(), EIO, /*folders_only=*/true);
  try {
    WriteFilesAtomic({{tmp.Path("a.csv"), [](std::FILE* f) { std::fputs("a\n", f); }},
                      {tmp.Path("b.csv"), [](std::FILE* f) { std::fputs("b\n", f); }}});
    ADD_FAILURE() << "the folder's failed sync is reported";
  } catch (const WriteFailure& e) {
    EXPECT_NE(std::string(e.what()).find(folder.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Input/output error"), std::string::npos) << e.what();
  }
  EXPECT_EQ(g_failures.load(), 0) << "the folder was synced";
  FailNext(0, "");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.csv", "b.csv"}));
}

}  // namespace
}  // namespace nlhf
